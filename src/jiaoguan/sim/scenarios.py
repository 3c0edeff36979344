"""Built-in live scenarios. Later modules add theirs (officer movement, passes, readings, ...)
in their own packages with `@register_scenario`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from jiaoguan.sim.city import City
from jiaoguan.sim.live import Action, PublicApi, SimClock, register_scenario

# Field accounts of the demo organisation that receive work orders.
FIELD_ACCOUNTS = ("jx_officer", "jx_aux", "lc_officer", "grid_worker", "agency")
FEEDBACK_TEXTS = (
    "已到场核查处置，现场秩序恢复正常。",
    "已联系当事人并完成整改，附现场情况说明。",
    "已会同网格员走访核实，情况属实，已按规定处理。",
    "已现场劝导并登记，后续纳入日常巡查。",
)


@dataclass
class _Handling:
    seen_at: dt.datetime
    minutes: int


@register_scenario("field_response")
@dataclass
class FieldResponse:
    """Field staff sign for the work orders sent to them and report back after a while.

    Each account polls its orders over the API (`mine=true`), signs for those it may accept
    (`actions` in the detail, as the platform decides), and after a handling time of 15-90
    simulated minutes, fixed per order, feeds back. Nothing is written except through the API.
    """

    name: str = "field_response"
    # Every five simulated minutes: at the demo's x60 that is one look per account every 5 s.
    interval_s: float = 300.0
    accounts: tuple[str, ...] = FIELD_ACCOUNTS
    handling: dict[int, _Handling] = field(default_factory=dict)

    def setup(self, city: City | None, clock: SimClock) -> None:
        self.handling.clear()

    async def step(self, now: dt.datetime, api: PublicApi) -> list[Action]:
        actions: list[Action] = []
        for actor in self.accounts:
            actions += await self._accept_new(now, api, actor)
            actions += await self._report_done(now, api, actor)
        return actions

    async def _orders(self, api: PublicApi, actor: str, *status: str) -> list[int]:
        response = await api.request(
            actor, "GET", "/api/v1/workorders", params={"mine": "true", "status": list(status)}
        )
        response.raise_for_status()
        return [int(item["id"]) for item in response.json()["items"]]

    async def _accept_new(self, now: dt.datetime, api: PublicApi, actor: str) -> list[Action]:
        actions = []
        for order_id in await self._orders(api, actor, "assigned"):
            detail = await api.request(actor, "GET", f"/api/v1/workorders/{order_id}")
            if detail.status_code != 200 or "accept" not in detail.json()["actions"]:
                continue  # sent to a colleague in the same unit: not ours to sign
            response = await api.request(actor, "POST", f"/api/v1/workorders/{order_id}/accept")
            actions.append(self._action(actor, "accept", order_id, now, response.status_code))
            if response.status_code == 200:
                self.handling[order_id] = _Handling(now, _minutes(order_id))
        return actions

    async def _report_done(self, now: dt.datetime, api: PublicApi, actor: str) -> list[Action]:
        actions = []
        # Rejected orders come back for another feedback after another handling time.
        for order_id in await self._orders(api, actor, "accepted", "rejected"):
            handling = self.handling.setdefault(order_id, _Handling(now, _minutes(order_id)))
            if now < handling.seen_at + dt.timedelta(minutes=handling.minutes):
                continue
            detail = await api.request(actor, "GET", f"/api/v1/workorders/{order_id}")
            if detail.status_code != 200 or "feedback" not in detail.json()["actions"]:
                continue
            text = FEEDBACK_TEXTS[order_id % len(FEEDBACK_TEXTS)]
            response = await api.request(
                actor, "POST", f"/api/v1/workorders/{order_id}/feedback", json={"text": text}
            )
            actions.append(self._action(actor, "feedback", order_id, now, response.status_code))
            if response.status_code == 200:
                self.handling.pop(order_id, None)
        return actions

    def _action(
        self, actor: str, verb: str, order_id: int, now: dt.datetime, status: int
    ) -> Action:
        return Action(self.name, actor, verb, f"workorder:{order_id}", now, status)


def _minutes(order_id: int) -> int:
    """Handling time fixed per order (not per run), so reruns behave the same."""
    digest = hashlib.sha256(f"field_response:{order_id}".encode()).digest()
    return 15 + digest[0] % 76
