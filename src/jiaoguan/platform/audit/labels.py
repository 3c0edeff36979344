"""Chinese names for audit actions and resources; modules register their own resources."""

from __future__ import annotations

ACTION_LABELS: dict[str, str] = {
    "login": "登录",
    "logout": "退出登录",
    "create": "新建",
    "update": "修改",
    "delete": "删除",
    "import": "导入",
    "export": "导出",
    "read": "查询",
    "revoke": "吊销",
    "reset_password": "重置密码",
}

RESOURCE_LABELS: dict[str, str] = {
    "web_session": "登录会话",
    "api_token": "访问令牌",
    "org_unit": "组织机构",
    "user": "用户",
    "role": "角色",
}


def register_audit_labels(
    resources: dict[str, str] | None = None, actions: dict[str, str] | None = None
) -> None:
    RESOURCE_LABELS.update(resources or {})
    ACTION_LABELS.update(actions or {})


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def resource_label(code: str) -> str:
    return RESOURCE_LABELS.get(code, code)
