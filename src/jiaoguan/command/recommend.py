"""Nearest-officer recommendation: available officers with fresh positions inside the rings
around an incident, ranked by road travel time, with a reason for every pick and every gap.

Design (shared/reference/algorithms.md §1.3): a straight-line ring filter over the tracker's
arrays, then one bounded reverse Dijkstra from the incident per travel profile (drivers and foot
officers use different graphs and speeds), so one search gives every candidate's officer → scene
time. The budget starts at the straight distance of the max_picks-th nearest candidate × a
generous detour and grows only while fewer than max_picks are reached (a river between them and
the scene); whoever is beyond `eta_limit_s` is listed last without an ETA. Officers already on the incident (`exclude`)
are never suggested again.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import dijkstra

from jiaoguan.command.tracker import AVAILABLE, MODE_CODE, MODES, STATUS_CODE, OfficerSnapshot
from jiaoguan.geo.network import EmptyNetwork, Profile, RoadNetwork
from jiaoguan.geo.roads import WALK_SPEED_KMH

MODE_LABELS = {"driving": "驾车", "walking": "步行"}
# Planning speeds for the search budget only (the ETA itself comes from the graph): urban
# driving at 30 km/h as in algorithms.md §1.3, walking at the network's walking speed.
BUDGET_SPEED_MPS = {"driving": 30 / 3.6, "walking": WALK_SPEED_KMH / 3.6}
# From the fix to the road graph: a car leaves a car park slowly, a walker walks.
APPROACH_SPEED_MPS = {"driving": 20 / 3.6, "walking": WALK_SPEED_KMH / 3.6}
OFF_DUTY = STATUS_CODE["off_duty"]
PROFILE_ORDER: tuple[Profile, ...] = ("driving", "walking")  # drivers first: they prune walkers
_MIN_BUDGET_S = 60.0
_DETOUR_SLACK = 2.0  # × circuity: most urban trips fit; the rest trigger one wider search
_GROWTH = 2.0


@dataclass(frozen=True)
class RecommendConfig:
    rings_m: tuple[int, ...] = (300, 500, 1000)
    stale_after_s: float = 120.0
    max_picks: int = 5
    eta_limit_s: float = 1800.0
    # Network distance ÷ straight distance in cities (algorithms.md §1.2: 1.2-1.34).
    circuity: float = 1.3
    # The nearest available officers beyond the rings that also compete on ETA (0: none).
    beyond_rings: int = 3
    # Driving times with the hour's speed factors (geo speed profiles: rush hours slow the
    # arterials) instead of the limits; hours with equal factors share one cached graph.
    hourly_speeds: bool = False
    utc_offset_h: int = 8  # the speed profiles' hours are local (Asia/Shanghai)


@dataclass
class Candidate:
    officer_id: int
    ring_m: int | None  # the smallest ring holding him; None beyond every ring
    straight_m: float
    eta_s: float | None  # None: not reachable by road within eta_limit_s
    mode: str
    reason: str
    fix_age_s: float = 0.0
    route_hint: list[int] | None = None


@dataclass
class Recommendation:
    incident_lon: float
    incident_lat: float
    picks: list[Candidate] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    considered: int = 0
    stale: int = 0
    busy: int = 0


def format_duration(seconds: float) -> str:
    """约2分10秒 / 约45秒."""
    total = max(round(seconds), 1)
    minutes, secs = divmod(total, 60)
    if not minutes:
        return f"约{secs}秒"
    return f"约{minutes}分{secs:02d}秒" if secs else f"约{minutes}分钟"


def distance_text(metres: float) -> str:
    return f"{metres / 1000:.1f}公里" if metres >= 1000 else f"{metres:.0f}米"


@dataclass
class _Pool:
    """Candidate rows (indices into the snapshot) and their straight distances."""

    rows: npt.NDArray[np.int64]
    dist: npt.NDArray[np.float64]


def _in_units(
    paths: npt.NDArray[np.object_], unit_paths: Collection[str] | None
) -> npt.NDArray[np.bool_]:
    if unit_paths is None:
        return np.ones(len(paths), dtype=np.bool_)
    prefixes = tuple(unit_paths)
    return np.fromiter((str(p).startswith(prefixes) for p in paths), np.bool_, len(paths))


def recommend(
    network: RoadNetwork,
    snapshot: OfficerSnapshot,
    lon: float,
    lat: float,
    *,
    now: dt.datetime,
    config: RecommendConfig = RecommendConfig(),
    exclude: Collection[int] = (),
    unit_paths: Collection[str] | None = None,
) -> Recommendation:
    result = Recommendation(lon, lat)
    rings = sorted(config.rings_m)
    outer = float(rings[-1])
    dist = _straight(network, snapshot, lon, lat)
    now_s = now.timestamp()
    eligible = np.ones(len(snapshot), dtype=np.bool_)
    if exclude:
        eligible &= ~np.isin(snapshot.ids, np.fromiter(exclude, np.int64, len(exclude)))
    with np.errstate(invalid="ignore"):
        local = np.flatnonzero(eligible & (dist <= outer))
    local = local[_in_units(snapshot.unit_path[local], unit_paths)]
    status = snapshot.status[local]
    available = status == AVAILABLE
    fresh = snapshot.at_epoch_s[local] >= now_s - config.stale_after_s
    result.busy = int(np.count_nonzero((status != OFF_DUTY) & ~available))
    result.stale = int(np.count_nonzero(available & ~fresh))
    inside = _Pool(local[available & fresh], dist[local[available & fresh]])
    # The nearest few beyond the rings always compete on ETA: a car just outside the ring often
    # beats a foot officer inside it, and with nobody inside they are all there is.
    outside = _beyond(snapshot, dist, eligible, now_s, outer, config, unit_paths)
    pool = _Pool(
        np.concatenate([inside.rows, outside.rows]), np.concatenate([inside.dist, outside.dist])
    )
    result.considered = len(pool.rows)
    hour = speed_hour(network, now, config)
    result.picks = _rank(
        network, snapshot, pool, (lon, lat), now_s, rings, config, len(inside.rows), hour
    )
    result.gaps = _gaps(rings, inside, result, config)
    return result


_HOUR_CLASSES: weakref.WeakKeyDictionary[RoadNetwork, tuple[int, ...]] = weakref.WeakKeyDictionary()


def speed_hour(network: RoadNetwork, now: dt.datetime, config: RecommendConfig) -> int | None:
    """The graph hour for `now`: the first hour of the day whose speed factors equal this
    hour's on every road class of the network (None without hourly speeds)."""
    if not config.hourly_speeds:
        return None
    local = (now.astimezone(dt.UTC) + dt.timedelta(hours=config.utc_offset_h)).hour
    classes = _HOUR_CLASSES.get(network)
    if classes is None:
        kinds = sorted({str(c) for c in network.road_class})
        factors = [tuple(network.factor(c, h) for c in kinds) for h in range(24)]
        classes = tuple(factors.index(f) for f in factors)
        _HOUR_CLASSES[network] = classes
    return classes[local]


