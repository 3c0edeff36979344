"""Text normalisation and house-number parsing for Chinese addresses.

NFKC turns full-width digits and letters into ASCII and Kangxi radicals (U+2Fxx) into ideographs,
but not the look-alike CJK Radicals Supplement code points (⻄ U+2EC4, ⻓ U+2ED3) that break
matching (algorithms.md §8.2, JioNLP #249): those go through a table of their own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# CJK Radicals Supplement forms that look exactly like an ordinary ideograph.
RADICALS: dict[str, str] = {
    "⺠": "民",
    "⻁": "虎",
    "⻄": "西",
    "⻅": "见",
    "⻆": "角",
    "⻉": "贝",
    "⻊": "足",
    "⻋": "车",
    "⻑": "長",
    "⻓": "长",
    "⻔": "门",
    "⻗": "雨",
    "⻘": "青",
    "⻙": "韦",
    "⻚": "页",
    "⻛": "风",
    "⻜": "飞",
    "⻝": "食",
    "⻢": "马",
    "⻣": "骨",
    "⻤": "鬼",
    "⻥": "鱼",
    "⻦": "鸟",
    "⻧": "卤",
    "⻨": "麦",
    "⻩": "黄",
    "⻬": "齐",
    "⻮": "齿",
    "⻰": "龙",
    "⻳": "龟",
}
_RADICAL_TABLE = str.maketrans(RADICALS)
# Dashes people type between building, unit and room ("3-2-501").
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−~～〜_"})
_KEEP = frozenset("-#")
_MULTI_DASH = re.compile(r"-{2,}")


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_RADICAL_TABLE).translate(_DASHES)
    kept = []
    for char in text:
        if char in _KEEP:
            kept.append(char)
            continue
        category = unicodedata.category(char)
        # Spaces, punctuation, symbols, marks and control / unassigned code points carry no
        # address information.
        if category[0] in "ZPSMC":
            continue
        kept.append(char.upper() if "a" <= char <= "z" else char)
    return _MULTI_DASH.sub("-", "".join(kept)).strip("-")


def normalize(text: str) -> str:
    """The form every address is matched in: idempotent, never raises for any string."""
    # Removing a character can bring together two that NFKC composes; repeat to a fixed point.
    for _ in range(4):
        cleaned = _clean(text)
        if cleaned == text:
            break
        text = cleaned
    return text


# --- house numbers ------------------------------------------------------------------------------

_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}


def _cn_number(text: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20, 二十三 → 23 (up to 99, as buildings and units are)."""
    if not text:
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        ten = _CN_DIGITS.get(tens, -1) if tens else 1
        one = _CN_DIGITS.get(ones, -1) if ones else 0
        return ten * 10 + one if ten >= 0 and one >= 0 else None
    if len(text) == 1:
        return _CN_DIGITS.get(text)
    return None


_CN_BEFORE_PART = re.compile(r"([一二三四五六七八九十两〇零]{1,3})(?=号楼|栋|幢|座|单元|层|楼|号)")


def arabic_parts(text: str) -> str:
    """Chinese numerals in front of 栋 / 单元 / 号 become digits: 三栋二单元 → 3栋2单元."""

    def replace(match: re.Match[str]) -> str:
        value = _cn_number(match.group(1))
        return str(value) if value is not None else match.group(1)

    return _CN_BEFORE_PART.sub(replace, text)


@dataclass(frozen=True)
class HouseParts:
    """Door number, building, unit and room as comparable keys ("123", "3", "2", "501")."""

    number: str | None = None
    yard: bool = False  # "123号院"
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    end: int = 0  # characters of the text the parts took

    @property
    def empty(self) -> bool:
        return not (self.number or self.building or self.unit or self.room)


_NUMBER = re.compile(r"(\d{1,5})(?:-(\d{1,4}))?号(院)?")
_DASHED = re.compile(r"(\d{1,3}|[A-Z])-(\d{1,2})-(\d{2,5})")
_DASHED_TWO = re.compile(r"(\d{1,3}|[A-Z])-(\d{1,2})(?![\d-])")
_BUILDING = re.compile(r"(\d{1,3}|[A-Z])(?:号楼|栋|幢|座|#楼|#|号)")
_UNIT = re.compile(r"(\d{1,2})单元")
_ROOM = re.compile(r"(\d{2,5})(?:室|号|房)?")


def _strip_zeros(value: str) -> str:
    return (value.lstrip("0") or "0") if value.isdigit() else value


def parse_house(text: str, *, with_number: bool = True) -> HouseParts:
    """Parse "123号院3栋2单元501", "123号3-2-501", "5号楼1单元" from the start of `text`
    (a few characters of estate name may sit between the door number and the building)."""
    text = arabic_parts(text)
    pos = 0
    number: str | None = None
    yard = False
    if with_number:
        found = _NUMBER.match(text)
        if found is None:
            found = _NUMBER.search(text[:6])
        if found is not None:
            number, yard, pos = _strip_zeros(found.group(1)), bool(found.group(3)), found.end()
    building = unit = room = None
    rest = text[pos:]
    dashed = _DASHED.search(rest[:20])
    dashed_two = _DASHED_TWO.search(rest[:20]) if dashed is None else None
    if dashed is not None:
        building, unit, room = dashed.group(1), dashed.group(2), dashed.group(3)
        pos += dashed.end()
    elif dashed_two is not None:
        building, unit = dashed_two.group(1), dashed_two.group(2)
        pos += dashed_two.end()
    else:
        found_b = _BUILDING.search(rest[:16])
        if found_b is not None:
            building = found_b.group(1)
            pos += found_b.end()
            rest = text[pos:]
        found_u = _UNIT.match(rest) if building else _UNIT.search(rest[:16])
        if found_u is not None:
            unit = found_u.group(1)
            pos += found_u.end()
            rest = text[pos:]
        if building or unit:
            found_r = _ROOM.match(rest)
            if found_r is not None:
                room = found_r.group(1)
                pos += found_r.end()
    return HouseParts(
        number=number,
        yard=yard,
        building=_strip_zeros(building) if building else None,
        unit=_strip_zeros(unit) if unit else None,
        room=_strip_zeros(room) if room else None,
        end=pos,
    )


def house_key(value: str | None) -> str | None:
    """The comparable key of a stored part: "123号" → "123", "3栋" → "3", "2单元" → "2"."""
    if not value:
        return None
    text = normalize(arabic_parts(value))
    digits = re.match(r"\d+|[A-Z]", text)
    return _strip_zeros(digits.group(0)) if digits else text
