"""The officers and command-rule registries honour the registry contract (both databases)."""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import FastAPI

from tests.conftest import ClientFactory
from tests.support.registry_contract import RegistryContract, unit


class TestOfficers(RegistryContract):
    api = "/api/v1/command/officers"
    pages = "/command/officers"
    resource = "officer"
    samples = (
        {
            "code": "990001",
            "name": "测试甲",
            "unit_id": unit("13060201"),
            "kind": "police",
            "mode": "driving",
        },
        {
            "code": "990002",
            "name": "测试乙",
            "unit_id": unit("13060601"),
            "kind": "auxiliary",
            "mode": "walking",
        },
    )
    update: ClassVar[dict[str, Any]] = {"name": "测试甲（改）", "mode": "walking"}
    invalid = ({"code": "", "name": "无警号", "unit_id": unit("13060201")}, "code")
    outsider = "lc_dispatcher"
    keyword = "990001"


class TestCommandRules(RegistryContract):
    api = "/api/v1/command/rules"
    pages = "/command/rules"
    resource = "command_rule"
    samples = (
        {
            "name": "竞秀事故升级",
            "kind": "accident",
            "min_level": 2,
            "area_unit_id": unit("130602"),
            "command_level": "detachment",
        },
        {
            "name": "莲池拥堵",
            "kind": "congestion",
            "area_unit_id": unit("130606"),
            "command_level": "brigade",
            "arrive_limit_s": 1200,
        },
    )
    update: ClassVar[dict[str, Any]] = {"priority": 5, "enabled": False}
    invalid = ({"name": "", "command_level": "brigade"}, "name")
    outsider = "lc_dispatcher"
    keyword = "竞秀事故"


def test_a_brigade_may_not_write_citywide_rules(app: FastAPI, as_user: ClientFactory) -> None:
    client = as_user("jx_dispatcher")
    refused = client.post(
        "/api/v1/command/rules", json={"name": "全市", "command_level": "brigade"}
    )
    assert refused.status_code == 403 and "支队" in refused.json()["detail"][0]["msg"]
