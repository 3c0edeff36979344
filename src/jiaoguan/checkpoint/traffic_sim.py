"""Simulated checkpoint traffic: the city's registered vehicles drive trips through checkpoints,
with planted cloned plates, wanted vehicles, restriction violators and recognition errors.

The same generator feeds three consumers: `jiaoguan simulate` (Parquet files and ground truth,
registered here as the "checkpoint" batch scenario), the live "checkpoint" scenario (one day at a
time, sliced into windows and posted through VIID), and benchmarks/bench_checkpoint.py (clone
detection scored against the truth).

Model (vectorised over trips, one simulated day at a time):
- checkpoints sit at arterial crossings (`checkpoint_sites`); road travel times between them come
  from the city's directed road graph at the speed limit (`TravelTimes`);
- each vehicle makes a Poisson number of trips a day, starting near its home checkpoint at a time
  drawn from a two-peak daily profile; a trip hops 1-6 times to one of the nearest checkpoints,
  each hop taking the free-flow time times a congestion factor >= `min_slowdown`, so a correctly
  read plate never shows impossible travel;
- planted, at rates set in `TrafficConfig`: cloned plates (a second, unregistered vehicle drives
  with a registered vehicle's plate, often with other colour or brand), wanted vehicles (stolen,
  hit-and-run), trucks entering the central zone in banned hours, OCR misreads of confusable
  characters and provinces, unreadable plates, and misrecognised colour or brand.
Ground truth per pass (true vehicle, true plate, noise kind) is kept apart from the pass columns a
device would send.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from jiaoguan.sim.batch import BatchOutput, ProgressStart, register_batch
from jiaoguan.sim.city import City

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
TOLLGATE_PREFIX = "13060000" + "00" + "121"  # division 130600 centre, industry 00, type 121
# GA/T 1400 ColorType codes (standards.md §1.11, §1.13) for registry colours and plate colours.
PLATE_COLOUR_CODE = {
    "BLUE": "5",
    "YELLOW": "6",
    "BLACK": "1",
    "WHITE": "2",
    "GREEN": "9",
    "YELLOW_GREEN": "9",  # no code of its own: NEV plates arrive as green
}
VEHICLE_COLOUR_CODE = {
    "黑": "1",
    "白": "2",
    "灰": "3",
    "银": "3",  # ColorType has no silver: cameras report grey
    "红": "4",
    "蓝": "5",
    "黄": "6",
    "棕": "8",
    "绿": "9",
}
# OCR confusions (algorithms.md §3.3-3.4): serial characters and province characters.
CHAR_CONFUSIONS = {
    "0": "DQ",
    "D": "0",
    "Q": "0",
    "8": "B",
    "B": "8",
    "1": "7",
    "7": "1",
    "2": "Z",
    "Z": "2",
    "5": "S",
    "S": "5",
    "6": "G",
    "G": "6",
    "3": "8",
}
PROVINCE_CONFUSIONS = {"冀": "京晋豫", "京": "冀", "鄂": "粤", "粤": "鄂", "豫": "琼", "闽": "新"}
TRUCK_PREFIXES = ("H", "Q", "Z")  # GA/T 16.4 goods, tractor units, special work vehicles
DIRECTIONS = ("1", "2", "3", "4")  # MonitorDirection: W→E, E→W, N→S, S→N
WANTED_KINDS = ("stolen", "hit_and_run")


@dataclass(frozen=True)
class CheckpointSite:
    """Where a simulated checkpoint stands: a road node at an arterial crossing."""

    code: str  # 20-digit TollgateID
    name: str
    node: int
    lon: float
    lat: float
    lanes: int
    central: bool  # inside the truck-restricted central zone


@dataclass(frozen=True)
class RestrictionRule:
    """The planted 闯禁行 rule: trucks inside the central zone between these local hours."""

    vehicle_class_prefixes: tuple[str, ...] = TRUCK_PREFIXES
    start_hour: int = 7
    end_hour: int = 20
    zone_radius_share: float = 0.3  # central zone: this share of the city's half-width


@dataclass(frozen=True)
class TrafficConfig:
    trips_per_day: float = 2.0  # per registered vehicle
    clone_trips_per_day: float = 6.0  # cloned-plate cars are worked hard (unlicensed taxis, trucks)
    max_hops: int = 6
    neighbours: int = 5  # a hop goes to one of this many nearest checkpoints
    min_slowdown: float = 1.15  # hop time >= free-flow time x this
    clone_share: float = 0.001  # of registered vehicles, whose plate a second car uses
    clone_features_differ: float = 0.5  # the clone's colour or brand differs from the registry's
    wanted_share: float = 0.001
    truck_violation_share: float = 0.05  # of trucks: those that ignore the ban some days
    ocr_char_rate: float = 0.02  # a confusable serial character misread
    ocr_province_rate: float = 0.003
    unreadable_rate: float = 0.01
    feature_error_rate: float = 0.02  # colour or brand misrecognised
    vehicle_share: float = 1.0  # drive only this share of the registry (live demo, tests)


@dataclass(frozen=True)
class DayTraffic:
    """One simulated day: `passes` as a device reports them, `truth` row by row beside them."""

    passes: pl.DataFrame
    truth: pl.DataFrame


def checkpoint_sites(city: City, count: int | None = None) -> list[CheckpointSite]:
    """Checkpoints at arterial crossings spread over the city (deterministic per city).

    `count` defaults to about one per 2.5 km² of the road grid, at least 8, at most 200.
    """
    edges = city.edges.filter(pl.col("road_class") == "arterial")
    degree = pl.concat(
        [edges.select(node="source", o="road_id"), edges.select(node="target", o="road_id")]
    )
    orientation = city.roads.select("road_id", "orientation")
    crossings = (
        degree.join(orientation, left_on="o", right_on="road_id")
        .group_by("node")
        .agg(pl.col("orientation").n_unique().alias("k"))
        .filter(pl.col("k") >= 2)
        .sort("node")
    )
    nodes = city.nodes
    xy = nodes.select("x", "y").to_numpy()
    candidates = crossings["node"].to_numpy()
    if candidates.size == 0:
        candidates = np.arange(nodes.height)
    area_km2 = float(np.ptp(xy[:, 0]) * np.ptp(xy[:, 1])) / 1e6
    wanted = count or int(np.clip(area_km2 / 2.5, 8, 200))
    chosen = _spread_points(xy[candidates], min(wanted, candidates.size))
    picked = candidates[chosen]
    half = float(np.ptp(xy[:, 0])) / 2
    centre = xy.mean(axis=0)
    radius = RestrictionRule().zone_radius_share * half
    ordered = sorted(int(n) for n in picked)
    # The zone always holds at least the checkpoint nearest the centre (small cities).
    nearest = min(ordered, key=lambda node: float(np.hypot(*(xy[node] - centre))))
    sites = []
    for seq, node in enumerate(ordered):
        x, y = xy[node]
        sites.append(
            CheckpointSite(
                # Sequence 9000001 on: never one of the demo registry's own checkpoint codes.
                code=f"{TOLLGATE_PREFIX}{9_000_001 + seq:07d}",
                name=f"{_road_names(city, node)}卡口",
                node=node,
                lon=float(nodes["lon"][node]),
                lat=float(nodes["lat"][node]),
                lanes=4,
                central=node == nearest or bool(np.hypot(x - centre[0], y - centre[1]) <= radius),
            )
        )
    return sites


def _spread_points(xy: npt.NDArray[np.float64], count: int) -> npt.NDArray[np.int64]:
    """Farthest-point sampling from the point nearest the centre: an even spread."""
    centre = xy.mean(axis=0)
    first = int(np.argmin(np.hypot(*(xy - centre).T)))
    chosen = [first]
    distance = np.hypot(*(xy - xy[first]).T)
    for _ in range(count - 1):
        nxt = int(np.argmax(distance))
        chosen.append(nxt)
        distance = np.minimum(distance, np.hypot(*(xy - xy[nxt]).T))
    return np.array(chosen, dtype=np.int64)


def _road_names(city: City, node: int) -> str:
    names = (
        city.edges.filter((pl.col("source") == node) & (pl.col("road_class") == "arterial"))
        .get_column("name")
        .unique(maintain_order=True)
        .to_list()
    )
    return "与".join(sorted(names)[:2]) or f"路口{node}"


class TravelTimes:
    """Free-flow road travel time in seconds between every ordered pair of checkpoints."""

    def __init__(self, city: City, sites: list[CheckpointSite]) -> None:
        e = city.edges
        n = city.nodes.height
        graph = csr_matrix(
            (e["travel_s"].to_numpy(), (e["source"].to_numpy(), e["target"].to_numpy())),
            shape=(n, n),
        )
        nodes = np.array([s.node for s in sites], dtype=np.int64)
        full = dijkstra(graph, directed=True, indices=nodes)
        self.seconds: npt.NDArray[np.float64] = np.asarray(full[:, nodes])
        self.codes = [s.code for s in sites]

    def nearest(self, k: int) -> npt.NDArray[np.int64]:
        """For each checkpoint the k nearest others by travel time (fewer when there are fewer)."""
        k = min(k, len(self.codes) - 1)
        order = np.argsort(self.seconds, axis=1)
        return np.ascontiguousarray(order[:, 1 : k + 1])

    def frame(self) -> pl.DataFrame:
        a, b = np.meshgrid(np.arange(len(self.codes)), np.arange(len(self.codes)), indexing="ij")
        codes = np.array(self.codes)
        return pl.DataFrame(
            {
                "from_code": codes[a.ravel()],
                "to_code": codes[b.ravel()],
                "free_flow_s": self.seconds.ravel(),
            }
        ).filter(pl.col("from_code") != pl.col("to_code"))


@dataclass
class _Fleet:
    """Everything that drives: registered vehicles, then the clone cars (ids past the registry)."""

    vehicle_id: npt.NDArray[np.int64]
    plate: npt.NDArray[np.str_]
    plate_class: npt.NDArray[np.str_]
    plate_colour: npt.NDArray[np.str_]
    vehicle_class: npt.NDArray[np.str_]
    vehicle_colour: npt.NDArray[np.str_]
    brand: npt.NDArray[np.str_]
    home: npt.NDArray[np.int64]  # index of the home checkpoint
    trips: npt.NDArray[np.float64]  # mean trips a day
    truck: npt.NDArray[np.bool_]
    violator: npt.NDArray[np.bool_]
    clone: npt.NDArray[np.bool_]


@dataclass
class TrafficSim:
    """Deterministic per (city, seed, config): `day(n)` gives the same passes every time."""

    city: City
    seed: int = 1
    config: TrafficConfig = field(default_factory=TrafficConfig)
    sites: list[CheckpointSite] = field(default_factory=list)
    rule: RestrictionRule = field(default_factory=RestrictionRule)

    def __post_init__(self) -> None:
        if not self.sites:
            self.sites = checkpoint_sites(self.city)
        self.travel = TravelTimes(self.city, self.sites)
        self.neighbours = self.travel.nearest(self.config.neighbours)
        self.central = np.array([s.central for s in self.sites])
        self.lanes = np.array([s.lanes for s in self.sites])
        self.codes = np.array([s.code for s in self.sites])

    # ---- the fleet and what is planted in it ----------------------------------------------

    @cached_property
    def registry(self) -> pl.DataFrame:
        vehicles = self.city.vehicles.select(
            "vehicle_id", "plate_no", "plate_class", "plate_color", "vehicle_class", "brand",
            "vehicle_color", "category", "status",
        )  # fmt: skip
        share = self.config.vehicle_share
        if share < 1.0:
            rng = np.random.default_rng([self.seed, 71])
            vehicles = vehicles.filter(pl.Series(rng.random(vehicles.height) < share))
        return vehicles

    @cached_property
    def clones(self) -> pl.DataFrame:
        """Planted cloned plates: the registered vehicle and the clone car using its plate."""
        rng = np.random.default_rng([self.seed, 72])
        reg = self.registry.filter(pl.col("status") == "normal")
        count = max(1, round(self.registry.height * self.config.clone_share))
        picked = reg[np.sort(rng.choice(reg.height, min(count, reg.height), replace=False))]
        differs = rng.random(picked.height) < self.config.clone_features_differ
        colour_not_brand = rng.random(picked.height) < 0.5
        colours = np.array(list(VEHICLE_COLOUR_CODE))
        new_colour = [
            _other(rng, colours, c, same_code=VEHICLE_COLOUR_CODE) for c in picked["vehicle_color"]
        ]
        brands = np.unique(self.registry["brand"].to_numpy())
        new_brand = [_other(rng, brands, b) for b in picked["brand"]]
        first_clone_id = int(self.city.vehicles["vehicle_id"].max()) + 1  # type: ignore[arg-type]
        return picked.select(
            pl.col("plate_no").alias("plate"),
            pl.col("vehicle_id").alias("original_vehicle_id"),
            pl.Series(
                "clone_vehicle_id", np.arange(first_clone_id, first_clone_id + picked.height)
            ),
            pl.Series("features_differ", differs),
            pl.Series(
                "clone_vehicle_color",
                np.where(differs & colour_not_brand, new_colour, picked["vehicle_color"]),
            ),
            pl.Series(
                "clone_brand", np.where(differs & ~colour_not_brand, new_brand, picked["brand"])
            ),
            "vehicle_color",
            "brand",
        )

    @cached_property
    def wanted(self) -> pl.DataFrame:
        """Planted wanted vehicles (stolen, hit-and-run suspects): to be put on a watchlist."""
        rng = np.random.default_rng([self.seed, 73])
        reg = self.registry
        count = max(1, round(reg.height * self.config.wanted_share))
        rows = np.sort(rng.choice(reg.height, min(count, reg.height), replace=False))
        return reg[rows].select(
            "vehicle_id",
            pl.col("plate_no").alias("plate"),
            "plate_class",
            pl.Series("kind", rng.choice(WANTED_KINDS, rows.size)),
        )

    @cached_property
    def fleet(self) -> _Fleet:
        rng = np.random.default_rng([self.seed, 74])
        reg = self.registry
        clones = self.clones
        clone_base = reg.join(
            clones.select(
                "original_vehicle_id", "clone_vehicle_id", "clone_vehicle_color", "clone_brand"
            ),
            left_on="vehicle_id",
            right_on="original_vehicle_id",
        ).with_columns(
            vehicle_id=pl.col("clone_vehicle_id"),
            vehicle_color=pl.col("clone_vehicle_color"),
            brand=pl.col("clone_brand"),
        )
        columns = ["vehicle_id", "plate_no", "plate_class", "plate_color", "vehicle_class",
                   "vehicle_color", "brand"]  # fmt: skip
        both = pl.concat([reg.select(columns), clone_base.select(columns)])
        n_reg, n = reg.height, both.height
        clone = np.arange(n) >= n_reg
        truck = np.array([str(c).startswith(TRUCK_PREFIXES) for c in both["vehicle_class"]])
        trips = np.where(clone, self.config.clone_trips_per_day, self.config.trips_per_day)
        trips = np.where(truck & ~clone, self.config.trips_per_day * 1.5, trips)
        # Trucks live and mostly work outside the central zone.
        outer = np.flatnonzero(~self.central)
        home = rng.integers(0, len(self.sites), n)
        if outer.size:
            home = np.where(truck, outer[rng.integers(0, outer.size, n)], home)
        violator = truck & (rng.random(n) < self.config.truck_violation_share)
        return _Fleet(
            vehicle_id=both["vehicle_id"].to_numpy(),
            plate=both["plate_no"].to_numpy().astype(str),
            plate_class=both["plate_class"].to_numpy().astype(str),
            plate_colour=np.array([PLATE_COLOUR_CODE.get(c, "99") for c in both["plate_color"]]),
            vehicle_class=both["vehicle_class"].to_numpy().astype(str),
            vehicle_colour=np.array(
                [VEHICLE_COLOUR_CODE.get(c, "99") for c in both["vehicle_color"]]
            ),
            brand=both["brand"].to_numpy().astype(str),
            home=home,
            trips=trips,
            truck=truck,
            violator=violator,
            clone=clone,
        )

    # ---- one day ----------------------------------------------------------------------------

    def day(self, index: int, start: dt.date | None = None) -> DayTraffic:
        """Passes of simulated day `index` (0-based) from `start` (default: the city's as-of date)."""
        first = start or self.city.as_of
        return self._day(np.random.default_rng([self.seed, 75, index]), first + dt.timedelta(index))

    def on(self, date: dt.date) -> DayTraffic:
        """Passes of a calendar day (live runs follow the wall clock): one traffic per date."""
        return self._day(np.random.default_rng([self.seed, 76, date.toordinal()]), date)

    def _day(self, rng: np.random.Generator, date: dt.date) -> DayTraffic:
        midnight = dt.datetime.combine(date, dt.time(), SHANGHAI)
        vehicle, hop_site, hop_time = self._trips(rng, self.fleet)
        return self._observe(rng, self.fleet, vehicle, hop_site, hop_time, midnight)

    def days(self, count: int, start: dt.date | None = None) -> Iterator[DayTraffic]:
        for index in range(count):
            yield self.day(index, start)

    def _trips(
        self, rng: np.random.Generator, fleet: _Fleet
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """(fleet row, checkpoint index, seconds after local midnight) of every pass of the day.

        A vehicle's trips run one after another: a trip starts no sooner than the previous one
        ended plus the drive from where it ended, so a correctly read plate never jumps.
        """
        cfg = self.config
        per_vehicle = rng.poisson(fleet.trips)
        vehicle = np.repeat(np.arange(fleet.trips.size), per_vehicle)
        trips = vehicle.size
        wished = _departure_seconds(rng, trips)
        order = np.lexsort((wished, vehicle))
        vehicle, wished = vehicle[order], wished[order]
        # Half the trips begin at home, the others at a checkpoint near it.
        nearby = self.neighbours[
            fleet.home[vehicle], rng.integers(0, self.neighbours.shape[1], trips)
        ]
        site = np.where(rng.random(trips) < 0.5, fleet.home[vehicle], nearby)
        hops = np.minimum(rng.geometric(0.35, trips), cfg.max_hops)
        # Obedient trucks in banned hours go round the central zone; violators do not care.
        keep_out = fleet.truck[vehicle] & _in_hours(wished, self.rule) & ~fleet.violator[vehicle]
        site = np.where(keep_out & self.central[site], self._outer_of[site], site)
        sites = np.full((trips, cfg.max_hops), -1, dtype=np.int64)
        offset = np.zeros((trips, cfg.max_hops))
        sites[:, 0] = site
        previous = np.full(trips, -1)
        for hop in range(1, cfg.max_hops):
            choice = self.neighbours[site, rng.integers(0, self.neighbours.shape[1], trips)]
            # No immediate U-turn back to the previous checkpoint.
            choice = np.where(choice == previous, self.neighbours[site, 0], choice)
            choice = np.where(keep_out & self.central[choice], self._outer_of[site], choice)
            offset[:, hop] = offset[:, hop - 1] + self.travel.seconds[
                site, choice
            ] * self._slowdown(rng, trips)
            previous, site = site, choice
            sites[:, hop] = np.where(hops > hop, site, -1)
        last = sites[np.arange(trips), hops - 1]
        duration = offset[np.arange(trips), hops - 1]
        start = _sequential_starts(
            vehicle,
            wished,
            duration,
            # From the end of one trip to the start of the next: the drive, then a stop.
            self.travel.seconds[np.roll(last, 1), sites[:, 0]] * self._slowdown(rng, trips)
            + rng.uniform(300, 3600, trips),
        )
        taken = sites >= 0
        rows = np.broadcast_to(vehicle[:, None], sites.shape)[taken]
        times = (start[:, None] + offset)[taken]
        return rows, sites[taken], times

    def _slowdown(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        """Actual over free-flow driving time: never below `min_slowdown` (no impossible drive)."""
        return self.config.min_slowdown + rng.gamma(2.0, 0.25, n)

    @cached_property
    def _outer_of(self) -> npt.NDArray[np.int64]:
        """For each checkpoint, the nearest checkpoint outside the central zone (itself if outer)."""
        seconds = np.where(self.central[None, :], np.inf, self.travel.seconds)
        nearest = np.argmin(seconds, axis=1)
        return np.where(self.central, nearest, np.arange(len(self.sites)))

    def _observe(
        self,
        rng: np.random.Generator,
        fleet: _Fleet,
        vehicle: npt.NDArray[np.int64],
        site: npt.NDArray[np.int64],
        seconds: npt.NDArray[np.float64],
        midnight: dt.datetime,
    ) -> DayTraffic:
        """What the cameras record, with recognition errors, and the truth of each record."""
        cfg = self.config
        day_s = 86_400.0
        inside = seconds < day_s  # trips running past midnight end there
        vehicle, site, seconds = vehicle[inside], site[inside], np.floor(seconds[inside])
        order = np.lexsort((site, seconds))
        vehicle, site, seconds = vehicle[order], site[order], seconds[order]
        n = vehicle.size
        true_plate = fleet.plate[vehicle]
        draw = rng.random(n)
        noise = np.full(n, "", dtype=object)
        noise[draw < cfg.ocr_char_rate] = "char"
        edge = cfg.ocr_char_rate + cfg.ocr_province_rate
        noise[(draw >= cfg.ocr_char_rate) & (draw < edge)] = "province"
        noise[(draw >= edge) & (draw < edge + cfg.unreadable_rate)] = "unreadable"
        plate = np.array(
            [_misread(rng, p, k) for p, k in zip(true_plate, noise, strict=True)], dtype=object
        )
        colour = fleet.vehicle_colour[vehicle].astype(object)
        brand = fleet.brand[vehicle].astype(object)
        feature = (rng.random(n) < cfg.feature_error_rate) & (noise == "")
        colour_codes = np.array(sorted(set(VEHICLE_COLOUR_CODE.values())))
        wrong_colour = colour_codes[rng.integers(0, colour_codes.size, n)]
        colour = np.where(feature, wrong_colour, colour)
        noise[feature] = "feature"
        passed = np.datetime64(
            midnight.astimezone(dt.UTC).replace(tzinfo=None), "s"
        ) + seconds.astype("timedelta64[s]")
        local = np.datetime64(midnight.replace(tzinfo=None), "s") + seconds.astype("timedelta64[s]")
        sequence = np.arange(n) % 100_000
        code = self.codes[site]
        stamp = np.datetime_as_string(local, unit="s")
        compact = np.char.replace(
            np.char.replace(np.char.replace(stamp, "-", ""), ":", ""), "T", ""
        )
        record_id = _record_ids(code, compact, sequence)
        truck = fleet.truck[vehicle]
        violation = truck & self.central[site] & _in_hours(seconds, self.rule)
        passes = pl.DataFrame(
            {
                "record_id": record_id,
                "tollgate_code": code,
                "lane_no": rng.integers(1, self.lanes[site] + 1),
                "passed_at": pl.Series(passed.astype("datetime64[us]")).dt.replace_time_zone("UTC"),
                "plate_raw": plate.astype(str),
                "plate_colour": fleet.plate_colour[vehicle],
                "plate_class": fleet.plate_class[vehicle],
                "vehicle_class": fleet.vehicle_class[vehicle],
                "vehicle_colour": colour.astype(str),
                "brand": brand.astype(str),
                "speed_kmh": np.round(rng.normal(42, 9, n).clip(5, 110), 1),
                "direction": np.array(DIRECTIONS)[rng.integers(0, len(DIRECTIONS), n)],
            }
        )
        truth = pl.DataFrame(
            {
                "record_id": record_id,
                "vehicle_id": fleet.vehicle_id[vehicle],
                "true_plate": true_plate,
                "clone": fleet.clone[vehicle],
                "noise": noise.astype(str),
                "violation": violation,
            }
        )
        return DayTraffic(passes, truth)

    # ---- truth over a run -------------------------------------------------------------------

    def facts(self) -> dict[str, Any]:
        fleet = self.fleet
        return {
            "seed": self.seed,
            "config": asdict(self.config),
            "restriction": asdict(self.rule),
            "checkpoints": len(self.sites),
            "central_checkpoints": int(self.central.sum()),
            "registered_vehicles": self.registry.height,
            "clone_plates": self.clones.height,
            "wanted": self.wanted.height,
            "trucks": int(fleet.truck.sum()),
            "truck_violators": int(fleet.violator.sum()),
        }

    def sites_frame(self) -> pl.DataFrame:
        return pl.DataFrame([asdict(s) for s in self.sites])


def impossible_pairs(
    passes: pl.DataFrame, truth: pl.DataFrame, travel: pl.DataFrame, *, tolerance: float = 1.0
) -> pl.DataFrame:
    """Consecutive sightings of one true plate, by different vehicles, faster than free flow.

    The truth-side count of the contradictions a clone detector can find (OCR-noise-free): a
    planted clone with none of them is detectable only by feature mismatch.
    """
    frame = (
        passes.select("record_id", "tollgate_code", "passed_at")
        .join(truth.select("record_id", "true_plate", "vehicle_id", "noise"), on="record_id")
        .filter(pl.col("noise") != "unreadable")
        .sort("true_plate", "passed_at")
        .with_columns(
            prev_code=pl.col("tollgate_code").shift().over("true_plate"),
            prev_at=pl.col("passed_at").shift().over("true_plate"),
            prev_vehicle=pl.col("vehicle_id").shift().over("true_plate"),
        )
        .filter(
            pl.col("prev_vehicle").is_not_null() & (pl.col("prev_vehicle") != pl.col("vehicle_id"))
        )
        .join(travel, left_on=["prev_code", "tollgate_code"], right_on=["from_code", "to_code"])
        .filter(
            (pl.col("passed_at") - pl.col("prev_at")).dt.total_seconds()
            < pl.col("free_flow_s") * tolerance
        )
    )
    return frame.group_by("true_plate").agg(pl.len().alias("impossible_pairs"))


def _departure_seconds(rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
    """Wished trip start times (local): morning and evening peaks over a daytime base, some late
    evening. Nobody leaves before 05:00, so a day never continues the previous day's last trip."""
    kind = rng.choice(4, n, p=[0.25, 0.25, 0.42, 0.08])
    hours = np.select(
        [kind == 0, kind == 1, kind == 2],
        [rng.normal(8.0, 1.0, n), rng.normal(17.8, 1.2, n), rng.uniform(6.5, 22.0, n)],
        rng.uniform(5.0, 23.5, n),
    )
    seconds: npt.NDArray[np.float64] = np.clip(hours, 5.0, 23.5) * 3600.0
    return seconds


def _sequential_starts(
    vehicle: npt.NDArray[np.int64],
    wished: npt.NDArray[np.float64],
    duration: npt.NDArray[np.float64],
    gap_before: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Start of each trip (sorted by vehicle, then wish): s[k] = max(wished[k], s[k-1] +
    duration[k-1] + gap_before[k]) within a vehicle, as a grouped running maximum."""
    first = np.ones(vehicle.size, dtype=bool)
    first[1:] = vehicle[1:] != vehicle[:-1]
    step = np.where(first, 0.0, np.roll(duration, 1) + gap_before)
    # Cumulative sum restarting at each vehicle's first trip.
    total = np.cumsum(step)
    base = np.maximum.accumulate(np.where(first, total, -np.inf))
    shift = total - base
    group = np.cumsum(first).astype(np.float64)
    span = 10.0 * (float(np.abs(wished).max(initial=0)) + float(shift.max(initial=0)) + 1.0)
    running = np.maximum.accumulate(wished - shift + group * span) - group * span
    starts: npt.NDArray[np.float64] = running + shift
    return starts


def _in_hours(seconds: npt.NDArray[np.float64], rule: RestrictionRule) -> npt.NDArray[np.bool_]:
    hour = seconds / 3600.0
    return (hour >= rule.start_hour) & (hour < rule.end_hour)


def _misread(rng: np.random.Generator, plate: str, kind: str) -> str:
    if kind == "unreadable":
        return "-"  # the legacy and VIID no-plate placeholder
    if kind == "province" and plate[:1] in PROVINCE_CONFUSIONS:
        options = PROVINCE_CONFUSIONS[plate[0]]
        return options[int(rng.integers(0, len(options)))] + plate[1:]
    if kind == "char":
        spots = [i for i in range(2, len(plate)) if plate[i] in CHAR_CONFUSIONS]
        if spots:
            i = spots[int(rng.integers(0, len(spots)))]
            options = CHAR_CONFUSIONS[plate[i]]
            return plate[:i] + options[int(rng.integers(0, len(options)))] + plate[i + 1 :]
    return plate


def _other(
    rng: np.random.Generator,
    values: npt.NDArray[Any],
    current: str,
    same_code: dict[str, str] | None = None,
) -> str:
    """A value other than `current` (and, for colours, one a camera reports differently)."""
    code = same_code or {}
    options = [v for v in values if v != current and code.get(v, v) != code.get(current, current)]
    return str(options[int(rng.integers(0, len(options)))]) if options else current


def _record_ids(
    codes: npt.NDArray[np.str_], compact: npt.NDArray[np.str_], sequence: npt.NDArray[np.int64]
) -> npt.NDArray[np.str_]:
    """48-character MotorVehicleIDs (standards.md §1.8): device 20 + 02 + time 14 + seq 5 + 02 + 5."""
    seq = np.char.zfill(sequence.astype(str), 5)
    head = np.char.add(np.char.add(codes, "02"), compact)
    return np.char.add(np.char.add(np.char.add(head, seq), "02"), "00001")


def motor_vehicle_objects(passes: pl.DataFrame) -> list[dict[str, Any]]:
    """Passes as GA/T 1400 MotorVehicleObjects, as a device posts them (standards.md §1.5):
    compact Beijing time, ColorType codes, HasPlate 0 for an unread plate."""
    frame = passes.select(
        pl.col("record_id").alias("MotorVehicleID"),
        pl.lit(1).alias("InfoKind"),
        pl.col("tollgate_code").alias("TollgateID"),
        pl.col("tollgate_code").alias("DeviceID"),
        pl.col("lane_no").alias("LaneNo"),
        pl.col("passed_at")
        .dt.convert_time_zone("Asia/Shanghai")
        .dt.strftime("%Y%m%d%H%M%S")
        .alias("PassTime"),
        pl.when(pl.col("plate_raw") == "-")
        .then(pl.lit("0"))
        .otherwise(pl.lit("1"))
        .alias("HasPlate"),
        pl.col("plate_raw").alias("PlateNo"),
        pl.col("plate_colour").alias("PlateColor"),
        pl.col("plate_class").alias("PlateClass"),
        pl.col("vehicle_class").alias("VehicleClass"),
        pl.col("vehicle_colour").alias("VehicleColor"),
        pl.col("brand").alias("VehicleBrand"),
        pl.col("speed_kmh").alias("Speed"),
        pl.col("direction").alias("Direction"),
    )
    return frame.to_dicts()


# ---- `jiaoguan simulate` ------------------------------------------------------------------------


@dataclass
class CheckpointBatch:
    """The batch scenario: passes per day as Parquet parts, ground truth beside them."""

    name: str = "checkpoint"
    seed: int = 1

    def run(self, city: City, days: int, out: BatchOutput, progress: ProgressStart) -> None:
        sim = TrafficSim(city, self.seed)
        out.write("checkpoint/checkpoints", sim.sites_frame())
        travel = sim.travel.frame()
        out.write("checkpoint/travel_times", travel)
        advance = progress("卡口：过车记录（按天）", days)
        truths: list[pl.DataFrame] = []
        passes: list[pl.DataFrame] = []
        for index, traffic in enumerate(sim.days(days)):
            out.write_part("checkpoint/passes", index, traffic.passes)
            out.write_part("truth/checkpoint_pass_truth", index, traffic.truth)
            passes.append(
                traffic.passes.select("record_id", "tollgate_code", "passed_at", "plate_raw")
            )
            truths.append(traffic.truth)
            advance(1)
        write_truth(sim, out, pl.concat(passes), pl.concat(truths), travel)


def write_truth(
    sim: TrafficSim,
    out: BatchOutput,
    passes: pl.DataFrame,
    truth: pl.DataFrame,
    travel: pl.DataFrame,
) -> None:
    """Planted facts: clones (with their detectable contradictions), wanted, violations, noise."""
    pairs = impossible_pairs(passes, truth, travel)
    clones = sim.clones.join(
        pairs, left_on="plate", right_on="true_plate", how="left"
    ).with_columns(pl.col("impossible_pairs").fill_null(0))
    out.truth("checkpoint_clones", clones)
    seen = truth.group_by("vehicle_id").agg(pl.len().alias("passes"))
    out.truth("checkpoint_wanted", sim.wanted.join(seen, on="vehicle_id", how="left"))
    out.truth(
        "checkpoint_violations",
        truth.filter("violation").select("record_id", "vehicle_id", "true_plate"),
    )
    registered = set(sim.registry["plate_no"].to_list())
    misread = truth.filter(pl.col("noise").is_in(["char", "province"])).join(
        passes.select("record_id", "plate_raw"), on="record_id"
    )
    facts = sim.facts() | {
        "passes": truth.height,
        "noise": dict(truth.group_by("noise").len().rows()),
        "clone_passes": int(truth["clone"].sum()),
        "clones_with_impossible_travel": int((clones["impossible_pairs"] > 0).sum()),
        "violation_passes": int(truth["violation"].sum()),
        "misreads": misread.height,
        # Misreads that spell another registered plate: the false clones a detector must resist.
        "misreads_on_registered_plates": int(misread["plate_raw"].is_in(list(registered)).sum()),
    }
    out.truth("checkpoint", facts)


register_batch(CheckpointBatch())
