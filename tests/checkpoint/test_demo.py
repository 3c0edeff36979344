"""Demo checkpoints are placed on the stored road network, with lanes and a VIID credential."""

from __future__ import annotations

from collections import Counter

from fastapi import FastAPI
from sqlalchemy import func, select

from jiaoguan.checkpoint.demo import DEMO_DEVICE_ID, DEMO_DEVICE_PASSWORD, seed_checkpoints
from jiaoguan.checkpoint.digest import digest_ha1
from jiaoguan.checkpoint.models import Checkpoint, ViidDevice
from jiaoguan.geo.models import RoadNode
from jiaoguan.sim.city import CitySize
from jiaoguan.sim.demo import seed_city


def test_no_network_no_checkpoints(sqlite_app: FastAPI) -> None:
    with sqlite_app.state.db.transaction() as db:
        seed_checkpoints(db)
        assert db.scalar(select(func.count()).select_from(Checkpoint)) == 0


def test_checkpoints_on_the_test_city(sqlite_app: FastAPI) -> None:
    with sqlite_app.state.db.transaction() as db:
        seed_city(db, CitySize.test)
        seed_checkpoints(db)
    with sqlite_app.state.db.sessions() as db:
        gates = list(db.scalars(select(Checkpoint)))
        kinds = Counter(g.site_kind.value for g in gates)
        assert len(gates) >= 6 and kinds["city_entrance"] and kinds["bridge"], kinds
        assert all(len(g.code) == 20 and g.code.isdigit() for g in gates)
        assert len({g.code for g in gates}) == len(gates)
        assert all(len(g.lanes) == g.lane_count for g in gates)
        nodes = {n.id: n for n in db.scalars(select(RoadNode))}
        for gate in gates:
            node = nodes[gate.road_node or -1]
            assert (node.lon, node.lat) == (gate.lon, gate.lat), "a checkpoint sits on a road node"
        device = db.scalar(select(ViidDevice).where(ViidDevice.device_id == DEMO_DEVICE_ID))
        assert device is not None
        assert device.digest_ha1 == digest_ha1(DEMO_DEVICE_ID, DEMO_DEVICE_PASSWORD)
    with sqlite_app.state.db.transaction() as db:
        seed_checkpoints(db)  # a second run adds nothing
        assert db.scalar(select(func.count()).select_from(Checkpoint)) == len(gates)
