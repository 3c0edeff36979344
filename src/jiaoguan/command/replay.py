"""Offline replay of the seed's claim (SYSTEM.md §1: handling time 18.2 → 13.4 min after nearest
dispatch) in the simulated city: one incident stream, handled four ways.

- relay: the 122 centre hands the incident to the area's brigade (大队) by phone, the brigade's
  duty desk picks one of its own free officers without positions, by where the roster puts him
  (his post, or the centre of his patrol beat), and raises him by radio;
- nearest: the centre sees live positions and sends the top pick of `recommend()` (road ETA)
  directly; with nobody recommendable it falls back to the relay;
- nearest_hourly: as nearest, with the recommendation using the hour's speed factors
  (`RecommendConfig.hourly_speeds`), what speed profiles add;
- straight: as nearest, but the pick is the nearest by straight line (what road ETA adds);
- straight_mode: the straight line divided by the officer's speed (30 km/h by car, 5 on foot),
  a fairer baseline: what the road graph adds beyond knowing who walks.

Officers stand on posts or patrol loops on the road network (car or foot) in day and night
shifts; their devices report a fix every 30 s with GPS noise, and a share of devices report
nothing. Incidents arrive as a Poisson stream with a time-of-day profile. Every random draw is
per incident and shared by all policies (common random numbers), so the difference between
policies is the policy, not luck. Travel is the simulated "truth": the road graph with the
time-of-day speed factors of geo.roads (arterials at 60% of the limit in the rush hours) and a
per-trip noise, while the recommendation sees only free-flow speeds.

Measured per incident from the call (received): time to arrive (received → the officer on
scene) and handling time (received → handling finished, 处置完毕): the seed does not define
its "handling time" (and has no public source, peers.md §2.3); this is our reading of it.

No number below is a result: every parameter is in `ReplayParams` with its source; figures for
which no public source exists are marked [assumption] and kept moderate. The relay delays are
the least certain part: `relay_*_median_s` are assumptions, and `run_replay` reports the
gain both with them and with the officer choice alone (`*_choice_only`: the relay run again with
the direct path's delays).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import dijkstra

from jiaoguan.command.recommend import BUDGET_SPEED_MPS, RecommendConfig, recommend, speed_hour
from jiaoguan.command.tracker import AVAILABLE, MODE_CODE, OfficerSnapshot
from jiaoguan.geo.network import Profile, RoadNetwork
from jiaoguan.sim.city import City, CitySize, generate_city
from jiaoguan.sim.load import ROAD_CLASS_OSM
from jiaoguan.sim.roads import Network, to_lonlat

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
POLICIES = ("relay", "nearest", "nearest_hourly", "straight", "straight_mode")
# Relative incident rate per hour of day [assumption: shaped like urban traffic volume, with
# morning and evening peaks and a quiet night; traffic-police incidents follow traffic].
HOURLY_PROFILE = (
    0.4, 0.3, 0.2, 0.2, 0.3, 0.5, 0.9, 1.6, 1.8, 1.3, 1.1, 1.1,
    1.0, 1.0, 1.0, 1.1, 1.3, 1.8, 1.7, 1.2, 1.0, 0.8, 0.7, 0.5,
)  # fmt: skip
# Incident kinds: (share, median minutes on scene) [assumption: no public per-kind figures;
# quick-settlement (快处快赔) accidents take the longest, a parking case the shortest].
KINDS: dict[str, tuple[float, float]] = {
    "accident": (0.40, 12.0),
    "congestion": (0.20, 10.0),
    "illegal_parking": (0.20, 5.0),
    "violation": (0.10, 6.0),
    "other": (0.10, 6.0),
}


@dataclass(frozen=True)
class ReplayParams:
    seed: int = 20261124
    size: CitySize = CitySize.demo  # 17 × 17 km, a river with 4 bridges: a main-city scale
    days: int = 7
    # SYSTEM.md §1: "about 200 incidents a day in the main city" (Baoding).
    incidents_per_day: float = 200.0
    # 122 call answered and the incident recorded: NFPA 1225 asks 90% within 60 s
    # (peers.md §2.2); median 60 s here, the same for every policy.
    call_median_s: float = 60.0
    # Relay [assumption: no public figure]: the centre phones the brigade duty desk, retells the
    # case, the desk logs it (median 2.5 min); the desk raises an officer by radio, who confirms
    # (median 1.5 min). Together ~4 min, the time the seed's 4.8 min saving has to come from.
    relay_handover_median_s: float = 150.0
    relay_radio_median_s: float = 90.0
    # Direct dispatch: the dispatcher reads the recommendation and sends (median 30 s)
    # [assumption]; the officer signs on the phone: Ankang's bulletins show 97.6-98.9% of orders
    # signed within 30 s (peers.md §2.4) → median 15 s.
    direct_review_median_s: float = 30.0
    direct_sign_median_s: float = 15.0
    # Order to moving: Shantou asks officers to leave within 2 min (peers.md §2.3); median 45 s.
    turnout_median_s: float = 45.0
    delay_sigma: float = 0.5  # log-normal spread of every human delay [assumption]
    scene_sigma: float = 0.5
    travel_noise_sigma: float = 0.15  # per-trip deviation from the graph time [assumption]
    # Devices: a fix every 30 s while moving (algorithms.md §1.4, GX440 police example),
    # ~10 m GPS error, and a share of officers whose device reports nothing [assumption; PDT-only
    # areas report far worse, algorithms.md §1.4].
    fix_interval_s: float = 30.0
    gps_error_m: float = 10.0
    silent_device_share: float = 0.08
    # Roster per brigade [assumption, the demo's two brigades]: (posts, patrol cars, foot patrols).
    day_roster: tuple[int, int, int] = (8, 6, 4)
    night_roster: tuple[int, int, int] = (2, 5, 0)
    day_shift: tuple[int, int] = (7, 19)  # local hours
    patrol_speed_kmh: float = 25.0
    foot_speed_kmh: float = 4.0
    patrol_half_m: float = 1500.0  # patrol loops: squares of 3 km around the beat centre
    foot_half_m: float = 400.0
    utc_offset_h: int = 8  # Asia/Shanghai: the roster and the profile are in local hours
    start: dt.datetime = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


@dataclass
class Officer:
    id: int
    brigade: int  # 0 竞秀 (west), 1 莲池 (east)
    role: str  # post | patrol | foot
    mode: str  # driving | walking
    shift: str  # day | night
    home: int  # duty node: the post, or the beat centre the roster names
    loop: IntArray  # patrol route as node indices (a post: its one node)
    loop_cum_m: FloatArray  # cumulative metres along the loop, closing back to the start
    silent: bool
    fix_phase_s: float
    busy_until: float = 0.0  # epoch seconds
    at_node: int = -1  # after an incident: where he stands until `back_at`
    back_at: float = 0.0


@dataclass
class Incident:
    at: float  # epoch seconds, received
    node: int
    kind: str
    brigade: int
    draws: dict[str, float]


@dataclass
class Outcome:
    arrive_s: list[float] = field(default_factory=list)
    handle_s: list[float] = field(default_factory=list)
    travel_s: list[float] = field(default_factory=list)
    dispatch_s: list[float] = field(default_factory=list)
    picks: list[int] = field(default_factory=list)
    fallbacks: int = 0


def road_network(network: Network) -> RoadNetwork:
    """The generated network's directed edges as a RoadNetwork (each directed edge one arc)."""
    nodes, edges = network.nodes, network.edges
    classes = np.array([ROAD_CLASS_OSM[c] for c in edges["road_class"].to_list()], dtype=object)
    return RoadNetwork(
        nodes["node_id"].to_numpy().astype(np.int64),
        nodes["lon"].to_numpy(),
        nodes["lat"].to_numpy(),
        edges["source"].to_numpy().astype(np.int64),
        edges["target"].to_numpy().astype(np.int64),
        edges["length_m"].to_numpy(),
        edges["speed_kph"].to_numpy().astype(np.float64),
        classes,
        np.ones(edges.height, dtype=np.bool_),  # directed already: one arc per row
    )


