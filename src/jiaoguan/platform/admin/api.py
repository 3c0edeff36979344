"""API of the administration registries under /api/v1/org-units, /users and /roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from jiaoguan.platform.admin.org_units import ORG_UNITS
from jiaoguan.platform.admin.roles import ROLES
from jiaoguan.platform.admin.schemas import PasswordReset
from jiaoguan.platform.admin.users import USERS, reset_password
from jiaoguan.platform.auth.permissions import USER_WRITE
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import ITEM, ItemId, api_router, located
from jiaoguan.platform.deps import Db, require

router = APIRouter()
users = api_router(USERS)


@users.post(
    f"{ITEM}/reset-password",
    status_code=204,
    response_class=Response,
    summary="重置用户密码（同时解除锁定并使其网页会话失效）",
    name="users_reset_password",
)
def reset_user_password(
    item_id: ItemId,
    body: PasswordReset,
    db: Db,
    principal: Annotated[Principal, Depends(require(USER_WRITE))],
) -> None:
    with located():
        reset_password(db, principal, item_id, body.password)


for registry_router in (api_router(ORG_UNITS), users, api_router(ROLES)):
    router.include_router(registry_router)
