"""The demo seed: officers with accounts the simulation can log in as, rules, a week of history."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import func, select

from jiaoguan.command.models import CommandRule, Incident, IncidentState, Officer
from jiaoguan.platform.auth.models import User
from tests.support.clients import api_client


def test_demo_officers_rules_and_history(sqlite_app: FastAPI) -> None:
    with sqlite_app.state.db.sessions() as db:
        officers = list(db.scalars(select(Officer)))
        assert 35 <= len(officers) <= 45
        assert all(o.user_id is not None for o in officers)
        linked = db.scalar(
            select(Officer)
            .join(User, User.id == Officer.user_id)
            .where(User.username == "jx_officer")
        )
        assert linked is not None and linked.unit.code == "13060201"
        assert db.scalar(select(func.count(CommandRule.id))) == 6
        closed = db.scalar(
            select(func.count(Incident.id)).where(Incident.state == IncidentState.closed)
        )
        assert closed and closed >= 30
        generated = db.scalar(select(User.username).where(User.username.startswith("jy")))
    assert generated is not None
    # The simulation acts as them: the demo password works and they hold command.respond.
    with api_client(sqlite_app, generated) as client:
        me = client.get("/api/v1/command/me").json()
        assert me["officer"]["username"] == generated
    with api_client(sqlite_app, "dispatcher") as client:
        week = client.get("/api/v1/command/stats").json()
        assert week["overall"]["count"] > 0 and week["overall"]["to_arrive"]["mean_s"] is not None
