"""The synthetic city 示范市: roads, areas, standard addresses and populated registries.

`generate_city(seed, size)` is deterministic: the same seed and size give identical data. The
city is plain columnar data (polars DataFrames, shapely polygons, small dataclasses) and imports
no database model; `jiaoguan.sim.load` writes it into the platform through the registries' bulk
functions, and `write_city` writes it as Parquet with its ground truth.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Polygon, box

from jiaoguan.sim import codes
from jiaoguan.sim.names import COMPANY_WORDS, HOSPITALS, MALLS, ROAD_WORDS, SCHOOLS_SUFFIX
from jiaoguan.sim.population import (
    PopulationPlan,
    driver_chunks,
    plan_population,
    vehicle_chunks,
)
from jiaoguan.sim.roads import Network, NetworkSpec, build_network, cn_number, to_lonlat

PROVINCE = "河北省"
CITY = "保定市"  # the administrative division 130600 the demo detachment (示范市交警支队) serves
DEFAULT_AS_OF = dt.date(2026, 6, 1)
MAX_VEHICLES = 3_000_000


class CitySize(enum.StrEnum):
    test = "test"  # seconds: ~300 road nodes, ~1k vehicles
    demo = "demo"  # ~20k road nodes, ~50k vehicles
    bench = "bench"  # ~100k road nodes


@dataclass(frozen=True)
class SizeSpec:
    network: NetworkSpec
    vehicles: int
    addresses: int  # standard-address records, roughly
    grid_cells: int  # grids per police district along each axis
    landmarks: tuple[int, int, int]  # malls, schools, hospitals


SIZES: dict[CitySize, SizeSpec] = {
    CitySize.test: SizeSpec(NetworkSpec(18, 200.0, 2), 1_000, 600, 2, (3, 4, 2)),
    CitySize.demo: SizeSpec(NetworkSpec(142, 120.0, 4), 50_000, 20_000, 4, (12, 40, 12)),
    CitySize.bench: SizeSpec(NetworkSpec(316, 100.0, 6), 300_000, 100_000, 6, (12, 120, 12)),
}

# (code, name, kind, parent code): the areas follow the demo organisation (platform/bootstrap.py).
DISTRICTS = (("130602", "竞秀区"), ("130606", "莲池区"))
POLICE_DISTRICTS = (
    ("1306020101", "朝阳大街警务区", "130602"),  # 竞秀, north of the centre line
    ("1306020201", "东风路警务区", "130602"),  # 竞秀, south
    ("1306060101", "裕华路警务区", "130606"),  # 莲池, all of it
)
TRANSPORT_KINDS = {
    # company kind -> (business name, risk tier)
    "coach": ("客运", "key"),
    "tourist": ("旅游客运", "watch"),
    "hazmat": ("危险货物运输", "key"),
    "muck": ("渣土运输", "key"),
    "bus": ("公共交通", "general"),
}


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    kind: str  # district | police_district | grid | water
    parent_code: str | None
    polygon: Polygon  # WGS-84 lon/lat
    bounds_m: tuple[float, float, float, float]  # x0, y0, x1, y1 in city metres


@dataclass
class City:
    seed: int
    size: CitySize
    as_of: dt.date
    network: Network
    areas: list[Area]
    addresses: pl.DataFrame
    landmarks: pl.DataFrame
    companies: pl.DataFrame
    houses: pl.DataFrame
    facilities: pl.DataFrame
    plan: PopulationPlan = field(repr=False)

    @property
    def nodes(self) -> pl.DataFrame:
        return self.network.nodes

    @property
    def edges(self) -> pl.DataFrame:
        return self.network.edges

    @property
    def roads(self) -> pl.DataFrame:
        return self.network.roads

    @property
    def bridges(self) -> pl.DataFrame:
        return self.network.bridges

    def driver_chunks(self) -> Iterator[pl.DataFrame]:
        return driver_chunks(self.plan, self.addresses.height)

    def vehicle_chunks(self) -> Iterator[pl.DataFrame]:
        return vehicle_chunks(self.plan)

    @cached_property
    def drivers(self) -> pl.DataFrame:
        """All drivers at once: for test and demo cities; large ones go through the chunks."""
        return pl.concat(list(self.driver_chunks()))

    @cached_property
    def vehicles(self) -> pl.DataFrame:
        return pl.concat(list(self.vehicle_chunks()))

    def areas_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "code": [a.code for a in self.areas],
                "name": [a.name for a in self.areas],
                "kind": [a.kind for a in self.areas],
                "parent_code": [a.parent_code for a in self.areas],
                "wkt": [a.polygon.wkt for a in self.areas],
            },
            schema_overrides={"parent_code": pl.String},
        )

    @cached_property
    def length_graph(self) -> csr_matrix:
        e = self.edges
        n = self.nodes.height
        return csr_matrix(
            (e["length_m"].to_numpy(), (e["source"].to_numpy(), e["target"].to_numpy())),
            shape=(n, n),
        )

    def road_distances(self, source: int) -> npt.NDArray[np.float64]:
        """Shortest road distance in metres from one node to every node."""
        return np.asarray(dijkstra(self.length_graph, directed=True, indices=source))

    def straight_distance(self, a: int, b: int) -> float:
        xy = self.nodes.select("x", "y").to_numpy()
        return float(np.hypot(*(xy[a] - xy[b])))


def generate_city(
    seed: int,
    size: CitySize | str = CitySize.test,
    *,
    vehicles: int | None = None,
    as_of: dt.date = DEFAULT_AS_OF,
) -> City:
    """The city for `seed` and `size`; `vehicles` overrides the size's vehicle count (≤ 3 M)."""
    size = CitySize(size)
    spec = SIZES[size]
    count = spec.vehicles if vehicles is None else vehicles
    if not 1 <= count <= MAX_VEHICLES:
        raise ValueError(f"车辆数须在 1 到 {MAX_VEHICLES} 之间")
    rng = np.random.default_rng([seed, 1])
    network = build_network(spec.network, rng)
    areas = _areas(network, spec.grid_cells)
    addresses = _addresses(network, areas, spec.addresses, np.random.default_rng([seed, 2]))
    addresses, landmarks = _landmarks(addresses, spec.landmarks, np.random.default_rng([seed, 3]))
    companies = _companies(addresses, count, np.random.default_rng([seed, 4]))
    houses = _houses(addresses, np.random.default_rng([seed, 5]))
    facilities = _facilities(network, np.random.default_rng([seed, 6]))
    facilities = facilities.with_columns(
        grid_code=pl.Series(
            locate(areas, "grid", facilities["x"].to_numpy(), facilities["y"].to_numpy()),
            dtype=pl.String,
        )
    )
    plan = plan_population(seed, count, companies, as_of)
    return City(
        seed, size, as_of, network, areas, addresses, landmarks, companies, houses, facilities, plan
    )


