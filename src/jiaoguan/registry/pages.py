"""Pages of the six registries under /registry/<plural>, and the sensitive-read pages (identity of a
driver, owner of a vehicle) which ask for a reason and record it, exactly like the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from jiaoguan.platform.auth.permissions import REGISTRY_READ
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import page_router
from jiaoguan.platform.deps import Db, Reason, require
from jiaoguan.registry import service
from jiaoguan.registry.models import SEX_LABELS
from jiaoguan.registry.registries import ALL_REGISTRIES, DRIVERS, VEHICLES
from jiaoguan.web.templating import render

Reader = Annotated[Principal, Depends(require(REGISTRY_READ))]

router = APIRouter(include_in_schema=False)
# Fixed sub-paths first, then each registry's pages.
sensitive = APIRouter(include_in_schema=False)


def _sensitive_page(
    request: Request, title: str, back: str, rows: list[tuple[str, Any]], reason: str
) -> HTMLResponse:
    context = {
        "title": title,
        "pretitle": "敏感信息查询（已记入审计）",
        "rows": [(label, "" if value is None else str(value)) for label, value in rows],
        "back_url": back,
        "reason": reason,
    }
    return render(request, "registry/sensitive.html", context)


@sensitive.get(f"{DRIVERS.page_prefix}/{{item_id:int}}/identity", response_class=HTMLResponse)
def driver_identity_page(
    request: Request, db: Db, principal: Reader, item_id: int, reason: Reason
) -> Response:
    person = service.driver_identity(db, principal, item_id, reason)
    rows: list[tuple[str, Any]] = [
        ("姓名", person.name),
        ("身份证号", person.id_number),
        ("性别", SEX_LABELS[person.sex]),
        ("出生日期", person.birth_date.isoformat()),
        ("联系电话", person.phone or "—"),
        ("驾驶证档案编号", person.licence_no or "—"),
    ]
    back = f"{DRIVERS.page_prefix}/{item_id}"
    return _sensitive_page(request, f"驾驶人身份信息：{person.name}", back, rows, reason)


@sensitive.get(f"{VEHICLES.page_prefix}/{{item_id:int}}/owner", response_class=HTMLResponse)
def vehicle_owner_page(
    request: Request, db: Db, principal: Reader, item_id: int, reason: Reason
) -> Response:
    owner = service.vehicle_owner(db, principal, item_id, reason)
    rows: list[tuple[str, Any]] = [
        ("号牌号码", owner.plate_no),
        ("所有人", owner.owner_name),
        ("证件号码", owner.owner_id_number),
        ("所有人类别", "个人" if owner.owner_is_person else "单位"),
    ]
    if owner.driver_id is not None:
        rows.append(("驾驶人台账", f"编号 {owner.driver_id}"))
    back = f"{VEHICLES.page_prefix}/{item_id}"
    return _sensitive_page(request, f"机动车所有人：{owner.plate_no}", back, rows, reason)


router.include_router(sensitive)
for _registry in ALL_REGISTRIES:
    router.include_router(page_router(_registry))
