"""The restriction-rule registry (禁行规则) honours the registry contract; rule checks in memory."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from jiaoguan.checkpoint.ingest import make_pass
from jiaoguan.checkpoint.restrictions import RestrictionIndex, RuleEntry
from jiaoguan.checkpoint.watch_demo import seed_restriction_rules
from jiaoguan.checkpoint.watch_models import RestrictionRule
from tests.checkpoint.watch_support import SITES, add_checkpoints
from tests.checkpoint.watch_support import unit as unit_row
from tests.support.registry_contract import RegistryContract, unit

BEIJING = dt.timezone(dt.timedelta(hours=8))


class TestRestrictionRules(RegistryContract):
    api = "/api/v1/checkpoint/restriction-rules"
    pages = "/checkpoint/restriction-rules"
    resource = "restriction_rule"
    samples = (
        {
            "name": "主城区货车日间禁行",
            "target": "trucks",
            "vehicle_classes": ["H1", "H2"],
            "checkpoint_codes": [SITES[0][0], SITES[1][0]],
            "start_time": "07:00",
            "end_time": "21:00",
            "weekdays": "12345",
            "unit_id": unit("130602"),
        },
        {
            "name": "危化品车夜间禁行",
            "target": "hazmat",
            "checkpoint_codes": [SITES[2][0]],
            "start_time": "22:00",
            "end_time": "06:00",
            "unit_id": unit("13060201"),
        },
    )
    update: ClassVar[dict[str, Any]] = {"end_time": "20:00", "active": False}
    invalid = (
        {
            "name": "坏时间",
            "target": "trucks",
            "checkpoint_codes": [SITES[0][0]],
            "start_time": "7点",
            "end_time": "21:00",
            "unit_id": unit("130602"),
        },
        "start_time",
    )
    outsider = "lc_dispatcher"
    keyword = "货车日间"

    @pytest.fixture(autouse=True)
    def _checkpoints(self, app: FastAPI) -> None:
        add_checkpoints(app)

    def test_unknown_checkpoints_are_refused(self, app: FastAPI, as_user: Any) -> None:
        body = {**self.samples[0], "unit_id": unit_row(app, "130602").id}
        body["checkpoint_codes"] = ["1" * 20]
        response = as_user("admin").post(self.api, json=body)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"][-1] == "checkpoint_codes"


def _rule(start: str, end: str, days: str = "1234567", target: str = "trucks") -> RuleEntry:
    hours = [int(x) for x in start.split(":")], [int(x) for x in end.split(":")]
    return RuleEntry(
        rule_id=1,
        name="测试",
        target=target,
        classes=("H1", "Q"),
        start_min=hours[0][0] * 60 + hours[0][1],
        end_min=hours[1][0] * 60 + hours[1][1],
        weekdays=frozenset(int(d) for d in days),
        exempt=frozenset({"冀F0000H"}),
        window=f"{start}–{end}",
    )


def _at(weekday_date: str, hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{weekday_date}T{hhmm}:00").replace(tzinfo=BEIJING)


def test_time_windows_weekdays_and_overnight() -> None:
    day = _rule("07:00", "21:00", "12345")
    assert day.in_force(_at("2026-11-23", "07:00"))  # a Monday
    assert not day.in_force(_at("2026-11-23", "21:00"))
    assert not day.in_force(_at("2026-11-22", "10:00"))  # a Sunday
    night = _rule("22:00", "06:00")
    assert night.in_force(_at("2026-11-23", "23:30")) and night.in_force(_at("2026-11-24", "05:59"))
    assert not night.in_force(_at("2026-11-24", "06:00"))


def test_targets() -> None:
    index = RestrictionIndex(
        {5: (_rule("00:00", "23:59"), _rule("00:00", "23:59", target="hazmat"))},
        hazmat=frozenset({"冀F12345"}),
    )

    def passing(plate: str, vclass: str | None, checkpoint: int = 5) -> Any:
        at = _at("2026-11-23", "12:00")
        return make_pass(
            record_id=plate + str(checkpoint),
            checkpoint_id=checkpoint,
            tollgate_code="1" * 20,
            passed_at=at,
            plate_raw=plate,
            vehicle_class=vclass,
        )

    passes = [
        passing("冀F11111", "H11"),  # a heavy truck: trucks rule
        passing("冀F22222", "Q11"),  # a tractor unit
        passing("冀F33333", "H31"),  # a light truck: not in H1/Q
        passing("冀F0000H", "H11"),  # exempt
        passing("冀F12345", "K33"),  # registered hazmat: hazmat rule
        passing("冀F11111", "H11", checkpoint=6),  # not a guarded checkpoint
        passing("冀F44444", None),  # class unknown: no guess
    ]
    hits = index.match(passes)
    assert sorted((h.record.plate, h.rule.target) for h in hits) == [
        ("冀F11111", "trucks"),
        ("冀F12345", "hazmat"),
        ("冀F22222", "trucks"),
    ]


def test_demo_rule_guards_the_central_checkpoints(app: FastAPI) -> None:
    assert seed_restriction_rules is not None
    with app.state.db.transaction() as db:
        seed_restriction_rules(db)  # no checkpoints yet: nothing
        assert db.scalar(select(func.count(RestrictionRule.id))) == 0
    add_checkpoints(app)
    for _ in range(2):  # the second run keeps the existing rule
        with app.state.db.transaction() as db:
            seed_restriction_rules(db)
    with app.state.db.sessions() as db:
        rules = list(db.scalars(select(RestrictionRule)))
    assert len(rules) == 1 and sorted(rules[0].checkpoint_codes) == sorted(s[0] for s in SITES)
