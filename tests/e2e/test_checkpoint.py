"""Checkpoint trajectory in a real browser: the query asks for a reason, then draws the plate's
passes on the map (numbered in time order) beside the table."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from sqlalchemy import select

from jiaoguan.checkpoint.demo import seed_checkpoints
from jiaoguan.checkpoint.ingest import Ingestor, make_pass
from jiaoguan.checkpoint.models import Checkpoint
from tests.e2e.conftest import Watched

PLATE = "冀F7E2E1"


def _passes(app: FastAPI) -> int:
    with app.state.db.transaction() as db:
        seed_checkpoints(db)  # the demo checkpoints on the test city's roads
    with app.state.db.sessions() as db:
        gates = list(db.scalars(select(Checkpoint).order_by(Checkpoint.id).limit(4)))
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    records = [
        make_pass(
            record_id=f"E2E{i:04d}",
            checkpoint_id=gate.id,
            tollgate_code=gate.code,
            passed_at=start + dt.timedelta(minutes=7 * i),
            plate_raw=PLATE,
            plate_colour="5",
            vehicle_class="K33",
            lane_no=1,
        )
        for i, gate in enumerate(gates)
    ]
    Ingestor(app.state.db).ingest(records)
    return len(records)


def test_trajectory_with_a_reason_shows_the_map(watched: Watched, live_app: FastAPI) -> None:
    count = _passes(live_app)
    assert count >= 3, "the test city should hold demo checkpoints"
    watched.login("dispatcher")
    page = watched.page
    page.goto("/checkpoint/trajectory")
    assert page.locator(".page-title").inner_text() == "车辆轨迹"
    assert page.locator("#jg-trajectory").count() == 0
    page.locator("#plate").fill(PLATE)
    page.locator("#reason").fill("端到端测试：核查轨迹")
    page.locator("#trajectory-query button[type=submit]").click()
    page.wait_for_selector("#jg-trajectory .leaflet-tooltip")
    labels = page.locator("#jg-trajectory .leaflet-tooltip").all_inner_texts()
    assert labels == [str(i + 1) for i in range(count)]
    assert page.locator("#pass-rows tbody tr").count() == count
    assert "已记入审计日志" in page.locator(".alert-warning").inner_text()
    page.wait_for_timeout(500)  # the road context layer
    page.screenshot(path="/tmp/ckp_trajectory.png", full_page=True)
    watched.shot("checkpoint-trajectory")
    page.goto("/checkpoint/passes")
    page.locator("#plate").fill("冀F7E2*")
    beijing = dt.timezone(dt.timedelta(hours=8))
    four_hours_ago = dt.datetime.now(beijing) - dt.timedelta(hours=4)
    page.locator("#start").fill(four_hours_ago.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#reason").fill("端到端测试：过车查询")
    page.locator("#pass-query button[type=submit]").click()
    page.wait_for_selector("#pass-rows")
    assert page.locator("#pass-rows tbody tr").count() == count
    page.screenshot(path="/tmp/ckp_passes.png", full_page=True)
    page.goto("/checkpoint/checkpoints")
    assert page.locator("table").count() >= 1
    page.screenshot(path="/tmp/ckp_checkpoints.png", full_page=True)
    assert not watched.problems(), watched.problems()
