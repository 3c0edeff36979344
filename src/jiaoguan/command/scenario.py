"""Live simulation of smart command: officers on posts and patrols moving on the road network,
incidents arriving by time of day, the 122 centre taking them in, the dispatcher sending the
recommended officer for most of them, and the officers working each step on their phones.

Everything goes through the public HTTP API, as the demo accounts: `device-demo` posts the
officers' fixes in batches (POST /api/v1/positions, with a token `admin` issues it),
`dispatcher` registers incidents and dispatches, each officer acts as his own account
(jy<code>, or the linked jx_officer / jx_aux / lc_officer). A share of incidents is left to
the human dispatcher watching the demo; the simulated dispatcher takes them over only after
`human_grace_s`. Arrival is left to the platform's automatic detection from positions, and
pressed on the phone only when it did not happen.

Fix times are the real clock (the server refuses fixes from its future); movement, delays and the
incident rate follow the simulated clock. Rates and delays come from `command.replay`, where
their sources are documented.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt

from jiaoguan.command.replay import HOURLY_PROFILE, KINDS, road_network
from jiaoguan.geo.network import RoadNetwork
from jiaoguan.sim.city import City
from jiaoguan.sim.live import Action, PublicApi, SimClock, register_scenario
from jiaoguan.sim.roads import to_lonlat

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
LOCAL = dt.timezone(dt.timedelta(hours=8))
SOURCES = (("call_122", 0.75), ("video", 0.12), ("citizen", 0.08), ("officer_report", 0.05))
SUMMARIES = {
    "accident": "两车追尾，无人员受伤，需现场处理",
    "congestion": "路口车辆排队较长，通行缓慢",
    "illegal_parking": "车辆违停占用车道，影响通行",
    "violation": "群众举报车辆违法行为",
    "other": "群众求助，需民警到场",
}
HANDLE_TEXT = {
    "accident": "已快处快赔，双方协商一致，车辆已撤离，现场恢复通行。",
    "congestion": "已现场疏导，排队消散，通行恢复正常。",
    "illegal_parking": "已联系车主挪车并依法处理。",
    "violation": "已核实并依法处理。",
    "other": "已到场处置完毕。",
}


@dataclass
class _Path:
    """A route on the network walked at a uniform pace from `start` over `seconds`."""

    nodes: IntArray
    cum_m: FloatArray
    start: dt.datetime
    seconds: float

    def node_at(self, now: dt.datetime) -> int:
        share = min(max((now - self.start).total_seconds() / max(self.seconds, 1.0), 0.0), 1.0)
        along = share * float(self.cum_m[-1])
        return int(self.nodes[int(np.searchsorted(self.cum_m, along, side="right")) - 1])

    def done(self, now: dt.datetime) -> bool:
        return (now - self.start).total_seconds() >= self.seconds


@dataclass
class _Task:
    dispatch_id: int
    incident_id: int
    scene: int
    kind: str
    accept_at: dt.datetime
    depart_at: dt.datetime
    origin: int  # where the order found him: he waits there until he departs
    stage: str = "dispatched"  # dispatched → accepted → travel → scene → handled
    route: _Path | None = None
    arrived_at: dt.datetime | None = None
    handle_at: dt.datetime | None = None
    close_at: dt.datetime | None = None


@dataclass
class _Officer:
    id: int
    username: str
    mode: str
    status: str
    loop: IntArray
    loop_cum_m: FloatArray
    silent: bool
    task: _Task | None = None
    away: _Path | None = None  # back from a scene to the beat

    def profile(self) -> str:
        return "walking" if self.mode == "walking" else "driving"


@dataclass
class _Pending:
    due: dt.datetime  # when the simulated dispatcher acts
    node: int
    kind: str


@register_scenario("command")
@dataclass
class CommandScenario:
    name: str = "command"
    interval_s: float = 30.0  # a fix every 30 s per officer (algorithms.md §1.4)
    incidents_per_day: float = 200.0  # SYSTEM.md §1, Baoding's main city
    auto_share: float = 0.7  # the rest waits for the human dispatcher first
    human_grace_s: float = 1800.0
    dispatcher: str = "dispatcher"
    device: str = "device-demo"
    admin: str = "admin"
    device_token: str | None = None
    seed: int = 20261124
    officers: dict[int, _Officer] = field(default_factory=dict)
    pending: dict[int, _Pending] = field(default_factory=dict)

    def setup(self, city: City | None, clock: SimClock) -> None:
        self.city = city
        self.rng = np.random.default_rng(self.seed)
        self.officers.clear()
        self.pending.clear()
        self.device_token = None
        self.network: RoadNetwork | None = None
        if city is None:
            return
        self.network = road_network(city.network)
        self.xy = city.nodes.select("x", "y").to_numpy()
        self.weights = _node_weights(city)
        self.places = _place_names(city)

    async def step(self, now: dt.datetime, api: PublicApi) -> list[Action]:
        if self.network is None:
            return []
        actions: list[Action] = []
        if not self.officers:
            await self._discover(api)
        actions += await self._intake(now, api)
        actions += await self._dispatch_due(now, api)
        actions += await self._learn_assignments(now, api)
        for officer in self.officers.values():
            actions += await self._work(officer, now, api)
        actions += await self._post_positions(now, api)
        return actions

    def _act(self, actor: str, verb: str, target: str, now: dt.datetime, status: int) -> Action:
        return Action(self.name, actor, verb, target, now, status)

    # --- officers ------------------------------------------------------------------------------

    async def _discover(self, api: PublicApi) -> None:
        """The officers and their accounts (registry) and where the platform sees them (live)."""
        names: dict[int, str] = {}
        offset = 0
        while True:
            page = await api.request(
                self.dispatcher,
                "GET",
                "/api/v1/command/officers",
                params={"limit": 500, "offset": offset},
            )
            page.raise_for_status()
            body = page.json()
            for item in body["items"]:
                if item.get("username"):
                    names[int(item["id"])] = str(item["username"])
            offset += len(body["items"])
            if not body["items"] or offset >= int(body["total"]):
                break
        live = await api.request(self.dispatcher, "GET", "/api/v1/command/force")
        live.raise_for_status()
        for row in live.json():
            officer_id = int(row["id"])
            if officer_id not in names:
                continue  # no account: cannot act on a phone
            start = self._start_node(row)
            walking = row["mode"] == "walking"
            # Posts stand (执勤中); free officers patrol loops by car or on foot.
            if row["status"] == "on_duty":
                loop, cum = np.array([start], dtype=np.int64), np.array([0.0])
            else:
                loop, cum = self._loop(start, 400.0 if walking else 1500.0, walking)
            self.officers[officer_id] = _Officer(
                officer_id,
                names[officer_id],
                row["mode"],
                row["status"],
                loop,
                cum,
                silent=officer_id % 13 == 0,  # a few dead devices: staleness shows in the demo
            )

    def _start_node(self, row: dict[str, Any]) -> int:
        assert self.network is not None
        if row.get("lon") is not None and row.get("lat") is not None:
            return self.network.snap(float(row["lon"]), float(row["lat"]), "driving").node_index
        return int(self.rng.choice(len(self.weights), p=self.weights))

    def _loop(self, centre: int, half: float, walking: bool) -> tuple[IntArray, FloatArray]:
        assert self.network is not None
        cx, cy = self.xy[centre]
        corners = ((-1, -1), (1, -1), (1, 1), (-1, 1))
        points = [self._nearest(cx + sx * half, cy + sy * half) for sx, sy in corners]
        path: list[int] = [points[0]]
        for a, b in zip(points, points[1:] + points[:1], strict=True):
            route = self.network.eta(a, b, "walking" if walking else "driving")
            path.extend(int(self.network.index_of(i)) for i in route.node_ids[1:])
        nodes = np.array(path, dtype=np.int64)
        return nodes, _cumulative(self.xy, nodes)

    def _nearest(self, x: float, y: float) -> int:
        return int(np.argmin(np.hypot(self.xy[:, 0] - x, self.xy[:, 1] - y)))

    def _node_of(self, officer: _Officer, now: dt.datetime) -> int:
        task = officer.task
        if task is not None:
            return task.route.node_at(now) if task.route is not None else task.origin
        if officer.away is not None:
            if not officer.away.done(now):
                return officer.away.node_at(now)
            officer.away = None
        return self._beat_node(officer, now)

    def _beat_node(self, officer: _Officer, now: dt.datetime) -> int:
        if len(officer.loop) == 1 or officer.loop_cum_m[-1] <= 0:
            return int(officer.loop[0])
        speed = 4.0 if officer.mode == "walking" else 25.0  # km/h on patrol (replay params)
        along = (now.timestamp() * speed / 3.6 + officer.id * 997.0) % officer.loop_cum_m[-1]
        return int(officer.loop[int(np.searchsorted(officer.loop_cum_m, along, side="right")) - 1])

    async def _post_positions(self, now: dt.datetime, api: PublicApi) -> list[Action]:
        real = dt.datetime.now(dt.UTC)
        fixes = []
        for officer in self.officers.values():
            if officer.silent or officer.status == "off_duty":
                continue
            node = self._node_of(officer, now)
            x, y = self.xy[node] + self.rng.normal(0.0, 8.0, 2)
            lon, lat = to_lonlat(np.array([x]), np.array([y]))
            moving = officer.away is not None or (
                officer.task is not None and officer.task.route is not None
            )
            fixes.append(
                {
                    "officer_id": officer.id,
                    "at": real.isoformat(),
                    "lon": round(float(lon[0]), 7),
                    "lat": round(float(lat[0]), 7),
                    "accuracy_m": 8.0,
                    "speed_mps": 8.0 if moving else 0.0,
                    "source": "sim",
                }
            )
        if not fixes:
            return []
        response = await self._device_post(api, {"fixes": fixes})
        return [
            self._act(self.device, "positions", f"fixes:{len(fixes)}", now, response.status_code)
        ]

    async def _device_post(self, api: PublicApi, body: dict[str, Any]) -> httpx.Response:
        """Devices have no password: the administrator issues the demo device a day's token
        (POST /api/v1/auth/tokens), as an installer would; re-issued when it expires."""
        for attempt in range(2):
            if self.device_token is None or attempt:
                self.device_token = await self._issue_device_token(api)
            headers = {"Authorization": f"Bearer {self.device_token}"}
            response = await api.client.post("/api/v1/positions", json=body, headers=headers)
            if response.status_code != 401:
                break
        return response

    async def _issue_device_token(self, api: PublicApi) -> str:
        users = await api.request(
            self.admin, "GET", "/api/v1/users", params={"q": self.device, "limit": 50}
        )
        users.raise_for_status()
        match = [u for u in users.json()["items"] if u["username"] == self.device]
        if not match:
            raise KeyError(f"no device account {self.device}")
        issued = await api.request(
            self.admin,
            "POST",
            "/api/v1/auth/tokens",
            json={"name": "实时模拟：警力定位上报", "days": 1, "user_id": match[0]["id"]},
        )
        issued.raise_for_status()
        return str(issued.json()["token"])

    # --- incidents ------------------------------------------------------------------------------

    async def _intake(self, now: dt.datetime, api: PublicApi) -> list[Action]:
        hour = now.astimezone(LOCAL).hour
        share = HOURLY_PROFILE[hour] / sum(HOURLY_PROFILE)
        expected = self.incidents_per_day * share * self.interval_s / 3600.0
        actions = []
        for _ in range(int(self.rng.poisson(expected))):
            node = int(self.rng.choice(len(self.weights), p=self.weights))
            kinds = list(KINDS)
            kind = kinds[int(self.rng.choice(len(kinds), p=[KINDS[k][0] for k in kinds]))]
            source = SOURCES[int(self.rng.choice(len(SOURCES), p=[s[1] for s in SOURCES]))][0]
            assert self.network is not None
            body = {
                "source": source,
                "kind": kind,
                "level": 2 if self.rng.random() < 0.05 else 1,
                "place": self.places.get(node, "示范市城区道路"),
                "lon": round(float(self.network.lon[node]), 7),
                "lat": round(float(self.network.lat[node]), 7),
                "summary": SUMMARIES[kind],
                "reporter_phone": f"139{int(self.rng.integers(10_000_000, 99_999_999))}",
            }
            response = await api.request(
                self.dispatcher, "POST", "/api/v1/command/incidents", json=body
            )
            target = "incident:?"
            if response.status_code == 201:
                incident_id = int(response.json()["id"])
                target = f"incident:{incident_id}"
                auto = self.rng.random() < self.auto_share
                review = float(self.rng.lognormal(np.log(30.0), 0.5))  # replay: direct review
                wait = review if auto else self.human_grace_s
                self.pending[incident_id] = _Pending(now + dt.timedelta(seconds=wait), node, kind)
            actions.append(self._act(self.dispatcher, "intake", target, now, response.status_code))
        return actions

    async def _dispatch_due(self, now: dt.datetime, api: PublicApi) -> list[Action]:
        actions = []
        for incident_id, pending in list(self.pending.items()):
            if pending.due > now:
                continue
            del self.pending[incident_id]
            path = f"/api/v1/command/incidents/{incident_id}"
            detail = await api.request(self.dispatcher, "GET", path)
            if detail.status_code != 200 or detail.json()["state"] != "received":
                continue  # the human dispatcher (or a merge) got there first
            advice = await api.request(self.dispatcher, "GET", f"{path}/recommend")
            picks = advice.json().get("picks", []) if advice.status_code == 200 else []
            if not picks:
                actions.append(
                    self._act(self.dispatcher, "no_pick", f"incident:{incident_id}", now, 200)
                )
                continue
            pick = picks[0]
            body = {"officers": [{"officer_id": pick["officer_id"], "note": pick["reason"][:500]}]}
            response = await api.request(self.dispatcher, "POST", f"{path}/dispatch", json=body)
            actions.append(
                self._act(
                    self.dispatcher,
                    "dispatch",
                    f"incident:{incident_id}:officer:{pick['officer_id']}",
                    now,
                    response.status_code,
                )
            )
            if response.status_code == 200:
                for row in response.json()["dispatches"]:
                    if row["officer_id"] == pick["officer_id"] and row["state"] == "dispatched":
                        self._assign(int(row["officer_id"]), row, pending.node, pending.kind, now)
        return actions

    def _assign(
        self, officer_id: int, dispatch: dict[str, Any], scene: int, kind: str, now: dt.datetime
    ) -> None:
        officer = self.officers.get(officer_id)
        if officer is None or officer.task is not None:
            return
        accept = float(self.rng.lognormal(np.log(15.0), 0.5))  # signing on the phone
        turnout = float(self.rng.lognormal(np.log(45.0), 0.5))
        officer.task = _Task(
            int(dispatch["id"]),
            int(dispatch["incident_id"]),
            scene,
            kind,
            now + dt.timedelta(seconds=accept),
            now + dt.timedelta(seconds=accept + turnout),
            self._node_of(officer, now),
        )

    async def _learn_assignments(self, now: dt.datetime, api: PublicApi) -> list[Action]:
        """Dispatches made by the human dispatcher: an officer whose status says dispatched but
        who has no task here looks at his phone."""
        live = await api.request(self.dispatcher, "GET", "/api/v1/command/force")
        if live.status_code != 200:
            return []
        for row in live.json():
            officer = self.officers.get(int(row["id"]))
            if officer is None:
                continue
            officer.status = row["status"]
            if officer.task is None and row["status"] == "dispatched":
                await self._read_phone(officer, now, api)
        return []

    async def _read_phone(self, officer: _Officer, now: dt.datetime, api: PublicApi) -> None:
        mine = await api.request(officer.username, "GET", "/api/v1/command/me")
        if mine.status_code != 200:
            return
        body = mine.json()
        places = {int(i["id"]): i for i in body["incidents"]}
        for row in body["dispatches"]:
            incident = places.get(int(row["incident_id"]))
            if row["state"] == "dispatched" and incident is not None:
                assert self.network is not None
                scene = self.network.snap(incident["lon"], incident["lat"], "driving").node_index
                kind = incident["kind"] if incident["kind"] in KINDS else "other"
                self._assign(officer.id, row, scene, kind, now)
                return

    async def _work(self, officer: _Officer, now: dt.datetime, api: PublicApi) -> list[Action]:
        """The officer's next due step on the phone."""
        task = officer.task
        if task is None:
            return []
        base = f"/api/v1/command/dispatches/{task.dispatch_id}"
        step: tuple[str, dict[str, Any] | None] | None = None
        if task.stage == "dispatched" and now >= task.accept_at:
            step = ("accept", None)
        elif task.stage == "accepted" and now >= task.depart_at:
            step = ("depart", None)
        elif task.stage == "travel" and task.route is not None and task.route.done(now):
            task.stage, task.arrived_at = "scene", now
            minutes = KINDS[task.kind][1] * float(self.rng.lognormal(0.0, 0.5))
            task.handle_at = now + dt.timedelta(minutes=minutes)
        elif task.stage == "scene" and task.arrived_at is not None:
            if task.handle_at is not None and now >= task.handle_at:
                step = ("handle", {"result": HANDLE_TEXT[task.kind]})
            elif (now - task.arrived_at).total_seconds() >= 60 and await self._not_arrived(
                officer, task, api
            ):
                step = ("arrive", None)  # the automatic detection missed him: press it
        elif task.stage == "handled" and task.close_at is not None and now >= task.close_at:
            step = ("close", {"feedback": "已处置完毕，现场恢复正常。"})
        if step is None:
            return []
        verb, body = step
        response = await api.request(officer.username, "POST", f"{base}/{verb}", json=body)
        action = self._act(
            officer.username, verb, f"dispatch:{task.dispatch_id}", now, response.status_code
        )
        if response.status_code != 200:
            if verb != "arrive":
                self._release(officer, now)  # withdrawn or cancelled meanwhile
            return [action]
        self._advance(officer, task, verb, now)
        return [action]

    async def _not_arrived(self, officer: _Officer, task: _Task, api: PublicApi) -> bool:
        mine = await api.request(officer.username, "GET", "/api/v1/command/me")
        if mine.status_code != 200:
            return False
        for row in mine.json()["dispatches"]:
            if int(row["id"]) == task.dispatch_id:
                return row["arrived_at"] is None
        return False

    def _advance(self, officer: _Officer, task: _Task, verb: str, now: dt.datetime) -> None:
        if verb == "accept":
            task.stage = "accepted"
        elif verb == "depart":
            task.stage = "travel"
            task.route = self._route(officer, task.origin, task.scene, now)
        elif verb == "handle":
            task.stage = "handled"
            task.close_at = now + dt.timedelta(seconds=float(self.rng.uniform(60, 180)))
        elif verb == "close":
            self._release(officer, now)

    def _release(self, officer: _Officer, now: dt.datetime) -> None:
        """Back to the beat from wherever the task left him."""
        task = officer.task
        officer.task = None
        if task is None:
            return
        here = task.route.node_at(now) if task.route is not None else None
        if here is not None:
            officer.away = self._route(officer, here, int(officer.loop[0]), now)

    def _route(self, officer: _Officer, start: int, end: int, now: dt.datetime) -> _Path:
        assert self.network is not None
        route = self.network.eta(start, end, "walking" if officer.mode == "walking" else "driving")
        if not route.reachable or not route.node_ids:
            nodes = np.array([start, end], dtype=np.int64)
            seconds = float(np.hypot(*(self.xy[end] - self.xy[start]))) / 5.0
        else:
            nodes = np.array([self.network.index_of(i) for i in route.node_ids], dtype=np.int64)
            # Urban traffic runs below the limits (geo.roads: 90% off-peak).
            seconds = float(route.seconds or 0.0) / 0.9
        return _Path(nodes, _cumulative(self.xy, nodes), now, seconds)


def _cumulative(xy: FloatArray, nodes: IntArray) -> FloatArray:
    step = np.hypot(*(xy[nodes[1:]] - xy[nodes[:-1]]).T) if len(nodes) > 1 else np.zeros(0)
    return np.concatenate([[0.0], np.cumsum(step)])


def _node_weights(city: City) -> FloatArray:
    """Incidents concentrate on major roads, as in the replay."""
    edges = city.edges
    weight = np.ones(city.nodes.height)
    for cls, w in (("secondary", 2.0), ("arterial", 4.0)):
        touched = edges.filter(edges["road_class"] == cls)["source"].to_numpy()
        weight[touched] = np.maximum(weight[touched], w)
    return np.asarray(weight / weight.sum(), dtype=np.float64)


def _place_names(city: City) -> dict[int, str]:
    """「甲路与乙街交叉口」 where two named roads meet, else 「甲路附近」."""
    names: dict[int, list[str]] = {}
    for source, name in city.edges.select("source", "name").iter_rows():
        if name:
            found = names.setdefault(int(source), [])
            if name not in found:
                found.append(str(name))
    return {
        node: f"{found[0]}与{found[1]}交叉口" if len(found) > 1 else f"{found[0]}附近"
        for node, found in names.items()
    }
