"""The live command scenario drives a running platform through its public API: incidents come
in, the dispatcher sends the recommended officer, the officer works the steps on his phone while
his device reports positions, and the platform records it all."""

from __future__ import annotations

import asyncio
import time

import httpx
from fastapi import FastAPI

from jiaoguan.command.scenario import CommandScenario
from jiaoguan.sim.city import generate_city
from jiaoguan.sim.live import SCENARIOS, LiveRunner, PublicApi, SimClock
from tests.support.databases import DEMO_PASSWORD
from tests.support.live_server import LiveServer


class _Passwords(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return DEMO_PASSWORD


def test_command_scenario_is_registered() -> None:
    import jiaoguan.command.scenario  # noqa: F401

    assert isinstance(SCENARIOS["command"](), CommandScenario)


async def _drive(url: str, scenario: CommandScenario) -> LiveRunner:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        runner = LiveRunner(
            PublicApi(client, _Passwords()), SimClock(600), [scenario], generate_city(1, "test")
        )
        task = asyncio.create_task(runner.run())
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            if sum(a.verb == "close" and a.status == 200 for a in runner.report.actions) >= 2:
                break
        runner.stop()
        await asyncio.wait_for(task, timeout=30)
        return runner


def test_incidents_are_dispatched_and_worked_through_the_api(sqlite_app: FastAPI) -> None:
    # Busy day, every incident dispatched by the simulated dispatcher at once.
    scenario = CommandScenario(incidents_per_day=3000, auto_share=1.0)
    with LiveServer(sqlite_app) as server:
        runner = asyncio.run(_drive(server.url, scenario))
        assert runner.report.errors == []
        actions = runner.report.actions
        by_verb: dict[str, list[int]] = {}
        for action in actions:
            by_verb.setdefault(action.verb, []).append(action.status)
        assert by_verb["positions"] and set(by_verb["positions"]) == {200}
        assert by_verb["intake"] and set(by_verb["intake"]) == {201}
        assert 200 in by_verb["dispatch"]
        for verb in ("accept", "depart", "handle", "close"):
            assert 200 in by_verb.get(verb, []), verb
        closed = [a for a in actions if a.verb == "close" and a.status == 200]
        officer = closed[0].actor
        dispatch_id = int(closed[0].target.split(":")[1])
        with httpx.Client(base_url=server.url) as client:
            token = client.post(
                "/api/v1/auth/token", json={"username": "dispatcher", "password": DEMO_PASSWORD}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            page = client.get(
                "/api/v1/command/incidents", headers=headers, params={"limit": 200}
            ).json()
            assert page["total"] >= len(by_verb["intake"])
            worked = [
                client.get(f"/api/v1/command/incidents/{i['id']}", headers=headers).json()
                for i in page["items"]
                if i["state"] in ("handled", "closed")
            ]
            rows = [d for w in worked for d in w["dispatches"] if d["id"] == dispatch_id]
            assert rows, "the closed dispatch is on an incident the platform shows as worked"
            row = rows[0]
            assert row["accepted_at"] and row["departed_at"] and row["arrived_at"]
            assert row["handled_at"] and row["closed_at"]
            assert row["note"]  # the recommendation's reason travels with the dispatch
            live = client.get("/api/v1/command/force", headers=headers).json()
            fresh = [o for o in live if not o["stale"]]
            assert fresh, "the simulated devices keep positions fresh"
        assert officer.startswith("jy") or officer in ("jx_officer", "jx_aux", "lc_officer")
