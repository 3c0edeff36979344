"""Pydantic I/O of the administration registries. Password hashes never appear in a Read schema."""

from __future__ import annotations

import datetime as dt

from pydantic import AliasChoices, AliasPath, Field, computed_field, field_validator

from jiaoguan.platform.auth.models import OrgUnitKind, UserKind
from jiaoguan.platform.auth.permissions import PERMISSIONS
from jiaoguan.platform.crud import Id, ReadSchema, Schema

ALL_PERMISSIONS = "*"
CODE_PATTERN = r"^[A-Za-z0-9_-]+$"
USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]+$"
ROLE_CODE_PATTERN = r"^[a-z][a-z0-9_]*$"

# --- org units -------------------------------------------------------------------------------


class OrgUnitCreate(Schema):
    code: str = Field(
        min_length=1,
        max_length=32,
        pattern=CODE_PATTERN,
        title="机构编码",
        description="全局唯一，字母、数字、下划线或短横线，如 13060203",
    )
    name: str = Field(min_length=1, max_length=100, title="名称")
    kind: OrgUnitKind = Field(
        title="类别", description="支队下设大队，大队下设中队，中队下设警务区，警务区下设网格"
    )
    parent_id: Id = Field(
        title="上级单位", description="须在本人数据权限范围内；导入时填上级单位的机构编码或全称"
    )
    phone: str | None = Field(None, max_length=32, title="电话")
    address: str | None = Field(None, max_length=200, title="地址")


class OrgUnitUpdate(Schema):
    code: str | None = Field(
        None, min_length=1, max_length=32, pattern=CODE_PATTERN, title="机构编码"
    )
    name: str | None = Field(None, min_length=1, max_length=100, title="名称")
    kind: OrgUnitKind | None = Field(None, title="类别")
    parent_id: Id | None = Field(
        None, title="上级单位", description="改变上级单位即移动本单位及其全部下级单位"
    )
    phone: str | None = Field(None, max_length=32, title="电话")
    address: str | None = Field(None, max_length=200, title="地址")


class OrgUnitRead(ReadSchema):
    id: int
    code: str
    name: str
    kind: OrgUnitKind
    parent_id: int | None
    parent_name: str | None = Field(
        None, validation_alias=AliasChoices(AliasPath("parent", "name"), "parent_name")
    )
    path: str = Field(description="物化路径，如 /1/4/9/")
    phone: str | None
    address: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


# --- roles -----------------------------------------------------------------------------------


def _known_permissions(values: list[str]) -> list[str]:
    unknown = [v for v in values if v != ALL_PERMISSIONS and v not in PERMISSIONS]
    if unknown:
        raise ValueError(f"未知的权限：{'、'.join(unknown[:5])}")
    return sorted(set(values))


class RoleCreate(Schema):
    code: str = Field(
        min_length=2,
        max_length=32,
        pattern=ROLE_CODE_PATTERN,
        title="角色代码",
        description="全局唯一，小写字母开头，只含小写字母、数字和下划线，创建后不可修改",
    )
    name: str = Field(min_length=1, max_length=50, title="角色名称")
    description: str | None = Field(None, max_length=200, title="说明")
    permissions: list[str] = Field(
        default_factory=list,
        max_length=500,
        title="权限",
        description="只能授予本人拥有的权限；“*”为全部权限，仅系统管理员可授予",
    )

    @field_validator("permissions")
    @classmethod
    def _known(cls, values: list[str]) -> list[str]:
        return _known_permissions(values)


class RoleUpdate(Schema):
    name: str | None = Field(None, min_length=1, max_length=50, title="角色名称")
    description: str | None = Field(None, max_length=200, title="说明")
    permissions: list[str] | None = Field(None, max_length=500, title="权限")

    @field_validator("permissions")
    @classmethod
    def _known(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _known_permissions(values)


class RoleRead(ReadSchema):
    id: int
    code: str
    name: str
    description: str | None
    permissions: list[str]
    builtin: bool = Field(description="内置角色：不可删除")
    created_at: dt.datetime
    updated_at: dt.datetime


class RoleBrief(ReadSchema):
    id: int
    code: str
    name: str


# --- users -----------------------------------------------------------------------------------


class UserCreate(Schema):
    username: str = Field(
        min_length=2,
        max_length=64,
        pattern=USERNAME_PATTERN,
        title="用户名",
        description="登录名，全局唯一，字母、数字或 _ . @ -",
    )
    full_name: str = Field(min_length=1, max_length=64, title="姓名")
    kind: UserKind = Field(UserKind.police, title="人员类别")
    unit_id: Id = Field(
        title="所属单位", description="须在本人数据权限范围内；导入时填机构编码或全称"
    )
    badge_no: str | None = Field(None, max_length=32, title="警号")
    phone: str | None = Field(None, max_length=32, title="电话")
    role_ids: list[Id] = Field(
        default_factory=list,
        max_length=50,
        title="角色",
        description="只能授予权限不超出本人权限的角色；导入时填角色代码或名称，多个用逗号分隔",
    )
    password: str | None = Field(
        None,
        max_length=128,
        title="初始密码",
        description="至少 10 位，须同时包含字母和数字；设备账号不设密码",
    )
    is_active: bool = Field(True, title="启用")


class UserUpdate(Schema):
    full_name: str | None = Field(None, min_length=1, max_length=64, title="姓名")
    kind: UserKind | None = Field(None, title="人员类别")
    unit_id: Id | None = Field(None, title="所属单位")
    badge_no: str | None = Field(None, max_length=32, title="警号")
    phone: str | None = Field(None, max_length=32, title="电话")
    role_ids: list[Id] | None = Field(None, max_length=50, title="角色")
    is_active: bool | None = Field(None, title="启用", description="停用后不能登录，令牌失效")


class UserRead(ReadSchema):
    id: int
    username: str
    full_name: str
    kind: UserKind
    unit_id: int
    unit_name: str | None = Field(
        None, validation_alias=AliasChoices(AliasPath("unit", "name"), "unit_name")
    )
    badge_no: str | None
    phone: str | None
    is_active: bool
    roles: list[RoleBrief]
    last_login_at: dt.datetime | None
    locked_until: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def role_ids(self) -> list[int]:
        return [role.id for role in self.roles]


class PasswordReset(Schema):
    password: str = Field(
        min_length=1,
        max_length=128,
        title="新密码",
        description="至少 10 位，须同时包含字母和数字",
    )