# ---- areas ------------------------------------------------------------------------------------


def _area(code: str, name: str, kind: str, parent: str | None, b: tuple[float, ...]) -> Area:
    lon0, lat0 = to_lonlat(np.array([b[0]]), np.array([b[1]]))
    lon1, lat1 = to_lonlat(np.array([b[2]]), np.array([b[3]]))
    polygon = box(float(lon0[0]), float(lat0[0]), float(lon1[0]), float(lat1[0]))
    return Area(code, name, kind, parent, polygon, (b[0], b[1], b[2], b[3]))


def _areas(network: Network, cells: int) -> list[Area]:
    """Districts split west/east at the centre; police districts and grids tile them exactly."""
    xs, ys = network.nodes["x"].to_numpy(), network.nodes["y"].to_numpy()
    margin = 200.0
    x0, x1 = float(xs.min()) - margin, float(xs.max()) + margin
    y0, y1 = float(ys.min()) - margin, float(ys.max()) + margin
    district_bounds = {"130602": (x0, y0, 0.0, y1), "130606": (0.0, y0, x1, y1)}
    pd_bounds = {
        "1306020101": (x0, 0.0, 0.0, y1),
        "1306020201": (x0, y0, 0.0, 0.0),
        "1306060101": (0.0, y0, x1, y1),
    }
    areas = [_area(code, name, "district", None, district_bounds[code]) for code, name in DISTRICTS]
    for code, name, parent in POLICE_DISTRICTS:
        areas.append(_area(code, name, "police_district", parent, pd_bounds[code]))
    for code, name, _ in POLICE_DISTRICTS:
        bx0, by0, bx1, by1 = pd_bounds[code]
        w, h = (bx1 - bx0) / cells, (by1 - by0) / cells
        short = name.removesuffix("警务区")
        for serial in range(1, cells * cells + 1):
            row, col = divmod(serial - 1, cells)
            # Serial 1 is the north-west cell: 第一网格 as in the demo organisation.
            gb = (bx0 + col * w, by1 - (row + 1) * h, bx0 + (col + 1) * w, by1 - row * h)
            areas.append(
                _area(f"{code}{serial:02d}", f"{short}第{cn_number(serial)}网格", "grid", code, gb)
            )
    areas.append(_river(network))
    return areas


