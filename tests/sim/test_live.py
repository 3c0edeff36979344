"""The live simulation drives a running platform through its HTTP API, on an accelerated clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from jiaoguan.sim.live import SCENARIOS, LiveRunner, PublicApi, SimClock, write_truth
from jiaoguan.sim.scenarios import FieldResponse, _minutes
from tests.support.databases import DEMO_PASSWORD
from tests.support.live_server import LiveServer


def test_sim_clock_runs_faster_than_real_time() -> None:
    start = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    clock = SimClock(600, start)
    time.sleep(0.1)
    elapsed = (clock.now() - start).total_seconds()
    assert 55 <= elapsed <= 600  # 0.1 s real ≈ 60 s simulated (slack for a slow machine)
    assert clock.real_seconds(600) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        SimClock(0)


def test_field_response_is_registered() -> None:
    import jiaoguan.sim.scenarios  # noqa: F401

    assert isinstance(SCENARIOS["field_response"](), FieldResponse)


def _token(client: httpx.Client, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _open_order(url: str) -> int:
    with httpx.Client(base_url=url) as client:
        officer = _token(client, "jx_officer")
        me = client.get("/api/v1/auth/me", headers=officer).json()
        dispatcher = _token(client, "dispatcher")
        deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
        created = client.post(
            "/api/v1/workorders",
            headers=dispatcher,
            json={
                "title": "模拟测试：核查路口拥堵",
                "assignee_unit_id": me["unit_id"],
                "assignee_user_id": me["id"],
                "deadline": deadline,
            },
        )
        assert created.status_code == 201, created.text
        return int(created.json()["id"])


def _status(url: str, order_id: int) -> str:
    with httpx.Client(base_url=url) as client:
        headers = _token(client, "dispatcher")
        return str(client.get(f"/api/v1/workorders/{order_id}", headers=headers).json()["status"])


async def _drive(url: str, order_id: int) -> tuple[LiveRunner, bool]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        passwords = {"jx_officer": DEMO_PASSWORD}
        scenario = FieldResponse(interval_s=600, accounts=("jx_officer",))
        # x3600: one simulated hour per real second, so the 15-90 minute handling takes < 2 s.
        runner = LiveRunner(PublicApi(client, passwords), SimClock(3600), [scenario])
        task = asyncio.create_task(runner.run())
        deadline = time.monotonic() + 30
        verbs: set[str] = set()
        while time.monotonic() < deadline and "feedback" not in verbs:
            await asyncio.sleep(0.1)
            verbs = {a.verb for a in runner.report.actions if a.target == f"workorder:{order_id}"}
        runner.stop()
        await asyncio.wait_for(task, timeout=10)  # stops cleanly, without cancellation
        return runner, task.done() and task.exception() is None


def test_runner_drives_field_response_through_the_api(sqlite_app: FastAPI, tmp_path: Path) -> None:
    with LiveServer(sqlite_app) as server:
        order_id = _open_order(server.url)
        runner, clean = asyncio.run(_drive(server.url, order_id))
        assert clean
        assert runner.report.errors == []
        mine = [a for a in runner.report.actions if a.target == f"workorder:{order_id}"]
        assert [a.verb for a in mine] == ["accept", "feedback"]
        assert all(a.status == 200 and a.actor == "jx_officer" for a in mine)
        # Feedback came after the order's handling time, counted in simulated minutes.
        handled = (mine[1].at - mine[0].at).total_seconds() / 60
        assert handled >= _minutes(order_id)
        assert runner.report.steps["field_response"] >= 2
        assert _status(server.url, order_id) == "fed_back"
    write_truth(runner.report, tmp_path / "live.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "live.jsonl").read_text().splitlines()]
    assert [(x["verb"], x["target"]) for x in lines if x["target"] == f"workorder:{order_id}"] == [
        ("accept", f"workorder:{order_id}"),
        ("feedback", f"workorder:{order_id}"),
    ]


def test_demo_runs_the_simulation_as_a_separate_process(
    sqlite_app: FastAPI, tmp_path: Path
) -> None:
    """What `jiaoguan demo` does: `python -m jiaoguan.sim` beside the server, stopped with it."""
    from jiaoguan.sim.process import live_simulation

    with LiveServer(sqlite_app) as server:
        order_id = _open_order(server.url)
        truth = tmp_path / "truth.jsonl"
        with live_simulation("0.0.0.0", server.port, 1800, DEMO_PASSWORD, truth):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and _status(server.url, order_id) != "fed_back":
                time.sleep(0.5)
        assert _status(server.url, order_id) == "fed_back"
    # Stopped with SIGTERM, the child still wrote its ground truth.
    assert f'"target": "workorder:{order_id}"' in truth.read_text()