def _straight(
    network: RoadNetwork, snapshot: OfficerSnapshot, lon: float, lat: float
) -> npt.NDArray[np.float64]:
    """Planar metres from the incident to every officer (NaN without a fix)."""
    xy = network.projection.forward(snapshot.lon, snapshot.lat)
    x, y = network.projection.point(lon, lat)
    return np.asarray(np.hypot(xy[:, 0] - x, xy[:, 1] - y), dtype=np.float64)


def _beyond(
    snapshot: OfficerSnapshot,
    dist: npt.NDArray[np.float64],
    eligible: npt.NDArray[np.bool_],
    now_s: float,
    outer: float,
    config: RecommendConfig,
    unit_paths: Collection[str] | None,
) -> _Pool:
    """The nearest available, fresh officers outside the rings (by straight line)."""
    with np.errstate(invalid="ignore"):
        ok = (
            eligible
            & (snapshot.status == AVAILABLE)
            & (snapshot.at_epoch_s >= now_s - config.stale_after_s)
            & (dist > outer)
        )
    rows = np.flatnonzero(ok)
    if not config.beyond_rings or not len(rows):
        return _Pool(rows[:0], dist[rows[:0]])
    # A few more than wanted, so the unit filter (Python strings) runs on a handful only;
    # a partition, not a full sort, of the city's officers.
    take = min(8 * config.beyond_rings, len(rows))
    if take < len(rows):
        rows = rows[np.argpartition(dist[rows], take - 1)[:take]]
    rows = rows[np.argsort(dist[rows], kind="stable")]
    rows = rows[_in_units(snapshot.unit_path[rows], unit_paths)][: config.beyond_rings]
    return _Pool(rows, dist[rows])


def _rank(
    network: RoadNetwork,
    snapshot: OfficerSnapshot,
    pool: _Pool,
    where: tuple[float, float],
    now_s: float,
    rings: list[int],
    config: RecommendConfig,
    in_rings: int,
    hour: int | None,
) -> list[Candidate]:
    if not len(pool.rows):
        return []
    eta = np.full(len(pool.rows), np.nan)
    skipped = np.zeros(len(pool.rows), dtype=np.bool_)
    modes = snapshot.mode[pool.rows]
    for profile in PROFILE_ORDER:
        part = np.flatnonzero(modes == MODE_CODE[profile])
        if profile == "walking":
            # Walking time is at least the straight line at walking speed: walkers who cannot
            # beat the drivers already in the top picks need no search at all.
            known = np.sort(eta[np.isfinite(eta)])
            if len(known) >= config.max_picks:
                bound = pool.dist[part] / BUDGET_SPEED_MPS["walking"]
                slow = bound >= known[config.max_picks - 1]
                skipped[part[slow]] = True
                part = part[~slow]
        if len(part):
            hour_of = hour if profile == "driving" else None  # walking ignores traffic
            eta[part] = _road_seconds(
                network, snapshot, pool, part, where, profile, hour_of, config
            )
    ages = now_s - snapshot.at_epoch_s[pool.rows]
    unreachable = np.isnan(eta) & ~skipped
    eta[skipped] = np.inf  # ranked after every computed ETA, never shown (enough picks)
    # Reachable by ETA (ties by fresher fix), then the unreachable by straight distance.
    order = np.lexsort(
        (ages, np.where(unreachable, pool.dist, 0.0), np.nan_to_num(eta, nan=np.inf))
    )
    picks = []
    for i in order[: config.max_picks]:
        row = int(pool.rows[i])
        mode = MODES[int(snapshot.mode[row])]
        straight = float(pool.dist[i])
        ring = next((r for r in rings if straight <= r), None)
        seconds = None if unreachable[i] else float(eta[i])
        picks.append(
            Candidate(
                int(snapshot.ids[row]),
                ring,
                round(straight, 1),
                None if seconds is None else round(seconds, 1),
                mode,
                _reason(ring, rings[-1], in_rings, straight, seconds, mode, float(ages[i]), config),
                round(float(ages[i]), 1),
            )
        )
    return picks