RIVER_HALF_WIDTH_M = 35.0


def _river(network: Network) -> Area:
    """The river as water, so the map shows why routes bend to the bridges."""
    water = LineString(network.river_xy).buffer(RIVER_HALF_WIDTH_M, cap_style="flat")
    xs, ys = (np.asarray(values) for values in water.exterior.xy)
    lon, lat = to_lonlat(xs, ys)
    x0, y0, x1, y1 = water.bounds
    return Area(
        "130600W01", "府河", "water", None, Polygon(zip(lon, lat, strict=True)), (x0, y0, x1, y1)
    )


def locate(
    areas: list[Area], kind: str, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
) -> npt.NDArray[np.object_]:
    """Code of the area of `kind` containing each point (rectangles, so no geometry library)."""
    out = np.full(len(x), None, dtype=object)
    for area in areas:
        if area.kind != kind:
            continue
        bx0, by0, bx1, by1 = area.bounds_m
        inside = (x >= bx0) & (x < bx1) & (y >= by0) & (y < by1)
        out[inside & (out == None)] = area.code  # noqa: E711 - elementwise comparison
    return out


# ---- standard addresses -----------------------------------------------------------------------


def _addresses(
    network: Network, areas: list[Area], target: int, rng: np.random.Generator
) -> pl.DataFrame:
    """Numbered addresses along both sides of every road; some are compounds with buildings and
    units (one record per building unit), as the standard-address registry keeps them."""
    e = network.edges
    lo = np.minimum(e["source"].to_numpy(), e["target"].to_numpy())
    hi = np.maximum(e["source"].to_numpy(), e["target"].to_numpy())
    seg = pl.DataFrame({"a": lo, "b": hi, "road_id": e["road_id"]}).unique(maintain_order=True)
    xs, ys = network.nodes["x"].to_numpy(), network.nodes["y"].to_numpy()
    compound_share, records_per_compound = 0.3, 8.0
    base = target / ((1 - compound_share) + compound_share * records_per_compound)
    per_segment = rng.poisson(base / seg.height, seg.height)
    which = np.repeat(np.arange(seg.height), per_segment)
    a, b = seg["a"].to_numpy()[which], seg["b"].to_numpy()[which]
    road = seg["road_id"].to_numpy()[which]
    t = rng.uniform(0.15, 0.85, len(which))
    side = np.where(rng.random(len(which)) < 0.5, 1.0, -1.0)
    dx, dy = xs[b] - xs[a], ys[b] - ys[a]
    norm = np.hypot(dx, dy)
    offset = rng.uniform(12, 25, len(which)) * side
    px = xs[a] + t * dx - dy / norm * offset
    py = ys[a] + t * dy + dx / norm * offset
    # Numbers grow along the road's axis, odd on one side and even on the other.
    orientation = network.roads.select("road_id", "orientation")
    frame = pl.DataFrame({"road_id": road, "x": px, "y": py, "side": side}).join(
        orientation, on="road_id", how="left"
    )
    frame = frame.with_columns(
        axis=pl.when(pl.col("orientation") == "ns").then("y").otherwise("x"),
    ).with_columns(
        number=(
            ((pl.col("axis") - pl.col("axis").min().over("road_id")) / 20).floor().cast(pl.Int64)
            * 2
            + pl.when(pl.col("side") > 0).then(1).otherwise(2)
        )
    )
    frame = frame.unique(["road_id", "number"], keep="first", maintain_order=True)
    frame = frame.join(network.roads.select("road_id", "name"), on="road_id", how="left")
    n = frame.height
    fx, fy = frame["x"].to_numpy(), frame["y"].to_numpy()
    compound = rng.random(n) < compound_share
    buildings = np.where(compound, rng.integers(2, 7, n), 0)
    units = np.where(compound, rng.integers(1, 4, n), 0)
    frame = frame.with_columns(
        compound=pl.Series(compound),
        buildings=pl.Series(buildings),
        units=pl.Series(units),
        **{
            f"{kind}_code": pl.Series(locate(areas, kind, fx, fy), dtype=pl.String)
            for kind in ("district", "police_district", "grid")
        },
    )
    # Expand compounds into building/unit records.
    frame = frame.with_columns(
        building=pl.when("compound").then(pl.int_ranges(1, pl.col("buildings") + 1)),
    ).explode("building")
    frame = frame.with_columns(
        unit=pl.when("compound").then(pl.int_ranges(1, pl.col("units") + 1)),
    ).explode("unit")
    district_names = dict(DISTRICTS)
    lon, lat = to_lonlat(frame["x"].to_numpy(), frame["y"].to_numpy())
    frame = frame.with_columns(
        lon=pl.Series(lon),
        lat=pl.Series(lat),
        district_name=pl.col("district_code").replace_strict(district_names),
    ).rename({"name": "road_name"})
    frame = frame.with_columns(
        full_text=pl.concat_str(
            pl.lit(PROVINCE + CITY),
            "district_name",
            "road_name",
            pl.col("number").cast(pl.String),
            pl.lit("号"),
            pl.when(pl.col("building").is_not_null())
            .then(pl.format("{}号楼{}单元", "building", "unit"))
            .otherwise(pl.lit("")),
        )
    )
    return frame.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("address_id"),
        "district_code",
        "district_name",
        "police_district_code",
        "grid_code",
        "road_id",
        "road_name",
        "number",
        "building",
        "unit",
        "full_text",
        "lon",
        "lat",
        "x",
        "y",
    )