class Replay:
    def __init__(self, params: ReplayParams = ReplayParams(), city: City | None = None) -> None:
        self.params = params
        self.city = city or generate_city(params.seed, params.size)
        self.network = road_network(self.city.network)
        self.xy = self.city.nodes.select("x", "y").to_numpy()
        self.rng = np.random.default_rng([params.seed, 77])
        self.officers = self._roster()
        self.incidents = self._incidents()
        self.differ = 0  # incidents where the road-ETA pick is not the straight-line pick

    # --- the city's people and events ----------------------------------------------------------

    def _brigade_of(self, x: FloatArray) -> npt.NDArray[np.int64]:
        # The districts split west/east at the centre (sim.city._areas): 竞秀 west, 莲池 east.
        return (np.asarray(x) >= 0).astype(np.int64)

    def _major_nodes(self) -> IntArray:
        """Nodes where two major (arterial/secondary) roads meet: where posts stand."""
        e = self.city.edges
        major = e.filter(e["road_class"] != "local")
        count = np.bincount(major["source"].to_numpy(), minlength=self.city.nodes.height)
        return np.flatnonzero(count >= 3).astype(np.int64)

    def _nearest_node(self, x: float, y: float, among: IntArray | None = None) -> int:
        pool = np.arange(len(self.xy)) if among is None else among
        d = np.hypot(self.xy[pool, 0] - x, self.xy[pool, 1] - y)
        return int(pool[int(np.argmin(d))])

    def _spread(self, brigade: int, count: int) -> list[tuple[float, float]]:
        """`count` points spread over a brigade's half of the city (a rows × 2 grid)."""
        if count <= 0:
            return []
        x0, x1 = float(self.xy[:, 0].min()), float(self.xy[:, 0].max())
        y0, y1 = float(self.xy[:, 1].min()), float(self.xy[:, 1].max())
        left, right = (x0, 0.0) if brigade == 0 else (0.0, x1)
        cols = 2 if count > 1 else 1
        rows = math.ceil(count / cols)
        points = []
        for k in range(count):
            r, c = divmod(k, cols)
            px = left + (c + 0.5) * (right - left) / cols
            py = y0 + (r + 0.5) * (y1 - y0) / rows
            points.append((px, py))
        return points

    def _loop(self, centre: int, half: float, profile: str) -> tuple[IntArray, FloatArray]:
        cx, cy = self.xy[centre]
        corners = [(cx - half, cy - half), (cx + half, cy - half), (cx + half, cy + half)]
        corners.append((cx - half, cy + half))
        waypoints = [self._nearest_node(x, y) for x, y in corners]
        path: list[int] = [waypoints[0]]
        for a, b in zip(waypoints, waypoints[1:] + waypoints[:1], strict=True):
            route = self.network.eta(a, b, "walking" if profile == "walking" else "driving")
            path.extend(int(i) for i in route.node_ids[1:])
        nodes = np.array(path, dtype=np.int64)
        step = np.hypot(*(self.xy[nodes[1:]] - self.xy[nodes[:-1]]).T)
        return nodes, np.concatenate([[0.0], np.cumsum(step)])

    def _roster(self) -> list[Officer]:
        p = self.params
        majors = self._major_nodes()
        officers: list[Officer] = []
        for shift, roster in (("day", p.day_roster), ("night", p.night_roster)):
            for brigade in (0, 1):
                posts, patrols, foot = roster
                for role, count in (("post", posts), ("patrol", patrols), ("foot", foot)):
                    for x, y in self._spread(brigade, count):
                        officers.append(
                            self._officer(len(officers) + 1, brigade, role, shift, x, y, majors)
                        )
        return officers

    def _officer(
        self, oid: int, brigade: int, role: str, shift: str, x: float, y: float, majors: IntArray
    ) -> Officer:
        p = self.params
        mode = "walking" if role == "foot" else "driving"
        home = self._nearest_node(x, y, majors if role != "patrol" else None)
        if role == "post":
            loop, cum = np.array([home], dtype=np.int64), np.array([0.0])
        else:
            half = p.foot_half_m if role == "foot" else p.patrol_half_m
            loop, cum = self._loop(home, half, mode)
        silent = bool(self.rng.random() < p.silent_device_share)
        phase = float(self.rng.uniform(0, p.fix_interval_s))
        return Officer(oid, brigade, role, mode, shift, home, loop, cum, silent, phase)

    def _incidents(self) -> list[Incident]:
        p = self.params
        rng = np.random.default_rng([p.seed, 78])
        weights = self._node_weights()
        profile = np.array(HOURLY_PROFILE) / sum(HOURLY_PROFILE)
        kinds = list(KINDS)
        shares = np.array([KINDS[k][0] for k in kinds])
        incidents = []
        for day in range(p.days):
            for hour in range(24):
                rate = p.incidents_per_day * profile[hour]
                for _ in range(int(rng.poisson(rate))):
                    local = day * 86400 + (hour + rng.random()) * 3600
                    at = p.start.timestamp() + local - p.utc_offset_h * 3600
                    node = int(rng.choice(len(weights), p=weights))
                    kind = kinds[int(rng.choice(len(kinds), p=shares))]
                    draws = {
                        name: float(rng.lognormal(0.0, sigma))
                        for name, sigma in (
                            ("call", p.delay_sigma),
                            ("handover", p.delay_sigma),
                            ("radio", p.delay_sigma),
                            ("review", p.delay_sigma),
                            ("sign", p.delay_sigma),
                            ("turnout", p.delay_sigma),
                            ("scene", p.scene_sigma),
                            ("travel", p.travel_noise_sigma),
                        )
                    }
                    brigade = int(self._brigade_of(self.xy[node, 0:1])[0])
                    incidents.append(Incident(at, node, kind, brigade, draws))
        incidents.sort(key=lambda i: i.at)
        return incidents

    def _node_weights(self) -> FloatArray:
        """Incidents concentrate on major roads [assumption]: a node weighs 4 on an arterial,
        2 on a secondary road, 1 otherwise."""
        e = self.city.edges
        weight = np.ones(self.city.nodes.height)
        for cls, w in (("secondary", 2.0), ("arterial", 4.0)):
            touched = e.filter(e["road_class"] == cls)["source"].to_numpy()
            weight[touched] = np.maximum(weight[touched], w)
        return np.asarray(weight / weight.sum(), dtype=np.float64)

    # --- state over time -----------------------------------------------------------------------

    def local_hour(self, t: float) -> int:
        return int(((t + self.params.utc_offset_h * 3600) // 3600) % 24)

    def on_shift(self, officer: Officer, t: float) -> bool:
        start, end = self.params.day_shift
        day = start <= self.local_hour(t) < end
        return day == (officer.shift == "day")

    def node_at(self, officer: Officer, t: float) -> int:
        if officer.at_node >= 0 and t < officer.back_at:
            return officer.at_node
        if len(officer.loop) == 1:
            return int(officer.loop[0])
        speed = (
            self.params.foot_speed_kmh
            if officer.mode == "walking"
            else self.params.patrol_speed_kmh
        )
        along = (t * speed / 3.6 + officer.id * 997.0) % officer.loop_cum_m[-1]
        return int(officer.loop[int(np.searchsorted(officer.loop_cum_m, along, side="right")) - 1])

    def snapshot(self, states: list[Officer], t: float) -> OfficerSnapshot:
        """What the platform sees at `t`: the last fix of every reporting device, with noise."""
        p = self.params
        n = len(states)
        lon = np.full(n, np.nan)
        lat = np.full(n, np.nan)
        at = np.full(n, np.nan)
        status = []
        for k, o in enumerate(states):
            free = self.on_shift(o, t) and o.busy_until <= t
            status.append(
                "available" if free else "off_duty" if not self.on_shift(o, t) else "dispatched"
            )
            if o.silent:
                continue
            fix_t = t - ((t - o.fix_phase_s) % p.fix_interval_s)
            node = self.node_at(o, fix_t)
            noise = np.random.default_rng([p.seed, o.id, int(fix_t)]).normal(0, p.gps_error_m, 2)
            x, y = self.xy[node] + noise
            plon, plat = to_lonlat(np.array([x]), np.array([y]))
            lon[k], lat[k], at[k] = plon[0], plat[0], fix_t
        return OfficerSnapshot.build(
            [o.id for o in states], lon, lat, at, status, [o.mode for o in states]
        )

    # --- the three policies ----------------------------------------------------------------------

    def _true_seconds(self, scene: int, at: float) -> dict[str, FloatArray]:
        """Simulated truth: seconds from every node to the scene, by profile, with the hour's
        speed factors (rush hours slow the arterials)."""
        out: dict[str, FloatArray] = {}
        plan: tuple[tuple[Profile, int | None], ...] = (
            ("driving", speed_hour(self.network, dt.datetime.fromtimestamp(at, dt.UTC), _TRUTH)),
            ("walking", None),
        )
        for profile, h in plan:
            graph = self.network.graph(profile, h)
            out[profile] = np.asarray(dijkstra(graph.backward, indices=scene), dtype=np.float64)
        return out

    def run(
        self,
        progress: Callable[[int], None] | None = None,
        policies: tuple[str, ...] = POLICIES,
    ) -> dict[str, Outcome]:
        fleets = {name: [Officer(**{**o.__dict__}) for o in self.officers] for name in policies}
        outcomes = {name: Outcome() for name in policies}
        for k, incident in enumerate(self.incidents):
            truth = self._true_seconds(incident.node, incident.at)
            for name in policies:
                self._handle(name, fleets[name], incident, truth, outcomes[name])
            if progress is not None:
                progress(k)
        return outcomes

    def _handle(
        self,
        policy: str,
        fleet: list[Officer],
        incident: Incident,
        truth: dict[str, FloatArray],
        outcome: Outcome,
    ) -> None:
        p, d = self.params, incident.draws
        created = incident.at + p.call_median_s * d["call"]
        chosen: Officer | None = None
        if policy != "relay":
            chosen_at = created + p.direct_review_median_s * d["review"]
            chosen = self._pick_direct(policy, fleet, incident, chosen_at)
            accepted = chosen_at + p.direct_sign_median_s * d["sign"]
        if chosen is None:
            if policy != "relay":
                outcome.fallbacks += 1
            chosen_at = created + p.relay_handover_median_s * d["handover"]
            chosen, chosen_at = self._pick_relay(fleet, incident, chosen_at)
            accepted = chosen_at + p.relay_radio_median_s * d["radio"]
        depart = accepted + p.turnout_median_s * d["turnout"]
        start_node = self.node_at(chosen, depart)
        travel = float(truth[chosen.mode][start_node]) * d["travel"]
        if not math.isfinite(travel):  # unreachable on foot or by car: should not happen
            travel = float(truth["walking"][start_node])
        arrive = depart + travel
        handled = arrive + KINDS[incident.kind][1] * 60 * d["scene"]
        chosen.busy_until = handled
        chosen.at_node = incident.node
        chosen.back_at = handled + travel  # walks or drives back the way he came
        outcome.arrive_s.append(arrive - incident.at)
        outcome.handle_s.append(handled - incident.at)
        outcome.travel_s.append(travel)
        outcome.dispatch_s.append(accepted - incident.at)
        outcome.picks.append(chosen.id)

    def _pick_relay(
        self, fleet: list[Officer], incident: Incident, t: float
    ) -> tuple[Officer, float]:
        """The brigade desk: its own free officer whose rostered place is nearest; if none is
        free, the first to come free (the incident waits)."""
        own = [o for o in fleet if o.brigade == incident.brigade]
        while True:
            free = [o for o in own if self.on_shift(o, t) and o.busy_until <= t]
            if free:
                target = self.xy[incident.node]
                best = min(free, key=lambda o: float(np.hypot(*(self.xy[o.home] - target))))
                return best, t
            upcoming = [o.busy_until for o in own if o.busy_until > t]
            t = min(upcoming) if upcoming else t + 600.0  # or the next shift

    def _pick_direct(
        self, policy: str, fleet: list[Officer], incident: Incident, t: float
    ) -> Officer | None:
        snap = self.snapshot(fleet, t)
        lon, lat = float(self.network.lon[incident.node]), float(self.network.lat[incident.node])
        now = dt.datetime.fromtimestamp(t, dt.UTC)
        by_line = self._straight_pick(snap, lon, lat, t, by_mode=policy == "straight_mode")
        if not policy.startswith("nearest"):
            return None if by_line is None else fleet[by_line]
        # Rings as configured by default; beyond them the nearest few (as the dispatcher would
        # see them), so a quiet night still gets a recommendation.
        config = _HOURLY_CONFIG if policy == "nearest_hourly" else _REPLAY_CONFIG
        result = recommend(self.network, snap, lon, lat, now=now, config=config)
        if not result.picks:
            return None
        chosen = next(o for o in fleet if o.id == result.picks[0].officer_id)
        if policy == "nearest":
            self.differ += int(by_line is None or fleet[by_line] is not chosen)
        return chosen

    def _straight_pick(
        self, snap: OfficerSnapshot, lon: float, lat: float, t: float, *, by_mode: bool = False
    ) -> int | None:
        ok = (snap.status == AVAILABLE) & (snap.at_epoch_s >= t - _REPLAY_CONFIG.stale_after_s)
        if not ok.any():
            return None
        x, y = self.network.projection.point(lon, lat)
        xy = self.network.projection.forward(snap.lon, snap.lat)
        dist = np.where(ok, np.hypot(xy[:, 0] - x, xy[:, 1] - y), np.inf)
        if by_mode:
            dist = dist / np.where(snap.mode == MODE_CODE["walking"], *_MODE_SPEEDS)
        return int(np.argmin(dist))


_REPLAY_CONFIG = RecommendConfig(beyond_rings=5, max_picks=5)
_HOURLY_CONFIG = dataclasses.replace(_REPLAY_CONFIG, hourly_speeds=True)
# The truth runs on the hour's speed factors; hours with equal factors share one graph.
_TRUTH = RecommendConfig(hourly_speeds=True)
_MODE_SPEEDS = (BUDGET_SPEED_MPS["walking"], BUDGET_SPEED_MPS["driving"])


def _summary(values: list[float]) -> tuple[float, float, float]:
    arr = np.array(values) / 60.0
    return float(arr.mean()), float(np.median(arr)), float(np.quantile(arr, 0.9))


def run_replay(
    params: ReplayParams = ReplayParams(), progress: Callable[[int], None] | None = None
) -> dict[str, float]:
    """The replay's figures (minutes and fractions), flat, for benchmarks/results/command.json."""
    replay = Replay(params)
    outcomes = replay.run(progress)
    figures: dict[str, float] = {
        "replay_incidents": float(len(replay.incidents)),
        "replay_days": float(params.days),
        "replay_officers_day_shift": float(sum(o.shift == "day" for o in replay.officers)),
        "replay_network_nodes": float(replay.network.node_count),
        "replay_bridges": float(replay.city.bridges.height),
    }
    for name, outcome in outcomes.items():
        for label, values in (("arrive", outcome.arrive_s), ("handling", outcome.handle_s)):
            mean, p50, p90 = _summary(values)
            figures[f"replay_{label}_mean_min_{name}"] = round(mean, 3)
            figures[f"replay_{label}_p50_min_{name}"] = round(p50, 3)
            figures[f"replay_{label}_p90_min_{name}"] = round(p90, 3)
        figures[f"replay_travel_mean_min_{name}"] = round(_summary(outcome.travel_s)[0], 3)
        figures[f"replay_dispatch_mean_min_{name}"] = round(_summary(outcome.dispatch_s)[0], 3)
        figures[f"replay_fallbacks_{name}"] = float(outcome.fallbacks)
    handling = {n: float(np.mean(outcomes[n].handle_s)) for n in POLICIES}
    arrive = {n: float(np.mean(outcomes[n].arrive_s)) for n in POLICIES}
    travel = {n: float(np.mean(outcomes[n].travel_s)) for n in POLICIES}
    figures["replay_handling_reduction"] = round(1 - handling["nearest"] / handling["relay"], 4)
    figures["replay_arrive_reduction"] = round(1 - arrive["nearest"] / arrive["relay"], 4)
    # What the officer choice alone brings (same delays, relay's pick vs nearest's pick).
    figures["replay_travel_reduction_choice_only"] = round(
        1 - travel["nearest"] / travel["relay"], 4
    )
    figures["replay_eta_gain_over_straight_line"] = round(
        1 - arrive["nearest"] / arrive["straight"], 4
    )
    figures["replay_eta_gain_travel_only"] = round(1 - travel["nearest"] / travel["straight"], 4)
    figures["replay_arrive_gain_hourly_speeds"] = round(
        1 - arrive["nearest_hourly"] / arrive["nearest"], 4
    )
    figures["replay_eta_gain_over_straight_line_mode_aware"] = round(
        1 - arrive["nearest"] / arrive["straight_mode"], 4
    )
    # Sensitivity to the least certain inputs, the relay delays: the relay with the direct
    # path's delays (review and signing instead of hand-over and radio) leaves only the choice
    # of officer (by roster, within the brigade) against the nearest by road ETA.
    same = dataclasses.replace(
        params,
        relay_handover_median_s=params.direct_review_median_s,
        relay_radio_median_s=params.direct_sign_median_s,
    )
    relay_same = Replay(same, replay.city).run(policies=("relay",))["relay"]
    figures["replay_handling_mean_min_relay_same_delays"] = round(
        _summary(relay_same.handle_s)[0], 3
    )
    figures["replay_handling_reduction_choice_only"] = round(
        1 - handling["nearest"] / float(np.mean(relay_same.handle_s)), 4
    )
    # Same snapshot, same incident: how often road ETA picks someone else than the straight line.
    figures["replay_picks_differ_share_eta_vs_straight"] = round(
        replay.differ / max(len(replay.incidents), 1), 4
    )
    return figures
