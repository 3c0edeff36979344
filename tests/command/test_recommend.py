"""Recommendation on small hand-built networks: rings, road ETA against the straight line,
freshness, busy officers, exclusion, profiles and a reason for every pick and gap."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiaoguan.command.recommend import RecommendConfig, format_duration, recommend
from jiaoguan.command.tracker import OfficerSnapshot
from jiaoguan.geo.coords import LocalProjection
from jiaoguan.geo.network import RoadNetwork

NOW = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
PROJ = LocalProjection(115.46, 38.87)
STEP = 100.0


def lonlat(x: float, y: float) -> tuple[float, float]:
    point = PROJ.inverse(np.array([x]), np.array([y]))[0]
    return float(point[0]), float(point[1])


def river_town(bridge_x: float = 2000.0) -> RoadNetwork:
    """Two east-west streets 250 m apart (south y=0, north y=250) from x=-3000 to 3000, a river
    between them and one bridge at `bridge_x`: 30 km/h residential streets."""
    xs = np.arange(-3000.0, 3000.0 + STEP, STEP)
    count = len(xs)
    x = np.concatenate([xs, xs])
    y = np.concatenate([np.zeros(count), np.full(count, 250.0)])
    lonlat_all = PROJ.inverse(x, y)
    south = np.arange(count)
    north = south + count
    bridge = int(np.argmin(np.abs(xs - bridge_x)))
    src = np.concatenate([south[:-1], north[:-1], [south[bridge]]])
    dst = np.concatenate([south[1:], north[1:], [north[bridge]]])
    length = np.hypot(x[dst] - x[src], y[dst] - y[src])
    classes = np.array(["residential"] * len(src), dtype=object)
    return RoadNetwork(
        np.arange(2 * count) + 1,
        lonlat_all[:, 0],
        lonlat_all[:, 1],
        src,
        dst,
        length,
        np.full(len(src), 30.0),
        classes,
        np.zeros(len(src), dtype=np.bool_),
    )


def snapshot(*officers: tuple[int, float, float, str, str, float]) -> OfficerSnapshot:
    """(id, x, y, status, mode, fix age in seconds) per officer."""
    points = [lonlat(x, y) for _, x, y, *_ in officers]
    return OfficerSnapshot.build(
        [o[0] for o in officers],
        [p[0] for p in points],
        [p[1] for p in points],
        [NOW.timestamp() - o[5] for o in officers],
        [o[3] for o in officers],
        [o[4] for o in officers],
        [f"/1/{o[0] % 2 + 2}/" for o in officers],
    )


@pytest.fixture(scope="module")
def town() -> RoadNetwork:
    return river_town()


def test_road_eta_beats_straight_line_across_the_river(town: RoadNetwork) -> None:
    officers = snapshot(
        (1, 0.0, 250.0, "available", "driving", 10),  # 250 m away, across the river
        (2, 700.0, 0.0, "available", "driving", 10),  # 700 m away, same bank
    )
    lon, lat = lonlat(0.0, 0.0)
    result = recommend(town, officers, lon, lat, now=NOW)
    assert [p.officer_id for p in result.picks] == [2, 1]
    near, far = result.picks
    assert far.straight_m < near.straight_m
    assert near.eta_s is not None and far.eta_s is not None
    # Over the bridge at 2 km and back: about 4.25 km at 30 km/h, some 8.5 minutes.
    assert 480 < far.eta_s < 560
    assert 80 < near.eta_s < 110
    assert near.ring_m == 1000 and far.ring_m == 300
    assert "1000米圈内" in near.reason and "驾车" in near.reason and near.reason.endswith("可派")
    assert result.gaps == []


def test_unreachable_within_limit_is_listed_last_without_eta(town: RoadNetwork) -> None:
    officers = snapshot(
        (1, 0.0, 250.0, "available", "driving", 0),
        (2, 900.0, 0.0, "available", "driving", 0),
    )
    lon, lat = lonlat(0.0, 0.0)
    result = recommend(town, officers, lon, lat, now=NOW, config=RecommendConfig(eta_limit_s=300))
    assert [p.officer_id for p in result.picks] == [2, 1]
    assert result.picks[1].eta_s is None
    assert "无法经道路到达" in result.picks[1].reason
    assert any("无法经道路到达" in gap for gap in result.gaps)


def test_rings_and_gaps_for_each_empty_ring(town: RoadNetwork) -> None:
    officers = snapshot((1, 800.0, 0.0, "available", "driving", 5))
    lon, lat = lonlat(0.0, 0.0)
    result = recommend(town, officers, lon, lat, now=NOW)
    assert [p.ring_m for p in result.picks] == [1000]
    assert result.gaps == ["300米内无在岗可用警力", "500米内无在岗可用警力"]


def test_beyond_the_rings_the_nearest_are_offered_with_a_reason(town: RoadNetwork) -> None:
    officers = snapshot(
        (1, 2500.0, 0.0, "available", "driving", 5),
        (2, 1500.0, 0.0, "available", "driving", 5),
        (3, -2900.0, 0.0, "available", "driving", 5),
    )
    lon, lat = lonlat(0.0, 0.0)
    config = RecommendConfig(beyond_rings=2)
    result = recommend(town, officers, lon, lat, now=NOW, config=config)
    assert [p.officer_id for p in result.picks] == [2, 1]
    assert all(p.ring_m is None and "圈外" in p.reason for p in result.picks)
    assert "1000米内无在岗可用警力" in result.gaps
    none = recommend(town, officers, lon, lat, now=NOW, config=RecommendConfig(beyond_rings=0))
    assert none.picks == [] and "1000米内无在岗可用警力" in none.gaps
    assert "全市暂无可派警力" in none.gaps


def test_a_car_beyond_the_rings_outranks_a_walker_inside(town: RoadNetwork) -> None:
    officers = snapshot(
        (1, 900.0, 0.0, "available", "walking", 5),  # 900 m on foot: some 11 minutes
        (2, -1300.0, 0.0, "available", "driving", 5),  # 1.3 km by car: under 3 minutes
    )
    lon, lat = lonlat(0.0, 0.0)
    result = recommend(town, officers, lon, lat, now=NOW)
    assert [p.officer_id for p in result.picks] == [2, 1]
    assert result.picks[0].ring_m is None and result.picks[0].reason.startswith("1000米圈外，")
    assert result.picks[1].ring_m == 1000
    assert result.gaps == ["300米内无在岗可用警力", "500米内无在岗可用警力"]


def test_stale_positions_are_not_trusted_and_counted(town: RoadNetwork) -> None:
    officers = snapshot(
        (1, 100.0, 0.0, "available", "driving", 600),  # the closest, but the fix is 10 min old
        (2, 400.0, 0.0, "available", "driving", 30),
    )
    lon, lat = lonlat(0.0, 0.0)
    result = recommend(town, officers, lon, lat, now=NOW)
    assert [p.officer_id for p in result.picks] == [2]
    assert result.stale == 1
    assert "1名警力定位超时（超过120秒）未纳入" in result.gaps
    assert "300米内无在岗可用警力" in result.gaps


def test_busy_and_off_duty_officers_are_never_picked(town: RoadNetwork) -> None:
    officers = snapshot(
        (1, 100.0, 0.0, "en_route", "driving", 5),
        (2, 200.0, 0.0, "on_scene", "driving", 5),
        (3, 300.0, 0.0, "off_duty", "driving", 5),
        (4, -200.0, 0.0, "on_duty", "walking", 5),
    )
    lon, lat = lonlat(0.0, 0.0)
    result = recommend(town, officers, lon, lat, now=NOW, config=RecommendConfig(beyond_rings=0))
    assert result.picks == []
    assert result.busy == 3
    assert "1000米内3名在岗警力均在出警或执勤" in result.gaps


def test_excluded_officers_are_never_suggested_again(town: RoadNetwork) -> None:
    officers = snapshot(
        (1, 100.0, 0.0, "available", "driving", 5),
        (2, 200.0, 0.0, "available", "driving", 5),
        (3, 1800.0, 0.0, "available", "driving", 5),
    )
    lon, lat = lonlat(0.0, 0.0)
    result = recommend(town, officers, lon, lat, now=NOW, exclude=[1])
    assert [p.officer_id for p in result.picks] == [2, 3]  # 3: beyond the rings, slower
    escalated = recommend(town, officers, lon, lat, now=NOW, exclude={1, 2})
    assert [p.officer_id for p in escalated.picks] == [3]  # beyond the rings, never 1 or 2


def test_walkers_use_the_walking_profile(town: RoadNetwork) -> None:
    officers = snapshot(
        (1, 300.0, 0.0, "available", "walking", 5),
        (2, 900.0, 0.0, "available", "driving", 5),
    )
    lon, lat = lonlat(0.0, 0.0)
    result = recommend(town, officers, lon, lat, now=NOW)
    walker = next(p for p in result.picks if p.officer_id == 1)
    driver = next(p for p in result.picks if p.officer_id == 2)
    assert walker.mode == "walking" and "步行" in walker.reason
    assert walker.eta_s is not None and driver.eta_s is not None
    assert 200 < walker.eta_s < 240  # 300 m at 5 km/h
    assert driver.eta_s < walker.eta_s  # 900 m by car beats 300 m on foot
    assert result.picks[0].officer_id == 2


def test_unit_paths_restrict_the_candidates(town: RoadNetwork) -> None:
    officers = snapshot(
        (1, 100.0, 0.0, "available", "driving", 5),  # unit /1/3/
        (2, 200.0, 0.0, "available", "driving", 5),  # unit /1/2/
    )
    lon, lat = lonlat(0.0, 0.0)
    result = recommend(town, officers, lon, lat, now=NOW, unit_paths=["/1/2/"])
    assert [p.officer_id for p in result.picks] == [2]


def test_officers_without_a_fix_are_ignored_and_max_picks_holds(town: RoadNetwork) -> None:
    rows = [(i, 100.0 * i, 0.0, "available", "driving", 5.0) for i in range(1, 10)]
    officers = snapshot(*rows)
    officers.lon[0] = np.nan
    officers.lat[0] = np.nan
    lon, lat = lonlat(0.0, 0.0)
    result = recommend(town, officers, lon, lat, now=NOW, config=RecommendConfig(max_picks=3))
    assert [p.officer_id for p in result.picks] == [2, 3, 4]
    assert result.considered == 8
    etas = [p.eta_s for p in result.picks]
    assert etas == sorted(etas)  # type: ignore[type-var]


def test_format_duration() -> None:
    assert format_duration(45) == "约45秒"
    assert format_duration(130) == "约2分10秒"
    assert format_duration(120) == "约2分钟"


statuses = st.sampled_from(["available", "available", "on_duty", "en_route", "off_duty"])
officer_rows = st.lists(
    st.tuples(
        st.floats(min_value=-3000, max_value=3000),
        st.sampled_from([0.0, 250.0]),
        statuses,
        st.sampled_from(["driving", "walking"]),
        st.floats(min_value=0, max_value=400),
    ),
    max_size=25,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(officer_rows, st.sets(st.integers(min_value=1, max_value=25), max_size=5))
def test_picks_are_eligible_ranked_and_explained(
    town: RoadNetwork,
    rows: list[tuple[float, float, str, str, float]],
    exclude: set[int],
) -> None:
    officers = snapshot(*[(i + 1, x, y, s, m, age) for i, (x, y, s, m, age) in enumerate(rows)])
    lon, lat = lonlat(0.0, 0.0)
    config = RecommendConfig()
    result = recommend(town, officers, lon, lat, now=NOW, config=config, exclude=exclude)
    assert len(result.picks) <= config.max_picks
    ids = [p.officer_id for p in result.picks]
    assert len(set(ids)) == len(ids) and not set(ids) & exclude
    for pick in result.picks:
        _x, _y, status, mode, age = rows[pick.officer_id - 1]
        # "Stale" is older than the limit: a fix exactly at the limit still counts.
        assert status == "available" and age <= config.stale_after_s and mode == pick.mode
        assert pick.reason.endswith("可派") and ("圈内" in pick.reason or "圈外" in pick.reason)
    reached = [p.eta_s for p in result.picks if p.eta_s is not None]
    assert reached == sorted(reached)
    assert all(p.eta_s is not None for p in result.picks[: len(reached)])
    # With room for all of them, every eligible officer (rings and the nearest beyond) is listed.
    eligible = [
        i + 1
        for i, (_x, _y, s, _m, age) in enumerate(rows)
        if s == "available" and age < config.stale_after_s and i + 1 not in exclude
    ]
    if len(eligible) <= config.max_picks and len(eligible) <= config.beyond_rings:
        assert set(eligible) == set(ids)
    if not result.picks:
        assert result.gaps


def two_roads() -> RoadNetwork:
    """An arterial (primary, 60 km/h) running west from the scene and a side street
    (residential, 30 km/h) running east, nodes every 100 m."""
    west = np.arange(0.0, -1400.0, -STEP)
    east = np.arange(STEP, 1000.0, STEP)
    x = np.concatenate([west, east])
    lonlat_all = PROJ.inverse(x, np.zeros(len(x)))
    west_idx = np.arange(len(west))
    east_idx = np.arange(len(west), len(x))
    src = np.concatenate([west_idx[:-1], [0], east_idx[:-1]])
    dst = np.concatenate([west_idx[1:], [east_idx[0]], east_idx[1:]])
    primary = np.concatenate([np.ones(len(west) - 1, bool), np.zeros(len(east), bool)])
    classes = np.where(primary, "primary", "residential").astype(object)
    return RoadNetwork(
        np.arange(len(x)) + 1,
        lonlat_all[:, 0],
        lonlat_all[:, 1],
        src,
        dst,
        np.abs(x[dst] - x[src]),
        np.where(primary, 60.0, 30.0),
        classes,
        np.zeros(len(src), dtype=np.bool_),
    )


def test_hourly_speeds_rank_by_the_hour_traffic() -> None:
    network = two_roads()
    officers = snapshot(
        (1, -1300.0, 0.0, "available", "driving", 5),  # on the arterial, 1.3 km
        (2, 900.0, 0.0, "available", "driving", 5),  # on the side street, 900 m
    )
    lon, lat = lonlat(0.0, 0.0)
    rush = dt.datetime(2026, 11, 24, 0, 30, tzinfo=dt.UTC)  # 08:30 in Beijing
    noon = dt.datetime(2026, 11, 24, 4, 0, tzinfo=dt.UTC)
    free = recommend(network, officers, lon, lat, now=rush)
    assert [p.officer_id for p in free.picks] == [1, 2]  # limits: 78 s against 108 s
    hourly = RecommendConfig(hourly_speeds=True, stale_after_s=1e9)
    peak = recommend(network, officers, lon, lat, now=rush, config=hourly)
    assert [p.officer_id for p in peak.picks] == [2, 1]  # the arterial crawls at 60%
    arterial_free = next(p.eta_s for p in free.picks if p.officer_id == 1)
    arterial_peak = next(p.eta_s for p in peak.picks if p.officer_id == 1)
    assert arterial_free is not None and arterial_peak is not None
    assert arterial_peak > 1.5 * arterial_free
    midday = recommend(network, officers, lon, lat, now=noon, config=hourly)
    assert [p.officer_id for p in midday.picks] == [1, 2]
