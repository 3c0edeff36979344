"""Validators for the keys of the six registries: id numbers, credit codes, plates, VINs.

Pure functions, no database. A failed check raises `CheckError` whose message (Chinese) names the
check that failed, e.g. "校验位错误：应为 X，实为 5"; pydantic validators re-raise it as the
field's message. Rules: ../shared/reference/standards.md §2 (GA 36-2018 plates) and §3 (GB 11643,
GB 32100, GB 11714); the check-digit functions are our own implementation of §3.4.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

# --- errors -------------------------------------------------------------------------------------


class CheckError(ValueError):
    """A value failed one named check; `str(error)` is the Chinese reason."""


# --- GB 11643-1999 citizen id number --------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# GB/T 2260 province-level codes (first two digits); 71/81/82/83: Taiwan, Hong Kong, Macau
# (residence permits). A county code unknown today is not an error: codes get abolished after
# the number was issued (standards.md §3.1), so only the province is checked.
PROVINCE_CODES = frozenset(
    {
        *("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36"),
        *("37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62"),
        *("63", "64", "65", "71", "81", "82", "83"),
    }
)
_EARLIEST_BIRTH = dt.date(1800, 1, 1)


@dataclass(frozen=True)
class IdNumber:
    """A valid id number and what it says: birth date, sex ("male"/"female"), region code."""

    number: str
    birth_date: dt.date
    sex: str
    region_code: str


def id_check_char(body17: str) -> str:
    """The MOD 11-2 check character of the first 17 digits."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True)) % 11]


def check_id_number(value: str, today: dt.date | None = None) -> IdNumber:
    """Validate an 18-character GB 11643 id number (lower-case x accepted); raise CheckError."""
    number = unicodedata.normalize("NFKC", value).strip().upper()
    if len(number) != 18:
        raise CheckError(f"身份证号应为 18 位，实为 {len(number)} 位")
    if not number[:17].isdigit() or not number[:17].isascii():
        raise CheckError("身份证号前 17 位应为数字")
    if not (number[17].isdigit() and number[17].isascii()) and number[17] != "X":
        raise CheckError("身份证号末位应为数字或 X")
    if number[:2] not in PROVINCE_CODES:
        raise CheckError(f"地址码不正确：“{number[:2]}”不是省级行政区划代码")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise CheckError(f"出生日期不存在：{number[6:14]}") from None
    if birth < _EARLIEST_BIRTH or birth > (today or dt.date.today()):
        raise CheckError(f"出生日期不合理：{birth.isoformat()}")
    expected = id_check_char(number[:17])
    if number[17] != expected:
        raise CheckError(f"校验位错误：应为 {expected}，实为 {number[17]}")
    sex = "male" if int(number[16]) % 2 else "female"
    return IdNumber(number=number, birth_date=birth, sex=sex, region_code=number[:6])


def make_id_number(region_code: str, birth_date: dt.date, sequence: int) -> str:
    """A valid id number for a region, birth date and 3-digit sequence (odd: male) — for
    generators and tests; the number is synthetic."""
    body = f"{region_code}{birth_date:%Y%m%d}{sequence % 1000:03d}"
    return body + id_check_char(body)


# --- GB 11714-1997 organisation code and GB 32100-2015 unified social credit code -----------------

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_CHARSET)}
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

# Registration authority (position 1) → its entity categories (position 2).
# [single-source, standards.md §3.2]; "9" (other) is accepted wherever the amendments list it.
CREDIT_AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台旅游部门常驻代表机构", "9": "其他"},
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("市场监管", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": (
        "农业",
        {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    ),
    "Y": ("其他", {"1": "其他"}),
}


@dataclass(frozen=True)
class CreditCode:
    """A valid credit code and its parts."""

    code: str
    authority: str  # Chinese name of the registration authority
    category: str  # Chinese name of the entity category
    region_code: str
    org_code: str  # GB 11714 code, 8 + 1 characters


def _org_value(char: str) -> int:
    # GB 11714 values letters A–Z as 10–35 (the full alphabet, unlike the credit-code table).
    return int(char) if char.isdigit() else ord(char) - 55


