"""Known permissions and the built-in roles' defaults; modules register their own permissions here."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Permission:
    code: str
    label: str


PERMISSIONS: dict[str, Permission] = {}


def register_permission(code: str, label: str) -> str:
    PERMISSIONS[code] = Permission(code, label)
    return code


ORG_READ = register_permission("org.read", "查看组织机构")
ORG_WRITE = register_permission("org.write", "维护组织机构")
USER_READ = register_permission("user.read", "查看用户")
USER_WRITE = register_permission("user.write", "维护用户")
ROLE_READ = register_permission("role.read", "查看角色")
ROLE_WRITE = register_permission("role.write", "维护角色与权限")
TOKEN_MANAGE = register_permission("token.manage", "管理设备与接口令牌")
AUDIT_READ = register_permission("audit.read", "查阅审计日志")
WORKORDER_READ = register_permission("workorder.read", "查看工单")
WORKORDER_CREATE = register_permission("workorder.create", "创建与派发工单")
WORKORDER_HANDLE = register_permission("workorder.handle", "签收与反馈工单")
WORKORDER_REVIEW = register_permission("workorder.review", "审核与办结工单")
PUSH_RECEIVE = register_permission("push.receive", "接收实时推送")
DEVICE_INGEST = register_permission("device.ingest", "设备数据上报")
GEO_READ = register_permission("geo.read", "查看地图、路网与区域")
GEO_WRITE = register_permission("geo.write", "导入与维护路网、区域")
REGISTRY_READ = register_permission("registry.read", "查看一标六实台账")
REGISTRY_WRITE = register_permission("registry.write", "采集与维护一标六实台账")
ADDRESS_READ = register_permission("address.read", "查看标准地址与地址匹配")
ADDRESS_WRITE = register_permission("address.write", "维护标准地址")
COMMAND_READ = register_permission("command.read", "查看警情、警力与出警统计")
COMMAND_INTAKE = register_permission("command.intake", "接警登记警情")
COMMAND_DISPATCH = register_permission("command.dispatch", "派警、改派与指挥调度")
COMMAND_RESPOND = register_permission("command.respond", "出警反馈（签收、到场、处置）")
CHECKPOINT_READ = register_permission("checkpoint.read", "查看卡口、布控与预警")
CHECKPOINT_WRITE = register_permission("checkpoint.write", "维护卡口与车道")
CHECKPOINT_QUERY = register_permission("checkpoint.query", "查询过车记录与车辆轨迹")
WATCHLIST_APPLY = register_permission("watchlist.apply", "申请布控与撤控")
WATCHLIST_APPROVE = register_permission("watchlist.approve", "审批布控与撤控")
ALERT_HANDLE = register_permission("alert.handle", "签收与处置预警")


@dataclass(frozen=True)
class BuiltinRole:
    code: str
    name: str
    description: str
    permissions: tuple[str, ...]


_ALL_WORKORDER = (WORKORDER_READ, WORKORDER_CREATE, WORKORDER_HANDLE, WORKORDER_REVIEW)
_COMMAND_CENTRE = (
    COMMAND_READ,
    COMMAND_INTAKE,
    COMMAND_DISPATCH,
    CHECKPOINT_READ,
    CHECKPOINT_QUERY,
    WATCHLIST_APPLY,
    ALERT_HANDLE,
)
_FIELD = (COMMAND_READ, COMMAND_RESPOND, CHECKPOINT_READ, ALERT_HANDLE)

BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole("admin", "系统管理员", "维护组织、用户、角色，查阅审计", ("*",)),
    BuiltinRole(
        "dispatcher",
        "指挥员",
        "指挥中心值班，接警派警、处置预警",
        (
            ORG_READ,
            USER_READ,
            REGISTRY_READ,
            PUSH_RECEIVE,
            *_ALL_WORKORDER,
            GEO_READ,
            *_COMMAND_CENTRE,
        ),
    ),
    BuiltinRole(
        "officer",
        "民警/辅警",
        "一线执勤，签收与反馈任务",
        (
            ORG_READ,
            REGISTRY_READ,
            PUSH_RECEIVE,
            WORKORDER_READ,
            WORKORDER_HANDLE,
            GEO_READ,
            *_FIELD,
        ),
    ),
    BuiltinRole(
        "duty_manager",
        "勤务管理员",
        "排班与勤务考核",
        (
            ORG_READ,
            USER_READ,
            REGISTRY_READ,
            REGISTRY_WRITE,
            PUSH_RECEIVE,
            *_ALL_WORKORDER,
            GEO_READ,
            COMMAND_READ,
        ),
    ),
    BuiltinRole(
        "supervisor",
        "监管员",
        "车驾管业务监管，审核整改反馈",
        (ORG_READ, USER_READ, REGISTRY_READ, PUSH_RECEIVE, *_ALL_WORKORDER, GEO_READ),
    ),
    BuiltinRole(
        "grid_worker",
        "网格员",
        "采集核录要素，处理网格任务",
        (
            ORG_READ,
            REGISTRY_READ,
            REGISTRY_WRITE,
            PUSH_RECEIVE,
            WORKORDER_READ,
            WORKORDER_HANDLE,
            GEO_READ,
        ),
    ),
    BuiltinRole(
        "agency_operator",
        "机构操作员",
        "社会化服务机构办理业务、反馈预警",
        (PUSH_RECEIVE, WORKORDER_READ, WORKORDER_HANDLE),
    ),
    BuiltinRole(
        "leader",
        "领导",
        "查看全局态势、统计与审计",
        (
            ORG_READ,
            USER_READ,
            ROLE_READ,
            AUDIT_READ,
            REGISTRY_READ,
            PUSH_RECEIVE,
            WORKORDER_READ,
            WORKORDER_REVIEW,
            GEO_READ,
            COMMAND_READ,
            CHECKPOINT_READ,
            WATCHLIST_APPROVE,
        ),
    ),
    BuiltinRole("device", "设备", "前端设备与对接系统，仅上报数据", (DEVICE_INGEST,)),
)


# Standard addresses and address matching: every role that works on the city reads them.
_ADDRESS_READERS = frozenset(
    {"dispatcher", "officer", "duty_manager", "supervisor", "grid_worker", "leader"}
)
BUILTIN_ROLES = tuple(
    replace(role, permissions=(*role.permissions, ADDRESS_READ))
    if role.code in _ADDRESS_READERS
    else role
    for role in BUILTIN_ROLES
)


def grants(held: frozenset[str], needed: str) -> bool:
    return "*" in held or needed in held
