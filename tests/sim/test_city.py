"""The synthetic city: deterministic, valid codes, a river that only bridges cross, planted facts."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from jiaoguan.platform.bootstrap import DEMO_UNITS
from jiaoguan.registry import validators
from jiaoguan.sim import codes
from jiaoguan.sim.batch import overdue_vehicles
from jiaoguan.sim.city import City, CitySize, generate_city

TABLES = ("nodes", "edges", "roads", "bridges", "addresses", "landmarks", "companies", "houses")


@pytest.fixture(scope="module")
def city() -> City:
    return generate_city(7, CitySize.test)


@pytest.fixture(scope="module")
def demo_city() -> City:
    return generate_city(11, CitySize.demo)


def test_same_seed_same_city(city: City) -> None:
    again = generate_city(7, CitySize.test)
    for table in TABLES:
        assert_frame_equal(getattr(city, table), getattr(again, table))
    assert_frame_equal(city.vehicles, again.vehicles)
    assert_frame_equal(city.drivers, again.drivers)
    assert [a.polygon.wkt for a in city.areas] == [a.polygon.wkt for a in again.areas]


def test_other_seed_other_city(city: City) -> None:
    other = generate_city(8, CitySize.test)
    assert not city.nodes.equals(other.nodes)
    assert set(city.vehicles["plate_no"]) != set(other.vehicles["plate_no"])
    assert set(city.drivers["id_number"]) != set(other.drivers["id_number"])


def test_sizes(city: City, demo_city: City) -> None:
    assert 200 <= city.nodes.height <= 400
    assert city.plan.vehicles == 1_000
    assert 15_000 <= demo_city.nodes.height <= 25_000
    assert demo_city.plan.vehicles == 50_000
    assert generate_city(1, "test", vehicles=5_000).vehicles.height == 5_000
    with pytest.raises(ValueError):
        generate_city(1, "test", vehicles=3_000_001)


def test_code_vectors_from_the_standards() -> None:
    # standards.md §3.4 and §2.5
    assert codes.id_check("11010519491231002") == "X"
    assert codes.id_check("44052418800101001") == "4"
    assert codes.uscc_check("91350100M000100Y4") == "3"
    assert codes.org_check("D2143569") == "X"
    assert codes.credit_code_valid("91110000600037341L")
    assert not codes.credit_code_valid("91310115MA1H8R7C6D")
    for plate in ("京A12345", "粤B1C2D3", "粤O12345", "沪AD12345", "苏E12345F"):
        assert codes.plate_kind(plate) is not None, plate
    for plate in ("京AI2345", "京A1O345", "京A1234D5", "港A12345", "京12345", "京A123456"):
        assert codes.plate_kind(plate) is None, plate
    raw = codes.id_numbers(
        np.array([110105]), np.array(["1949-12-31"], dtype="datetime64[D]"), np.array([2])
    )
    assert raw[0].decode() == "11010519491231002X"


def test_plates_are_valid_unique_and_match_class(demo_city: City) -> None:
    vehicles = demo_city.vehicles
    assert vehicles["plate_no"].n_unique() == vehicles.height
    for plate, plate_class, colour in vehicles.select(
        "plate_no", "plate_class", "plate_color"
    ).iter_rows():
        assert plate.startswith("冀F")
        check = validators.check_plate(plate, plate_class)  # raises with the reason if invalid
        assert colour in check.colours
        assert not check.warnings
    share = vehicles.group_by("plate_color").len().to_dict(as_series=False)
    counts = dict(zip(share["plate_color"], share["len"], strict=True))
    assert counts["BLUE"] > 0.8 * vehicles.height  # blue small cars mostly
    assert counts["GREEN"] > 0.05 * vehicles.height
    assert counts["YELLOW"] > 0
    nev = vehicles.filter(pl.col("plate_class") == "52")["plate_no"]
    assert (nev.str.len_chars() == 8).all()


def test_id_numbers_and_credit_codes_pass_their_checks(demo_city: City) -> None:
    drivers = demo_city.drivers
    assert drivers["id_number"].n_unique() == drivers.height
    for number, sex in drivers.select("id_number", "sex").iter_rows():
        parsed = validators.check_id_number(number, today=demo_city.as_of)
        assert parsed.region_code.startswith("1306")
        assert (parsed.sex == "male") == (sex == "男")
        assert codes.id_number_valid(number)
    for code in demo_city.companies["credit_code"]:
        validators.check_credit_code(code)
        assert codes.credit_code_valid(code)
    assert demo_city.companies["credit_code"].n_unique() == demo_city.companies.height
    for licence in drivers["licence_class"].unique():
        validators.check_licence_class(licence)
    owners = demo_city.vehicles["owner_id_number"].drop_nulls().unique()
    assert owners.is_in(drivers["id_number"].implode()).all()


def test_key_vehicles_belong_to_transport_companies(demo_city: City) -> None:
    vehicles = demo_city.vehicles
    key = vehicles.filter(pl.col("key_kind").is_not_null())
    assert set(key["key_kind"]) == {"coach", "tourist", "hazmat", "muck"}
    assert key["owner_id_number"].is_null().all()
    companies = demo_city.companies.filter(pl.col("transport"))
    owned = key.join(companies, left_on="owner_credit_code", right_on="credit_code", how="left")
    assert owned["kind"].null_count() == 0
    assert (owned["kind"] == owned["key_kind"]).all()
    assert (key["plate_color"] == "YELLOW").all()


def test_overdue_shares_within_bounds(demo_city: City) -> None:
    vehicles = demo_city.vehicles
    overdue = overdue_vehicles(vehicles, demo_city.as_of)
    inspection = overdue.filter(pl.col("reason") == "overdue_inspection").height / vehicles.height
    assert 0.01 <= inspection <= 0.06
    commercial = vehicles.filter(pl.col("scrapping_due").is_not_null()).height
    scrapping = overdue.filter(pl.col("reason") == "overdue_scrapping").height / commercial
    assert 0.01 <= scrapping <= 0.12
    # Private cars have no scrapping age; everyone else due in the future is not overdue.
    private = vehicles.filter(pl.col("owner_id_number").is_not_null() & (pl.col("use") == "非营运"))
    assert private["scrapping_due"].is_null().all()
    assert (vehicles["registered_on"] <= demo_city.as_of).all()


def test_road_names_unique_with_segments(demo_city: City) -> None:
    roads = demo_city.roads
    assert roads["name"].n_unique() == roads.height
    names = set(roads["name"])
    assert "朝阳大街" in names and "朝阳北大街" in names and "朝阳南大街" in names
    assert {"东风中路", "东风东路", "东风西路", "裕华中路"} <= names
    assert roads.filter(pl.col("oneway")).height > 0
    assert set(roads["road_class"]) == {"arterial", "secondary", "local"}
    lon, lat = demo_city.nodes["lon"], demo_city.nodes["lat"]
    assert abs(lon.mean() - 115.46) < 0.05 and abs(lat.mean() - 38.87) < 0.05  # type: ignore[operator]


def test_river_is_crossed_only_by_few_bridges(city: City, demo_city: City) -> None:
    for c in (city, demo_city):
        assert 2 <= c.bridges.height <= 6
        assert c.edges.filter(pl.col("bridge"))["road_class"].unique().to_list() == ["arterial"]


def test_road_distance_across_the_river_is_long(city: City) -> None:
    """Pairs facing each other across the river, far from any bridge: the road goes round."""
    nodes = city.nodes
    xy = nodes.select("x", "y").to_numpy()
    river = city.network.river_xy
    river_at = np.interp(xy[:, 0], river[:, 0], river[:, 1])
    side = xy[:, 1] > river_at
    bridge_x = city.bridges["x"].to_numpy()
    far = np.min(np.abs(xy[:, 0, None] - bridge_x[None, :]), axis=1) > 700
    near_river = np.abs(xy[:, 1] - river_at) < 350
    north = np.flatnonzero(far & near_river & side)
    south = np.flatnonzero(far & near_river & ~side)
    checked = 0
    for a in north:
        distances = np.hypot(*(xy[south] - xy[a]).T)
        b = int(south[distances.argmin()])
        straight = float(distances.min())
        if straight > 600:
            continue
        road = city.road_distances(int(a))[b]
        assert road > 1.5 * straight, (a, b, road, straight)
        checked += 1
    assert checked >= 3


def test_areas_cover_the_city_and_follow_the_demo_units(demo_city: City) -> None:
    unit_codes = {code for code, *_ in DEMO_UNITS}
    by_kind: dict[str, list[str]] = {}
    for area in demo_city.areas:
        by_kind.setdefault(area.kind, []).append(area.code)
    assert by_kind["district"] == ["130602", "130606"]
    assert set(by_kind["police_district"]) <= unit_codes
    assert {"130602010101", "130602010102", "130606010101"} <= set(by_kind["grid"])
    grid_parent = {a.code: a.parent_code for a in demo_city.areas if a.kind == "grid"}
    addresses = demo_city.addresses
    assert addresses["grid_code"].null_count() == 0
    for grid, pd in addresses.select("grid_code", "police_district_code").unique().iter_rows():
        assert grid_parent[grid] == pd
    districts = pl.Series(by_kind["district"])
    assert addresses["district_code"].is_in(districts.implode()).all()
    area_sum = sum(a.polygon.area for a in demo_city.areas if a.kind == "grid")
    district_sum = sum(a.polygon.area for a in demo_city.areas if a.kind == "district")
    assert area_sum == pytest.approx(district_sum)


def test_addresses_and_landmarks(demo_city: City) -> None:
    addresses = demo_city.addresses
    assert 15_000 <= addresses.height <= 30_000
    assert addresses.select("road_name", "number", "building", "unit").is_unique().all()
    assert addresses["full_text"][0].startswith("河北省保定市")
    assert addresses.filter(pl.col("building").is_not_null()).height > addresses.height / 3
    landmarks = demo_city.landmarks
    assert set(landmarks["kind"]) == {"mall", "school", "hospital"}
    assert "万博广场" in set(landmarks["name"])
    assert landmarks["name"].n_unique() == landmarks.height
    assert demo_city.houses.height == addresses.height
    assert {"signal", "camera", "checkpoint", "sign"} <= set(demo_city.facilities["kind"])
