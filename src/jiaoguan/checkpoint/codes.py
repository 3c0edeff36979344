"""Code tables of pass records (standards.md §1.11–1.13): GA/T 1400 ColorType, plate classes, the
legacy HPYS / CSYS colour codes, and the canonical plate colours of the vehicle registry."""

from __future__ import annotations

from jiaoguan.registry.models import PlateColor
from jiaoguan.registry.schemas import VEHICLE_CLASS_FAMILIES

# GA/T 1400 ColorType: plate colour and vehicle colour of pass records are stored in this code.
COLOR_LABELS: dict[str, str] = {
    "1": "黑",
    "2": "白",
    "3": "灰",
    "4": "红",
    "5": "蓝",
    "6": "黄",
    "7": "橙",
    "8": "棕",
    "9": "绿",
    "10": "紫",
    "11": "青",
    "12": "粉",
    "13": "透明",
    "99": "其他",
}

# The registry's body colours (registry.models.Vehicle.body_color: "白", "银色", …) → ColorType,
# for comparing a pass's vehicle colour with the registration. ColorType has no silver: cameras
# report it as grey.
BODY_COLOR_TO_COLOR: dict[str, str] = {label: code for code, label in COLOR_LABELS.items()} | {
    "银": "3"
}
UNKNOWN_COLORS = frozenset({"13", "99"})  # 透明, 其他: nothing to compare


def body_colour_code(value: str | None) -> str | None:
    """ColorType code of a registry body colour (a label, "…色", or a code); None when unknown."""
    value = (value or "").strip().removesuffix("色")
    code = value if value in COLOR_LABELS else BODY_COLOR_TO_COLOR.get(value)
    return None if code is None or code in UNKNOWN_COLORS else code


# Legacy 缉查布控 HPYS (plate colour): 0 白, 1 黄, 2 蓝, 3 黑, 4 绿, 5 未识别, 9 其他.
HPYS_TO_COLOR: dict[str, str] = {"0": "2", "1": "6", "2": "5", "3": "1", "4": "9", "5": "99"}
# Legacy CSYS (body colour, GA/T 16.8 letters) [unverified in standards.md].
CSYS_TO_COLOR: dict[str, str] = {
    "A": "2",
    "B": "3",
    "C": "6",
    "D": "12",
    "E": "4",
    "F": "10",
    "G": "9",
    "H": "5",
    "I": "8",
    "J": "1",
    "Z": "99",
}

# ColorType → the registry's canonical plate colour (for comparing a pass with the registry).
COLOR_TO_CANONICAL: dict[str, PlateColor] = {
    "5": PlateColor.BLUE,
    "6": PlateColor.YELLOW,
    "1": PlateColor.BLACK,
    "2": PlateColor.WHITE,
    "9": PlateColor.GREEN,
}
CANONICAL_TO_COLOR: dict[str, str] = {str(v): k for k, v in COLOR_TO_CANONICAL.items()} | {
    str(PlateColor.YELLOW_GREEN): "9"
}

PLATE_CLASS_LABELS: dict[str, str] = {
    "01": "大型汽车",
    "02": "小型汽车",
    "03": "使馆汽车",
    "04": "领馆汽车",
    "05": "境外汽车",
    "06": "外籍汽车",
    "07": "普通摩托车",
    "08": "轻便摩托车",
    "13": "低速车",
    "14": "拖拉机",
    "15": "挂车",
    "16": "教练汽车",
    "22": "临时行驶车",
    "23": "警用汽车",
    "26": "香港入出境车",
    "27": "澳门入出境车",
    "31": "武警号牌",
    "32": "军队号牌",
    "41": "无号牌",
    "42": "假号牌",
    "51": "大型新能源汽车",
    "52": "小型新能源汽车",
    "99": "其他号牌",
}


def colour_label(code: str | None) -> str:
    return COLOR_LABELS.get(code or "", code or "")


def plate_class_label(code: str | None) -> str:
    return PLATE_CLASS_LABELS.get(code or "", code or "")


def vehicle_class_label(code: str | None) -> str:
    if not code:
        return ""
    return f"{code} {VEHICLE_CLASS_FAMILIES.get(code[0], '')}".strip()