def org_check_char(body8: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    c9 = 11 - sum(_org_value(c) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True)) % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def credit_check_char(body17: str) -> str:
    """The GB 32100 MOD 31 check character of the first 17 characters."""
    total = sum(_CREDIT_VALUE[c] * w for c, w in zip(body17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def check_credit_code(value: str) -> CreditCode:
    """Validate an 18-character unified social credit code; raise CheckError."""
    code = unicodedata.normalize("NFKC", value).strip().upper()
    if len(code) != 18:
        raise CheckError(f"统一社会信用代码应为 18 位，实为 {len(code)} 位")
    bad = [c for c in code if c not in _CREDIT_VALUE]
    if bad:
        raise CheckError(f"含非法字符“{bad[0]}”（只用数字和除 I、O、Z、S、V 外的大写字母）")
    authority = CREDIT_AUTHORITIES.get(code[0])
    if authority is None:
        raise CheckError(f"登记管理部门代码“{code[0]}”不存在")
    authority_name, categories = authority
    if code[1] not in categories:
        raise CheckError(f"机构类别代码“{code[1]}”不属于登记管理部门“{authority_name}”")
    if not code[2:8].isdigit():
        raise CheckError("登记管理机关行政区划码（第 3–8 位）应为数字")
    org_expected = org_check_char(code[8:16])
    if code[16] != org_expected:
        raise CheckError(
            f"主体标识码（组织机构代码）校验位错误：应为 {org_expected}，实为 {code[16]}"
        )
    expected = credit_check_char(code[:17])
    if code[17] != expected:
        raise CheckError(f"校验位错误：应为 {expected}，实为 {code[17]}")
    return CreditCode(
        code=code,
        authority=authority_name,
        category=categories[code[1]],
        region_code=code[2:8],
        org_code=code[8:17],
    )


def make_credit_code(prefix2: str, region_code: str, org_body8: str) -> str:
    """A valid credit code from authority + category, region and an 8-character organisation
    body (characters of the credit-code set) — for generators and tests; synthetic."""
    body = f"{prefix2}{region_code}{org_body8}{org_check_char(org_body8)}"
    return body + credit_check_char(body)


# --- GA 36-2018 plates -----------------------------------------------------------------------------

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_P = f"[{PROVINCES}]"
_S = "[A-HJ-NP-Z0-9]"  # serial characters: no I, no O
_NEV = "[DABCEFGHJK]"  # D/F, and the 2021 capacity expansion (standards.md §2.2)


@dataclass(frozen=True)
class PlateShape:
    """One plate grammar: its pattern, the plate classes (GA/T 16.7 codes) and canonical colours."""

    kind: str
    label: str
    pattern: re.Pattern[str]
    classes: tuple[str, ...]
    colours: tuple[str, ...]


def _shape(kind: str, label: str, pattern: str, classes: str, colours: str) -> PlateShape:
    return PlateShape(
        kind, label, re.compile(pattern), tuple(classes.split()), tuple(colours.split())
    )


# Order matters: the first matching shape wins (8-character NEV before anything else).
PLATE_SHAPES: tuple[PlateShape, ...] = (
    _shape("nev_small", "小型新能源汽车号牌", rf"^{_P}[A-Z]{_NEV}{_S}\d{{4}}$", "52", "GREEN"),
    _shape("nev_large", "大型新能源汽车号牌", rf"^{_P}[A-Z]\d{{5}}{_NEV}$", "51", "YELLOW_GREEN"),
    _shape("ordinary", "普通号牌", rf"^{_P}[A-Z]{_S}{{5}}$", "02 01 07 08 13 14", "BLUE YELLOW"),
    _shape("trailer", "挂车号牌", rf"^{_P}[A-Z]{_S}{{4}}挂$", "15", "YELLOW"),
    _shape("coach", "教练号牌", rf"^{_P}[A-Z]{_S}{{4}}学$", "16 17", "YELLOW"),
    _shape("police", "警用号牌", rf"^{_P}[A-Z]{_S}{{4}}警$", "23 24", "WHITE"),
    _shape("test", "试验号牌", rf"^{_P}[A-Z]{_S}{{4}}试$", "18 19", "WHITE"),  # unverified
    _shape("temporary", "临时行驶车号牌", rf"^{_P}[A-Z]{_S}{{4}}临$", "22", "OTHER"),  # unverified
    _shape("consulate", "领馆号牌", rf"^{_P}[A-Z]\d{{4}}领$", "04 10", "BLACK"),  # unverified
    _shape("embassy", "使馆号牌", r"^使\d{6}$", "03 09", "BLACK"),  # unverified
    _shape("hong_kong", "香港入出境号牌", rf"^粤Z{_S}{{4}}港$", "26", "BLACK"),
    _shape("macau", "澳门入出境号牌", rf"^粤Z{_S}{{4}}澳$", "27", "BLACK"),
)
# Classes outside the GA 36 civil grammar (armed police, military, no plate...): basic checks only.
_SHAPED_CLASSES = frozenset(c for shape in PLATE_SHAPES for c in shape.classes)
# The colour each class carries (GA 36); ordinary-shape classes differ only by colour.
CLASS_COLOURS: dict[str, str] = {
    "01": "YELLOW",
    "02": "BLUE",
    "03": "BLACK",
    "04": "BLACK",
    "07": "YELLOW",
    "08": "BLUE",
    "09": "BLACK",
    "10": "BLACK",
    "13": "YELLOW",
    "14": "GREEN",
    "15": "YELLOW",
    "16": "YELLOW",
    "17": "YELLOW",
    "18": "WHITE",
    "19": "WHITE",
    "22": "OTHER",
    "23": "WHITE",
    "24": "WHITE",
    "26": "BLACK",
    "27": "BLACK",
    "31": "WHITE",
    "32": "WHITE",
    "51": "YELLOW_GREEN",
    "52": "GREEN",
}
_SEPARATORS = re.compile(r"[\s·•・.\-_]+")
_SUFFIXES = "挂学警试临领港澳"
NO_PLATE = frozenset({"", "-", "无牌", "无车牌", "未识别", "车牌", "无号牌"})


@dataclass(frozen=True)
class PlateCheck:
    """A valid plate: its grammar, the plate classes and canonical colours it can carry."""

    plate: str
    kind: str
    label: str
    classes: tuple[str, ...]
    colours: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def clean_plate(value: str) -> str:
    """Steps 1–2 of standards.md §2.3: half-width, upper case, no separators (· . - spaces)."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).upper()


def normalise_plate(value: str) -> str:
    """The matching form of a plate (§2.3 steps 1–3): `clean_plate`, then O → 0 and I → 1 in the
    serial (they never occur there). Idempotent. Keep the raw string too: the strict check runs
    on `clean_plate`, since a plate this step changes was not written correctly."""
    plate = clean_plate(value)
    if plate in NO_PLATE:
        return ""
    start = 1 if plate.startswith("使") else 2
    end = len(plate) - 1 if plate and plate[-1] in _SUFFIXES else len(plate)
    end = max(end, start)  # a string too short to have a serial
    serial = plate[start:end].replace("O", "0").replace("I", "1")
    return plate[:start] + serial + plate[end:]


def _plate_reason(plate: str) -> str:
    """Which check a plate that matches no grammar fails, the most specific first."""
    if plate in NO_PLATE:
        return "号牌号码为空或为无牌占位"
    first = plate[0]
    if first != "使" and first not in PROVINCES:
        return f"省份简称不正确：“{first}”不是号牌省份简称"
    if first == "使":
        return "使馆号牌应为“使”加 6 位数字"
    if len(plate) < 2 or not ("A" <= plate[1] <= "Z"):
        return "缺少发牌机关代号：第 2 位应为字母 A–Z"
    end = len(plate) - 1 if plate[-1] in _SUFFIXES else len(plate)
    serial = plate[2:end]
    for letter in "IO":
        if letter in serial:
            return f"序号中不能含字母 {letter}（易与数字混淆）"
    if len(plate) == 8:
        return "8 位号牌应为新能源号牌：小型第 3 位为 D/F 等字母且末 4 位为数字，大型前 5 位为数字且末位为 D/F 等字母"
    if len(plate) != 7:
        return f"号牌长度不正确：{len(plate)} 位（普通号牌 7 位，新能源号牌 8 位）"
    return "号牌号码格式不符合 GA 36 规则"


def _basic_plate(plate: str, plate_class: str) -> PlateCheck:
    """Classes outside the civil grammar (武警、军队、无号牌…): only a sane string."""
    if plate in NO_PLATE or len(plate) > 16 or not re.fullmatch(r"[0-9A-Z\u4e00-\u9fff]+", plate):
        raise CheckError("号牌号码格式不正确")
    colour = CLASS_COLOURS.get(plate_class, "OTHER")
    warning = "该号牌种类不在 GA 36 民用号牌规则内，只做了基本检查"
    return PlateCheck(plate, "other", "其他号牌", (plate_class,), (colour,), (warning,))


def check_plate(value: str, plate_class: str | None = None) -> PlateCheck:
    """Validate a plate against the GA 36 grammars; with `plate_class`, also that they agree.

    Runs on `clean_plate(value)` (not on the O/I-corrected form). Returns the inferred classes and
    canonical colours (standards.md §1.13) and warnings (more than 2 letters in an ordinary serial).
    """
    plate = clean_plate(value)
    if plate_class is not None and plate_class not in _SHAPED_CLASSES:
        return _basic_plate(plate, plate_class)
    shape = next((s for s in PLATE_SHAPES if s.pattern.fullmatch(plate)), None)
    if shape is None:
        raise CheckError(_plate_reason(plate))
    if plate_class is not None and plate_class not in shape.classes:
        raise CheckError(f"号牌号码与号牌种类不符：“{plate}”为{shape.label}")
    warnings: tuple[str, ...] = ()
    if shape.kind == "ordinary" and sum(c.isalpha() for c in plate[2:]) > 2:
        warnings = ("序号中字母超过 2 个（旧号牌可能如此，请核实）",)
    classes = (plate_class,) if plate_class else shape.classes
    colours = tuple(dict.fromkeys(CLASS_COLOURS.get(c, "OTHER") for c in classes))
    return PlateCheck(plate, shape.kind, shape.label, classes, colours, warnings)


# --- GB 16735 vehicle identification number ---------------------------------------------------------

_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_char(vin: str) -> str:
    """The position-9 check character of a 17-character VIN."""
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True)) % 11
    return "X" if total == 10 else str(total)


@dataclass(frozen=True)
class VinCheck:
    vin: str
    check_digit_ok: bool  # GB 16735 makes position 9 optional for some makers: a warning only


def check_vin(value: str) -> VinCheck:
    """17 characters, digits and letters without I, O, Q; the check digit is reported, not enforced."""
    vin = unicodedata.normalize("NFKC", value).strip().upper()
    if len(vin) != 17:
        raise CheckError(f"车辆识别代号应为 17 位，实为 {len(vin)} 位")
    bad = [c for c in vin if c not in _VIN_VALUES]
    if bad:
        raise CheckError(f"车辆识别代号含非法字符“{bad[0]}”（不用 I、O、Q）")
    return VinCheck(vin, vin[8] == vin_check_char(vin))


# --- driving licence classes ---------------------------------------------------------------------------

LICENCE_CLASSES = [
    "A1",
    "A2",
    "A3",
    "B1",
    "B2",
    "C1",
    "C2",
    "C3",
    "C4",
    "C5",
    "C6",
    "D",
    "E",
    "F",
    "M",
    "N",
    "P",
]
_LICENCE = re.compile("(" + "|".join(sorted(LICENCE_CLASSES, key=len, reverse=True)) + ")")


def check_licence_class(value: str) -> str:
    """A driving-licence class or a combination of them ("C1", "A2D", "B2E"), upper case."""
    text = clean_plate(value)
    parts = _LICENCE.findall(text)
    if not text or "".join(parts) != text:
        raise CheckError(f"准驾车型“{value}”不正确，应为 {'/'.join(LICENCE_CLASSES)} 或其组合")
    if len(set(parts)) != len(parts):
        raise CheckError(f"准驾车型“{value}”重复")
    return text
