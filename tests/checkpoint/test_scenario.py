"""The live "checkpoint" scenario against the real app: Digest registration, tollgates read over
VIID, wanted vehicles put on the watchlist through the API, passes posted and stored."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
from sqlalchemy import func, select

from jiaoguan.app import create_app
from jiaoguan.checkpoint.demo import DEMO_DEVICE_ID, DEMO_DEVICE_PASSWORD
from jiaoguan.checkpoint.digest import digest_ha1
from jiaoguan.checkpoint.models import Checkpoint, DeviceKind, PassRecordRow, ViidDevice
from jiaoguan.checkpoint.scenario import CheckpointTraffic, sites_from_tollgates
from jiaoguan.checkpoint.traffic_sim import TrafficConfig, checkpoint_sites
from jiaoguan.checkpoint.watch_models import Watch, WatchStatus
from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.sim.city import generate_city
from jiaoguan.sim.live import PublicApi, SimClock
from tests.conftest import make_settings
from tests.support.databases import DEMO_PASSWORD

PASSWORD = DEMO_PASSWORD


def test_sites_follow_the_platform_tollgates() -> None:
    city = generate_city(2, "test")
    own = checkpoint_sites(city)
    gates = [
        {"TollgateID": s.code, "Name": s.name, "Longitude": s.lon, "Latitude": s.lat, "LaneNum": 2}
        for s in own
    ] + [{"TollgateID": "13060000001219999999", "Name": "坏坐标"}]
    sites = sites_from_tollgates(city, gates)
    assert [s.code for s in sites] == [s.code for s in own]  # the bad one is skipped
    assert [s.node for s in sites] == [s.node for s in own]
    assert any(s.central for s in sites) and not all(s.central for s in sites)


async def test_scenario_posts_passes_through_viid(sqlite_url: str, tmp_path: Path) -> None:
    city = generate_city(2, "test")
    app = create_app(make_settings(sqlite_url, tmp_path))
    database = app.state.db
    with database.transaction() as db:
        root = db.scalars(select(OrgUnit).where(OrgUnit.parent_id.is_(None))).one()
        for site in checkpoint_sites(city):
            db.add(Checkpoint(code=site.code, name=site.name, lon=site.lon, lat=site.lat,
                              lane_count=4, unit_id=root.id))  # fmt: skip
        db.add(
            ViidDevice(
                device_id=DEMO_DEVICE_ID,
                name="模拟汇聚平台",
                kind=DeviceKind.platform,
                unit_id=root.id,
                digest_ha1=digest_ha1(DEMO_DEVICE_ID, DEMO_DEVICE_PASSWORD),
                enabled=True,
            )
        )
    # Yesterday 20:00 Beijing time, with the day so far as backlog: plenty of passes, none in
    # the future whenever the test runs.
    beijing = dt.timezone(dt.timedelta(hours=8))
    evening = dt.datetime.combine(
        dt.datetime.now(beijing).date() - dt.timedelta(days=1), dt.time(20), beijing
    )
    scenario = CheckpointTraffic(
        config=TrafficConfig(wanted_share=0.005),
        backlog=dt.timedelta(hours=20),
        clock=lambda: evening.astimezone(dt.UTC),
    )
    scenario.setup(city, SimClock(60))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        api = PublicApi(client, _Passwords())
        actions = await scenario.step(evening, api)
        actions += await scenario.step(evening, api)  # nothing new is due: nothing posted twice
    verbs = {a.verb: a.status for a in actions}
    assert verbs["viid_register"] == 200
    assert verbs["watch_apply"] == 201 and verbs["watch_approve"] == 200
    posted = [a for a in actions if a.verb == "post_passes"]
    assert all(a.status == 200 for a in posted)
    sent = sum(int(a.target.split("/")[1]) for a in posted)
    accepted = sum(int(a.target.split("/")[0]) for a in posted)
    assert accepted == sent > 100
    planted = [a for a in actions if a.verb.endswith("_pass")]
    assert {a.verb for a in planted} >= {"misread_pass"}
    with database.sessions() as db:
        stored = db.scalar(select(func.count()).select_from(PassRecordRow))
        active = db.scalar(
            select(func.count()).select_from(Watch).where(Watch.status == WatchStatus.active)
        )
    assert stored == sent
    assert active == scenario.sim.wanted.height


class _Passwords(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return PASSWORD