def _landmarks(
    addresses: pl.DataFrame, counts: tuple[int, int, int], rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Malls, schools and hospitals at street addresses (not inside compounds)."""
    malls, schools, hospitals = counts
    names: list[tuple[str, str]] = []
    mall_names = list(MALLS) + [f"{w}购物中心" for w in ROAD_WORDS]
    names += [(n, "mall") for n in mall_names[:malls]]
    school_words = [ROAD_WORDS[i] for i in rng.permutation(len(ROAD_WORDS))]
    for i in range(schools):
        suffix = SCHOOLS_SUFFIX[i % len(SCHOOLS_SUFFIX)]
        word = school_words[i % len(school_words)]
        names.append((f"{CITY}{word}{suffix}" if i >= len(school_words) else f"{word}{suffix}",
                      "school"))  # fmt: skip
    names += [(f"{CITY}{h}", "hospital") for h in HOSPITALS[:hospitals]]
    street = addresses.filter(pl.col("building").is_null())
    picks = rng.choice(street.height, min(len(names), street.height), replace=False)
    chosen = street[picks]
    landmarks = pl.DataFrame(
        {
            "landmark_id": np.arange(len(picks)),
            "name": [n for n, _ in names[: len(picks)]],
            "kind": [k for _, k in names[: len(picks)]],
            "address_id": chosen["address_id"],
            "lon": chosen["lon"],
            "lat": chosen["lat"],
        }
    )
    addresses = addresses.join(
        landmarks.select("address_id", pl.col("name").alias("landmark")),
        on="address_id",
        how="left",
    )
    return addresses, landmarks


# ---- companies, houses, facilities ------------------------------------------------------------


def _companies(addresses: pl.DataFrame, vehicles: int, rng: np.random.Generator) -> pl.DataFrame:
    """Transport companies for the key vehicles and buses, plus ordinary companies (fleets)."""
    street = addresses.filter(pl.col("building").is_null())
    counts = {kind: max(2, vehicles // 8_000) for kind in TRANSPORT_KINDS}
    counts["general"] = max(20, vehicles // 2_000)
    prefixes = [f"{a}{b}" for a in ROAD_WORDS for b in COMPANY_WORDS]
    order = rng.permutation(len(prefixes))
    rows: list[dict[str, object]] = []
    for kind, count in counts.items():
        business, tier = TRANSPORT_KINDS.get(kind, ("商贸", "general"))
        for _ in range(count):
            prefix = prefixes[order[len(rows) % len(prefixes)]]
            address = street.row(int(rng.integers(street.height)), named=True)
            rows.append(
                {
                    "company_id": len(rows),
                    "credit_code": codes.credit_code(address["district_code"], 10_000 + len(rows)),
                    "name": f"{CITY}{prefix}{business}有限公司",
                    "kind": kind,
                    "transport": kind != "general",
                    "risk_tier": tier,
                    "address_id": address["address_id"],
                    "district_code": address["district_code"],
                    "grid_code": address["grid_code"],
                }
            )
    return pl.DataFrame(rows)


def _houses(addresses: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """One house per address record: flats in compounds, shops and single houses on the street."""
    n = addresses.height
    in_compound = addresses["building"].is_not_null().to_numpy()
    kind = np.where(
        in_compound, "住宅", np.where(rng.random(n) < 0.5, "商铺", np.where(rng.random(n) < 0.5,
                                                                            "办公", "平房"))
    )  # fmt: skip
    floors = np.where(in_compound, rng.integers(6, 34, n), rng.integers(1, 5, n))
    households = np.where(in_compound, floors * rng.integers(2, 5, n), 1)
    return pl.DataFrame(
        {
            "house_id": np.arange(n),
            "address_id": addresses["address_id"],
            "kind": kind,
            "floors": floors,
            "households": households,
            "built_year": rng.integers(1985, 2025, n),
            "grid_code": addresses["grid_code"],
        }
    )


def _facilities(network: Network, rng: np.random.Generator) -> pl.DataFrame:
    """Signals and red-light cameras at major crossings, checkpoints at bridges, speed signs."""
    e = network.edges
    major = e.filter(pl.col("road_class") != "local")
    per_node = (
        pl.concat([major.select(node="source", road="road_id"),
                   major.select(node="target", road="road_id")])
        .unique()
        .group_by("node")
        .agg(pl.len().alias("roads"))
    )  # fmt: skip
    crossings = per_node.filter(pl.col("roads") >= 2)["node"].sort().to_numpy()
    nodes = network.nodes
    rows: list[tuple[str, str, int]] = []  # kind, name, node
    names = dict(zip(network.roads["road_id"], network.roads["name"], strict=True))
    for node in crossings:
        rows.append(("signal", "信号灯", int(node)))
        if rng.random() < 0.5:
            rows.append(("camera", "电子警察", int(node)))
    for bridge in network.bridges.iter_rows(named=True):
        edge = network.edges.row(bridge["edge_ids"][0], named=True)
        rows.append(("checkpoint", f"{bridge['road_name']}桥卡口", edge["source"]))
        rows.append(("guardrail", f"{bridge['road_name']}桥护栏", edge["target"]))
    first_edge = major.group_by("road_id").agg(pl.col("source").min()).sort("road_id")
    speeds = dict(zip(network.roads["road_id"], network.roads["speed_kph"], strict=True))
    for road_id, source in first_edge.iter_rows():
        rows.append(("sign", f"{names[road_id]}限速{int(speeds[road_id])}标志", int(source)))
    at = np.array([r[2] for r in rows], dtype=np.int64)
    return pl.DataFrame(
        {
            "facility_id": np.arange(len(rows)),
            "kind": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "node_id": at,
            "lon": nodes["lon"].to_numpy()[at],
            "lat": nodes["lat"].to_numpy()[at],
            "x": nodes["x"].to_numpy()[at],
            "y": nodes["y"].to_numpy()[at],
        }
    )
