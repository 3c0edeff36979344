"""Live simulation: simulated people and devices act on a running Jiaoguan through its public
interfaces only (the HTTP API with bearer tokens), in real time or accelerated.

A `Scenario` is a plug-in: `setup(city, clock)` once, then `step(now, api)` every `interval_s`
simulated seconds; it acts through `PublicApi` (HTTP calls as a named account or device) and
returns what it did as `Action`s, which the runner keeps as the run's ground truth. Modules add
theirs with `@register_scenario`.

`jiaoguan demo` runs this in a separate process (`python -m jiaoguan.sim --url ...`): the
simulation then reaches the platform exactly as real devices and field staff would, over the
network, and its load never shares the server's event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from jiaoguan.sim.city import City, CitySize, generate_city

log = logging.getLogger("jiaoguan.sim")


class SimClock:
    """Simulated time running `speed` times faster than the real clock from `start`."""

    def __init__(self, speed: float = 1.0, start: dt.datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.start = start or dt.datetime.now(dt.UTC)
        self._real_start = time.monotonic()

    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=(time.monotonic() - self._real_start) * self.speed)

    def real_seconds(self, simulated: float) -> float:
        return simulated / self.speed


@dataclass(frozen=True)
class Action:
    """One thing a scenario did, in simulated time: the live run's ground truth."""

    scenario: str
    actor: str
    verb: str
    target: str
    at: dt.datetime
    status: int


class PublicApi:
    """The platform as the outside world sees it: HTTP calls authenticated as an account."""

    def __init__(self, client: httpx.AsyncClient, passwords: dict[str, str]) -> None:
        self.client = client
        self.passwords = passwords
        self._tokens: dict[str, str] = {}

    async def _token(self, actor: str) -> str:
        if actor not in self._tokens:
            response = await self.client.post(
                "/api/v1/auth/token",
                json={"username": actor, "password": self.passwords[actor]},
            )
            response.raise_for_status()
            self._tokens[actor] = response.json()["access_token"]
        return self._tokens[actor]

    async def request(
        self,
        actor: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self._token(actor)}"}
        response = await self.client.request(
            method, path, json=json, params=params, headers=headers
        )
        if response.status_code == 401:  # token expired or revoked: log in again once
            self._tokens.pop(actor, None)
            headers = {"Authorization": f"Bearer {await self._token(actor)}"}
            response = await self.client.request(
                method, path, json=json, params=params, headers=headers
            )
        return response


class Scenario(Protocol):
    name: str
    interval_s: float  # simulated seconds between steps

    def setup(self, city: City | None, clock: SimClock) -> None: ...

    async def step(self, now: dt.datetime, api: PublicApi) -> list[Action]: ...


ScenarioFactory = Callable[[], Scenario]
SCENARIOS: dict[str, ScenarioFactory] = {}


def register_scenario(name: str) -> Callable[[ScenarioFactory], ScenarioFactory]:
    """Decorator for a module's scenario factory (a class with a no-argument constructor)."""

    def add(factory: ScenarioFactory) -> ScenarioFactory:
        SCENARIOS[name] = factory
        return factory

    return add


@dataclass
class RunReport:
    steps: dict[str, int] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class LiveRunner:
    """Steps each scenario when its simulated interval has passed, until stopped."""

    def __init__(
        self,
        api: PublicApi,
        clock: SimClock,
        scenarios: Iterable[Scenario],
        city: City | None = None,
    ) -> None:
        self.api = api
        self.clock = clock
        self.scenarios = list(scenarios)
        self.city = city
        self.report = RunReport()
        self.stop_event = asyncio.Event()

    def stop(self) -> None:
        self.stop_event.set()

    async def run(self, until: dt.datetime | None = None) -> RunReport:
        for scenario in self.scenarios:
            scenario.setup(self.city, self.clock)
        due = {scenario.name: self.clock.now() for scenario in self.scenarios}
        while not self.stop_event.is_set():
            now = self.clock.now()
            if until is not None and now >= until:
                break
            for scenario in self.scenarios:
                if due[scenario.name] <= now:
                    await self._step(scenario, now)
                    due[scenario.name] = now + dt.timedelta(seconds=scenario.interval_s)
            wake = min(due.values(), default=now + dt.timedelta(seconds=60))
            delay = self.clock.real_seconds(max((wake - self.clock.now()).total_seconds(), 0))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_event.wait(), timeout=max(delay, 0.01))
        return self.report

    async def _step(self, scenario: Scenario, now: dt.datetime) -> None:
        try:
            actions = await scenario.step(now, self.api)
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            # A failing scenario must not end the others; the error is part of the report.
            self.report.errors.append(f"{scenario.name}: {exc!r}")
            log.warning("scenario %s step failed: %r", scenario.name, exc)
            return
        self.report.steps[scenario.name] = self.report.steps.get(scenario.name, 0) + 1
        self.report.actions.extend(actions)


# ---- stand-alone process for `jiaoguan demo` --------------------------------------------------


async def wait_ready(client: httpx.AsyncClient, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("平台未就绪")
        await asyncio.sleep(0.5)


async def run_live(
    url: str, speed: float, password: str, names: list[str], size: CitySize, seed: int
) -> RunReport:
    from jiaoguan.checkpoint import scenario as _checkpoint  # noqa: F401 - VIID pass traffic
    from jiaoguan.command import scenario as _command  # noqa: F401 - officers, incidents
    from jiaoguan.sim import scenarios as _scenarios  # noqa: F401 - registers the built-in ones

    city = generate_city(seed, size)
    clock = SimClock(speed)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        await wait_ready(client)
        unknown = [name for name in names if name not in SCENARIOS]
        if unknown or not SCENARIOS:
            raise ValueError(f"未知的模拟场景：{', '.join(unknown) or '（未注册任何场景）'}")
        selected = [SCENARIOS[name]() for name in (names or list(SCENARIOS))]
        passwords = _DemoPasswords(password)
        runner = LiveRunner(PublicApi(client, passwords), clock, selected, city)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, runner.stop)
        log.info("live simulation at x%s: %s", speed, ", ".join(s.name for s in selected))
        return await runner.run()


class _DemoPasswords(dict[str, str]):
    """Every demo account shares the password `jiaoguan demo` printed."""

    def __init__(self, password: str) -> None:
        super().__init__()
        self.password = password

    def __missing__(self, key: str) -> str:
        return self.password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="示范市实时模拟（只通过公开接口访问平台）")
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--speed", type=float, default=60.0, help="模拟时钟倍速")
    parser.add_argument("--scenario", action="append", default=[], help="只运行指定场景")
    parser.add_argument("--size", default="test", choices=[s.value for s in CitySize])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--truth", type=Path, help="停止时把所有模拟动作（真值）写入此 JSON Lines 文件"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise here
    password = os.environ.get("JG_DEMO_PASSWORD", "jiaoguan2026demo")
    report = asyncio.run(
        run_live(args.url, args.speed, password, args.scenario, CitySize(args.size), args.seed)
    )
    log.info("live simulation stopped: %s steps, %s actions", report.steps, len(report.actions))
    if args.truth:
        write_truth(report, args.truth)
    return 0


def write_truth(report: RunReport, path: Path) -> None:
    """The run's actions, one JSON object per line, in the order they happened."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for action in report.actions:
            row = {**asdict(action), "at": action.at.isoformat()}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
