"""Live scenario "checkpoint": the simulated city's traffic reaches the platform as a lower
platform (卡口汇聚平台) would send it, over GA/T 1400 only.

On its first step it registers the demo VIID device (HTTP Digest, `checkpoint.demo`), reads the
checkpoints with GET /VIID/Tollgates and places each on the nearest road node of the simulated
city, so the simulated traffic passes exactly the checkpoints the platform knows. It then puts
the planted wanted vehicles on the watchlist through the public API (a dispatcher applies, the
detachment leader approves), like officers would.

Every step posts, in MotorVehicleListObject batches, the passes whose time has come. Traffic
follows the wall clock, whatever the simulation speed: pass times must be plausible to the
server (not in the future), and travel times between checkpoints must stay physical, otherwise
every plate would look cloned. The day's traffic is generated per calendar date. A registration
that lapsed (401) is renewed and the batch sent again; a Keepalive goes out every minute.

What was planted (wanted passes, clone passes, truck violations, misreads) is returned as
actions: the live run's ground truth (`--truth`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import polars as pl

from jiaoguan.checkpoint.demo import DEMO_DEVICE_ID, DEMO_DEVICE_PASSWORD
from jiaoguan.checkpoint.digest import client_authorization
from jiaoguan.checkpoint.traffic_sim import (
    CheckpointSite,
    TrafficConfig,
    TrafficSim,
    motor_vehicle_objects,
)
from jiaoguan.sim.city import City
from jiaoguan.sim.live import Action, PublicApi, SimClock, register_scenario

DEVICE_ID, DEVICE_PASSWORD = DEMO_DEVICE_ID, DEMO_DEVICE_PASSWORD  # seeded by checkpoint.demo
VIID_HEADERS = {"Content-Type": "application/VIID+JSON;charset=UTF-8", "User-Identify": DEVICE_ID}
BATCH = 1_000
KEEPALIVE_S = 60.0
REAL_STEP_S = 2.0  # real seconds between posts, whatever the clock speed
APPLICANT, APPROVER = "dispatcher", "leader"
WATCHES_PATH = "/api/v1/checkpoint/watches"
# The live demo drives a quarter of the registry (a few passes a second) and plants more wanted
# vehicles than reality would, so that alerts show within minutes.
LIVE_CONFIG = TrafficConfig(vehicle_share=0.25, wanted_share=0.004, clone_share=0.002)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


class ViidClient:
    """A GA/T 1400 client: Digest registration, keepalive, batch upload."""

    def __init__(self, client: httpx.AsyncClient, device_id: str, password: str) -> None:
        self.client = client
        self.device_id = device_id
        self.password = password
        self.headers = {**VIID_HEADERS, "User-Identify": device_id}
        self.registered_at = 0.0

    async def register(self) -> int:
        uri = "/VIID/System/Register"
        body = {"RegisterObject": {"DeviceID": self.device_id}}
        first = await self.client.post(uri, json=body, headers=self.headers)
        if first.status_code == 401 and "WWW-Authenticate" in first.headers:
            auth = client_authorization(
                self.device_id, self.password, "POST", uri, first.headers["WWW-Authenticate"]
            )
            first = await self.client.post(
                uri, json=body, headers={**self.headers, "Authorization": auth}
            )
        if first.status_code == 200:
            self.registered_at = time.monotonic()
        return first.status_code

    async def keepalive(self) -> int:
        body = {"KeepaliveObject": {"DeviceID": self.device_id}}
        response = await self.client.post("/VIID/System/Keepalive", json=body, headers=self.headers)
        if response.status_code == 200:
            self.registered_at = time.monotonic()
        return response.status_code

    async def tollgates(self) -> list[dict[str, Any]]:
        response = await self.client.get("/VIID/Tollgates", headers=self.headers)
        response.raise_for_status()
        listed = response.json().get("TollgateListObject", {}).get("TollgateObject", [])
        return list(listed) if isinstance(listed, list) else [listed]

    async def post(self, objects: list[dict[str, Any]]) -> tuple[int, int]:
        """(HTTP status, objects answered 0); registers again once when the session lapsed."""
        body = {"MotorVehicleListObject": {"MotorVehicleObject": objects}}
        response = await self.client.post("/VIID/MotorVehicles", json=body, headers=self.headers)
        if response.status_code == 401:
            await self.register()
            response = await self.client.post(
                "/VIID/MotorVehicles", json=body, headers=self.headers
            )
        if response.status_code != 200:
            return response.status_code, 0
        statuses = response.json()["ResponseStatusListObject"]["ResponseStatusObject"]
        return 200, sum(1 for s in statuses if int(s.get("StatusCode", 1)) == 0)


def sites_from_tollgates(city: City, tollgates: list[dict[str, Any]]) -> list[CheckpointSite]:
    """The platform's checkpoints on the simulated city's nearest road nodes."""
    nodes = city.nodes
    lon, lat = nodes["lon"].to_numpy(), nodes["lat"].to_numpy()
    sites: list[CheckpointSite] = []
    centre = np.array([lon.mean(), lat.mean()])
    for gate in tollgates:
        try:
            x, y = float(gate["Longitude"]), float(gate["Latitude"])
        except (KeyError, TypeError, ValueError):
            continue
        node = int(np.argmin((lon - x) ** 2 + (lat - y) ** 2))
        sites.append(
            CheckpointSite(
                code=str(gate["TollgateID"]),
                name=str(gate.get("Name") or gate["TollgateID"]),
                node=node,
                lon=x,
                lat=y,
                lanes=max(int(gate.get("LaneNum") or 1), 1),
                central=False,
            )
        )
    if sites:
        # The truck-restricted zone: the third of the checkpoints nearest the centre.
        distance = [float(np.hypot(s.lon - centre[0], s.lat - centre[1])) for s in sites]
        cut = sorted(distance)[max(len(sites) // 3 - 1, 0)]
        sites = [
            CheckpointSite(s.code, s.name, s.node, s.lon, s.lat, s.lanes, d <= cut)
            for s, d in zip(sites, distance, strict=True)
        ]
    return sites


@register_scenario("checkpoint")
@dataclass
class CheckpointTraffic:
    name: str = "checkpoint"
    interval_s: float = 60.0  # set from the clock speed in setup: REAL_STEP_S real seconds
    config: TrafficConfig = LIVE_CONFIG
    city: City | None = None
    sim: TrafficSim | None = None
    device: ViidClient | None = None
    today: dt.date | None = None
    pending: pl.DataFrame | None = None  # today's passes not posted yet, with their truth
    last_keepalive: float = 0.0
    watched: bool = False
    # A run starts with the passes of the last `backlog`, not with the morning's backlog.
    backlog: dt.timedelta = dt.timedelta(minutes=2)
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))

    def setup(self, city: City | None, clock: SimClock) -> None:
        self.city = city
        self.interval_s = REAL_STEP_S * clock.speed
        self.sim = None
        self.device = None
        self.today = None
        self.pending = None
        self.watched = False

    async def step(self, now: dt.datetime, api: PublicApi) -> list[Action]:
        if self.city is None:
            return []
        actions: list[Action] = []
        real_now = self.clock()
        if self.device is None or self.sim is None:
            actions += await self._start(api, real_now)
            if self.sim is None:
                return actions
        if not self.watched:
            actions += await self._watch_wanted(api, real_now)
        assert self.device is not None
        if time.monotonic() - self.last_keepalive > KEEPALIVE_S:
            self.last_keepalive = time.monotonic()
            await self.device.keepalive()
        actions += await self._post_due(real_now)
        return actions

    async def _start(self, api: PublicApi, now: dt.datetime) -> list[Action]:
        assert self.city is not None
        device = ViidClient(api.client, DEVICE_ID, DEVICE_PASSWORD)
        status = await device.register()
        action = Action(self.name, DEVICE_ID, "viid_register", DEVICE_ID, now, status)
        if status != 200:
            return [action]
        sites = sites_from_tollgates(self.city, await device.tollgates())
        if len(sites) < 2:
            return [action]  # no checkpoints in the platform yet: try again next step
        self.device = device
        self.last_keepalive = time.monotonic()
        self.sim = TrafficSim(self.city, seed=self.city.seed, config=self.config, sites=sites)
        return [action]

    async def _watch_wanted(self, api: PublicApi, now: dt.datetime) -> list[Action]:
        """Apply for and approve a watch on every planted wanted vehicle (once per run)."""
        assert self.sim is not None
        self.watched = True
        actions = []
        registry = self.sim.registry.select("plate_no", "plate_color")
        colours = dict(registry.iter_rows())
        for plate, kind in self.sim.wanted.select("plate", "kind").iter_rows():
            body = {
                "plate_no": plate,
                "plate_color": colours.get(plate),
                "kind": kind,
                "reason": "模拟：" + ("被盗抢车辆" if kind == "stolen" else "肇事逃逸嫌疑车辆"),
                "ends_at": (now + dt.timedelta(days=30)).isoformat(),
            }
            applied = await api.request(APPLICANT, "POST", WATCHES_PATH, json=body)
            actions.append(
                Action(self.name, APPLICANT, "watch_apply", plate, now, applied.status_code)
            )
            if applied.status_code != 201:
                continue
            watch_id = applied.json()["id"]
            decided = await api.request(
                APPROVER,
                "POST",
                f"{WATCHES_PATH}/{watch_id}/decision",
                json={"approve": True, "comment": "同意布控"},
            )
            actions.append(
                Action(self.name, APPROVER, "watch_approve", plate, now, decided.status_code)
            )
        return actions

    def _load_day(self, date: dt.date, now: dt.datetime) -> None:
        assert self.sim is not None
        first = self.today is None
        traffic = self.sim.on(date)
        wanted = set(self.sim.wanted["plate"])
        truth = traffic.truth.with_columns(
            kind=pl.when(pl.col("clone"))
            .then(pl.lit("clone_pass"))
            .when(pl.col("true_plate").is_in(list(wanted)))
            .then(pl.lit("wanted_pass"))
            .when(pl.col("violation"))
            .then(pl.lit("violation_pass"))
            .when(pl.col("noise").is_in(["char", "province"]))
            .then(pl.lit("misread_pass"))
            .otherwise(pl.lit(""))
        ).select("record_id", "true_plate", "kind")
        self.pending = traffic.passes.join(truth, on="record_id", how="left")
        if first:
            self.pending = self.pending.filter(pl.col("passed_at") > now - self.backlog)
        self.today = date

    async def _post_due(self, now: dt.datetime) -> list[Action]:
        date = now.astimezone(SHANGHAI).date()
        if self.today != date or self.pending is None:
            self._load_day(date, now)
        assert self.pending is not None and self.device is not None
        due = self.pending.filter(pl.col("passed_at") <= now)
        if due.is_empty():
            return []
        self.pending = self.pending.filter(pl.col("passed_at") > now)
        actions = []
        for start in range(0, due.height, BATCH):
            chunk = due.slice(start, BATCH)
            status, accepted = await self.device.post(
                motor_vehicle_objects(chunk.drop("true_plate", "kind"))
            )
            actions.append(
                Action(
                    self.name, DEVICE_ID, "post_passes", f"{accepted}/{chunk.height}", now, status
                )
            )
            planted = chunk.filter(pl.col("kind") != "")
            for record_id, plate, kind in planted.select(
                "record_id", "true_plate", "kind"
            ).iter_rows():
                actions.append(
                    Action(self.name, DEVICE_ID, kind, f"{plate} {record_id}", now, status)
                )
        return actions