def _road_seconds(
    network: RoadNetwork,
    snapshot: OfficerSnapshot,
    pool: _Pool,
    part: npt.NDArray[np.int64],
    where: tuple[float, float],
    profile: Profile,
    hour: int | None,
    config: RecommendConfig,
) -> npt.NDArray[np.float64]:
    """Officer → incident seconds for the pool rows in `part` (NaN when beyond the limit)."""
    rows = pool.rows[part]
    lon, lat = where
    try:
        graph = network.graph(profile, hour)
    except EmptyNetwork:
        graph = None
    if graph is None or graph.tree is None:
        return np.full(len(rows), np.nan)
    xy = network.projection.forward(snapshot.lon[rows], snapshot.lat[rows])
    # The two nearest nodes: an officer mid-block may be closer in time to either end.
    k = min(2, len(graph.tree_nodes))
    snap_m, idx = graph.tree.query(xy, k=k)
    snap_m = np.asarray(snap_m, dtype=np.float64).reshape(len(rows), k)
    nodes = graph.tree_nodes[np.asarray(idx, dtype=np.int64).reshape(len(rows), k)]
    approach = APPROACH_SPEED_MPS[profile]
    # Budget from the max_picks-th nearest: once that many are reached, whoever is not is
    # slower than all of them, so the top picks are exact without searching further.
    wanted = min(config.max_picks, len(rows))
    kth = float(np.partition(pool.dist[part], wanted - 1)[wanted - 1])
    budget = max(_MIN_BUDGET_S, kth * config.circuity * _DETOUR_SLACK / BUDGET_SPEED_MPS[profile])
    budget = min(budget, config.eta_limit_s)
    origin = network.snap(lon, lat, profile, hour)
    while True:
        # The reverse graph: times are officer node → scene. Read straight from the dense
        # result rather than through `reachable_within`, which lists every reached node.
        dist = dijkstra(graph.backward, directed=True, indices=origin.node_index, limit=budget)
        best = (dist[nodes] + (snap_m + origin.distance_m) / approach).min(axis=1)
        hit = np.isfinite(best)
        seconds = np.where(hit, best, np.nan)
        # Widen only while fewer than max_picks are reached and someone is still out there.
        if hit.all() or np.count_nonzero(hit) >= wanted or budget >= config.eta_limit_s:
            break
        budget = min(budget * _GROWTH, config.eta_limit_s)
    return seconds


def _reason(
    ring: int | None,
    outer: int,
    in_rings: int,
    straight: float,
    seconds: float | None,
    mode: str,
    age: float,
    config: RecommendConfig,
) -> str:
    where = f"{ring}米圈内" if ring is not None else f"{outer}米圈外"
    if ring is None and not in_rings:
        where += "（圈内无可用警力）"
    travel = (
        f"{MODE_LABELS[mode]}{format_duration(seconds)}"
        if seconds is not None
        else f"{config.eta_limit_s / 60:.0f}分钟内无法经道路到达"
    )
    return f"{where}，直线{distance_text(straight)}，{travel}，定位{format_duration(age)}前，可派"


def _gaps(
    rings: list[int],
    inside: _Pool,
    result: Recommendation,
    config: RecommendConfig,
) -> list[str]:
    gaps = [f"{r}米内无在岗可用警力" for r in rings if not np.any(inside.dist <= r)]
    if result.busy and not len(inside.rows):
        gaps.append(f"{rings[-1]}米内{result.busy}名在岗警力均在出警或执勤")
    if result.stale:
        gaps.append(f"{result.stale}名警力定位超时（超过{config.stale_after_s:.0f}秒）未纳入")
    unreachable = sum(1 for p in result.picks if p.eta_s is None)
    if unreachable:
        gaps.append(f"{unreachable}名警力{config.eta_limit_s / 60:.0f}分钟内无法经道路到达")
    if not result.picks:
        gaps.append("全市暂无可派警力")
    return gaps
