"""Pydantic I/O for login, the current user and API tokens."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from jiaoguan.platform.auth.models import UserKind


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64, description="用户名")
    password: str = Field(min_length=1, max_length=128, description="密码")


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="令牌用途")
    days: float | None = Field(None, gt=0, le=3650, description="有效天数；不填为长期有效")
    user_id: int | None = Field(None, ge=1, description="为哪个用户或设备签发；不填为本人")


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    user_id: int
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked: bool


class TokenIssued(TokenRead):
    token: str = Field(description="令牌明文，仅此一次返回，请妥善保存")


class PasswordToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime | None


class MeRead(BaseModel):
    id: int
    username: str
    full_name: str
    kind: UserKind
    unit_id: int
    unit_path: str
    roles: list[str]
    permissions: list[str]
