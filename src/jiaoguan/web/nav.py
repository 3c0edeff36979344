"""The navigation: every module of SYSTEM.md, built or not, so users see the whole platform honestly."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NavItem:
    key: str
    title: str
    icon: str
    href: str
    permission: str | None = None
    built: bool = True
    summary: str = ""
    children: tuple[NavItem, ...] = field(default_factory=tuple)


def _planned(key: str, title: str, icon: str, summary: str) -> NavItem:
    return NavItem(key, title, icon, f"/modules/{key}", built=False, summary=summary)


NAVIGATION: list[NavItem] = [
    NavItem("home", "首页", "ti-home", "/"),
    NavItem("map", "一张图", "ti-map", "/map", permission="geo.read"),
    NavItem(
        "command",
        "智慧指挥",
        "ti-map-2",
        "/command",
        summary="一张图指挥：警情接入、警力实时定位、就近派警、两级指挥、手机端出警、响应时效统计。",
        children=(
            NavItem("command_board", "指挥台", "ti-map-2", "/command/board", "command.read"),
            NavItem(
                "incidents", "警情列表", "ti-list-details", "/command/incidents", "command.read"
            ),
            NavItem("intake", "接警登记", "ti-phone-plus", "/command/intake", "command.intake"),
            NavItem("force", "警力", "ti-users-group", "/command/force", "command.read"),
            NavItem("command_stats", "统计", "ti-chart-bar", "/command/stats", "command.read"),
            NavItem("officer_phone", "手机端", "ti-device-mobile", "/m/officer", "command.respond"),
        ),
    ),
    _planned(
        "duty",
        "勤务管理",
        "ti-calendar-time",
        "岗点（一二三级岗）、巡逻线、班次排班、离岗/迟到/早退检测与勤务考核。",
    ),
    NavItem(
        "checkpoint",
        "缉查布控",
        "ti-car",
        "/checkpoint/checkpoints",
        permission="checkpoint.read",
        summary="GA/T 1400 卡口过车接入、轨迹查询、布控库、实时预警与拦截处置、套牌与闯禁行分析。",
        children=(
            NavItem(
                "checkpoints", "卡口", "ti-camera", "/checkpoint/checkpoints", "checkpoint.read"
            ),
            NavItem(
                "passes", "过车查询", "ti-list-search", "/checkpoint/passes", "checkpoint.query"
            ),
            NavItem("trajectory", "轨迹", "ti-route", "/checkpoint/trajectory", "checkpoint.query"),
            NavItem(
                "co_travel",
                "同行分析",
                "ti-users-group",
                "/checkpoint/co-travel",
                "checkpoint.query",
            ),
            NavItem("health", "卡口状态", "ti-heartbeat", "/checkpoint/health", "checkpoint.read"),
            NavItem(
                "viid_devices",
                "接入设备",
                "ti-plug-connected",
                "/checkpoint/devices",
                "checkpoint.write",
            ),
            NavItem("watches", "布控", "ti-eye", "/checkpoint/watches", "checkpoint.read"),
            NavItem("alerts", "预警", "ti-alert-triangle", "/checkpoint/alerts", "checkpoint.read"),
            NavItem(
                "restriction_rules",
                "禁行规则",
                "ti-ban",
                "/checkpoint/restriction-rules",
                "checkpoint.read",
            ),
        ),
    ),
    _planned(
        "traffic",
        "路况感知",
        "ti-activity",
        "检测器数据、拥堵与事件自动发现、团雾预警与可变限速、设备运维。",
    ),
    NavItem(
        "registry",
        "一标六实",
        "ti-database",
        "/registry",
        summary="实有驾驶人、机动车、单位、房屋、道路、交通设施六类要素台账。",
        children=(
            NavItem("addresses", "标准地址", "ti-map-pin", "/registry/addresses", "address.read"),
            NavItem(
                "address_match",
                "地址匹配",
                "ti-zoom-check",
                "/registry/addresses/match",
                "address.read",
            ),
            NavItem(
                "landmarks", "地标", "ti-building-monument", "/registry/landmarks", "address.read"
            ),
            NavItem("divisions", "行政区划", "ti-map-2", "/registry/divisions", "address.read"),
            NavItem("drivers", "实有驾驶人", "ti-id-badge", "/registry/drivers", "registry.read"),
            NavItem("vehicles", "实有机动车", "ti-car", "/registry/vehicles", "registry.read"),
            NavItem("companies", "实有单位", "ti-building", "/registry/companies", "registry.read"),
            NavItem("houses", "实有房屋", "ti-home-2", "/registry/houses", "registry.read"),
            NavItem("roads", "实有道路", "ti-road", "/registry/roads", "registry.read"),
            NavItem(
                "road_segments", "道路路段", "ti-route", "/registry/road-segments", "registry.read"
            ),
            NavItem(
                "facilities",
                "实有交通设施",
                "ti-traffic-lights",
                "/registry/facilities",
                "registry.read",
            ),
        ),
    ),
    _planned(
        "licensing",
        "智慧车管",
        "ti-id",
        "网上车驾管业务、自助体检、绿色通道、网上约考、智能查验通道、举报奖励与快处快赔。",
    ),
    _planned(
        "supervision",
        "业务监管",
        "ti-shield-check",
        "社会化服务机构备案授权、业务流水预警模型、抽查、视频巡查、整改闭环与考评。",
    ),
    _planned(
        "analytics",
        "研判分析",
        "ti-chart-bar",
        "考核指标、事故分析、自动生成研判分析报告、领导大屏。",
    ),
    NavItem("workorders", "工单", "ti-checklist", "/workorders", permission="workorder.read"),
    NavItem(
        "admin",
        "系统管理",
        "ti-settings",
        "/admin",
        children=(
            NavItem("org_units", "组织机构", "ti-sitemap", "/admin/org-units", "org.read"),
            NavItem("users", "用户", "ti-users", "/admin/users", "user.read"),
            NavItem("roles", "角色权限", "ti-lock", "/admin/roles", "role.read"),
            NavItem("tokens", "接口令牌", "ti-key", "/admin/tokens", "token.manage"),
            NavItem("audit", "审计日志", "ti-file-search", "/admin/audit", "audit.read"),
            NavItem("api_docs", "接口文档", "ti-api", "/api/docs"),
        ),
    ),
]


def planned_module(key: str) -> NavItem | None:
    return next((item for item in NAVIGATION if item.key == key and not item.built), None)
