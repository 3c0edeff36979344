"""Validators: the published examples, the synthetic plate vectors (standards.md §2.5, §3), and
properties — generated valid numbers pass, one changed character is caught, normalisation is
idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiaoguan.registry.validators import (
    CREDIT_CHARSET,
    PROVINCES,
    CheckError,
    check_credit_code,
    check_id_number,
    check_licence_class,
    check_plate,
    check_vin,
    clean_plate,
    credit_check_char,
    id_check_char,
    make_credit_code,
    make_id_number,
    normalise_plate,
    org_check_char,
    vin_check_char,
)

# --- id numbers (GB 11643) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "birth", "sex"),
    [
        ("11010519491231002X", dt.date(1949, 12, 31), "female"),
        ("440524188001010014", dt.date(1880, 1, 1), "male"),
        ("34052419800101001x", dt.date(1980, 1, 1), "male"),
    ],
)
def test_the_published_id_numbers_pass(number: str, birth: dt.date, sex: str) -> None:
    parsed = check_id_number(number)
    assert (parsed.birth_date, parsed.sex, parsed.number) == (birth, sex, number.upper())


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310025", "校验位错误：应为 X，实为 5"),
        ("110105194902300020", "出生日期不存在"),
        ("990105194912310021", "地址码不正确"),
        ("11010519491231002", "应为 18 位"),
        ("1101051949123100AX", "前 17 位应为数字"),
        ("110105294912310020", "出生日期不合理"),
    ],
)
def test_bad_id_numbers_name_the_failed_check(number: str, reason: str) -> None:
    with pytest.raises(CheckError, match=reason):
        check_id_number(number)


def test_full_width_digits_are_accepted() -> None:
    assert check_id_number("１１０１０５１９４９１２３１００２Ｘ").number == "11010519491231002X"


regions = st.sampled_from(["110105", "130602", "130606", "440524", "650102", "810000"])
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31))


@given(regions, births, st.integers(0, 999))
def test_generated_id_numbers_pass(region: str, birth: dt.date, sequence: int) -> None:
    parsed = check_id_number(make_id_number(region, birth, sequence))
    assert parsed.birth_date == birth
    assert parsed.sex == ("male" if sequence % 2 else "female")


@given(regions, births, st.integers(0, 999), st.integers(0, 17), st.integers(1, 10))
def test_one_changed_character_of_an_id_number_is_caught(
    region: str, birth: dt.date, sequence: int, position: int, shift: int
) -> None:
    number = make_id_number(region, birth, sequence)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    if number[position] not in alphabet:
        return
    changed = alphabet[(alphabet.index(number[position]) + shift) % len(alphabet)]
    if changed == number[position]:
        return
    with pytest.raises(CheckError):
        check_id_number(number[:position] + changed + number[position + 1 :])


# --- credit codes (GB 32100, GB 11714) ------------------------------------------------------------


def test_the_reference_check_characters() -> None:
    assert id_check_char("11010519491231002") == "X"
    assert id_check_char("44052418800101001") == "4"
    assert credit_check_char("91350100M000100Y4") == "3"
    assert credit_check_char("91110000600037341") == "L"
    assert org_check_char("D2143569") == "X"
    assert org_check_char("MA1FL0LY") == "9"
    assert org_check_char("M000100Y") == "4"


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L", "N2370683MA1FL0LY9H"])
def test_valid_credit_codes_pass(code: str) -> None:
    assert check_credit_code(code.lower()).code == code


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y4Z", "非法字符“Z”"),
        ("91350100M000100Y44", "校验位错误：应为 3，实为 4"),
        ("91350100M000100Y53", "组织机构代码）校验位错误：应为 4，实为 5"),
        ("B1350100M000100Y43", "登记管理部门代码“B”不存在"),
        ("95350100M000100Y43", "机构类别代码“5”不属于登记管理部门“市场监管”"),
        ("91A50100M000100Y43", "行政区划码"),
        ("91350100M000100Y4", "应为 18 位"),
    ],
)
def test_bad_credit_codes_name_the_failed_check(code: str, reason: str) -> None:
    with pytest.raises(CheckError, match=reason):
        check_credit_code(code)


prefixes = st.sampled_from(["91", "92", "93", "11", "12", "51", "52", "53", "N2", "Y1", "A1"])
org_bodies = st.text(alphabet=CREDIT_CHARSET, min_size=8, max_size=8)
divisions = st.from_regex(r"\A[0-9]{6}\Z")


@given(prefixes, divisions, org_bodies)
def test_generated_credit_codes_pass(prefix: str, region: str, body: str) -> None:
    code = make_credit_code(prefix, region, body)
    assert check_credit_code(code).org_code == body + org_check_char(body)


@given(prefixes, divisions, org_bodies, st.integers(0, 17), st.integers(1, 30))
def test_one_changed_character_of_a_credit_code_is_caught(
    prefix: str, region: str, body: str, position: int, shift: int
) -> None:
    code = make_credit_code(prefix, region, body)
    index = CREDIT_CHARSET.index(code[position])
    changed = CREDIT_CHARSET[(index + shift) % len(CREDIT_CHARSET)]
    with pytest.raises(CheckError):
        check_credit_code(code[:position] + changed + code[position + 1 :])


# --- plates (GA 36) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plate", "classes"),
    [
        ("京A12345", "02"),
        ("粤B1C2D3", "02"),
        ("粤O12345", "02"),
        ("沪AD12345", "52"),
        ("苏E12345F", "51"),
        ("京A12345D", "51"),
        ("京A1234警", "23"),
        ("浙A1234学", "16"),
        ("鲁B1234挂", "15"),
        ("粤Z1234港", "26"),
        ("粤Z1234澳", "27"),
        ("使123456", "03"),
    ],
)
def test_valid_plates_and_their_classes(plate: str, classes: str) -> None:
    found = check_plate(plate)
    assert found.plate == plate and classes in found.classes


@pytest.mark.parametrize(
    ("plate", "reason"),
    [
        ("京AI2345", "不能含字母 I"),
        ("京A1O345", "不能含字母 O"),
        ("京A1234D5", "8 位号牌应为新能源号牌"),
        ("港A12345", "省份简称不正确"),
        ("京12345", "缺少发牌机关代号"),
        ("京A123456", "8 位号牌应为新能源号牌"),
        ("京A1234", "号牌长度不正确"),
        ("无牌", "无牌"),
    ],
)
def test_invalid_plates_name_the_failed_check(plate: str, reason: str) -> None:
    with pytest.raises(CheckError, match=reason):
        check_plate(plate)


def test_the_plate_class_must_agree_with_the_plate() -> None:
    assert check_plate("冀F12345", "01").colours == ("YELLOW",)
    assert check_plate("冀F12345", "02").colours == ("BLUE",)
    with pytest.raises(CheckError, match="号牌号码与号牌种类不符"):
        check_plate("冀FD12345", "02")
    other = check_plate("WJ1234", "31")
    assert other.kind == "other" and other.warnings


def test_more_than_two_letters_is_a_warning_not_a_rejection() -> None:
    assert check_plate("冀FABC12").warnings


def test_cleaning_and_normalising() -> None:
    assert clean_plate(" 冀ｆ·12345 ") == "冀F12345"
    assert normalise_plate("冀f.1o345") == "冀F10345"
    assert normalise_plate("粤o12345") == "粤O12345"  # the authority letter O is real
    assert normalise_plate("鲁B1O34挂") == "鲁B1034挂"
    assert normalise_plate("未识别") == ""


plate_text = st.text(
    alphabet=st.sampled_from(list(PROVINCES + "使港澳挂学警·. -ｆＯoOIi0123456789ABDFXYZ")),
    max_size=10,
)


@given(plate_text)
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalise_plate(text)
    assert normalise_plate(once) == once


serials = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=5, max_size=5)


@given(st.sampled_from(list(PROVINCES)), st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"), serials)
def test_generated_ordinary_plates_pass(province: str, authority: str, serial: str) -> None:
    plate = f"{province}{authority}{serial}"
    assert check_plate(plate).kind == "ordinary"
    assert normalise_plate(plate) == plate


# --- VIN and licence classes -------------------------------------------------------------------------


def test_vin() -> None:
    body = "LSVAU2180N2183294"
    fixed = body[:8] + vin_check_char(body) + body[9:]
    assert check_vin(fixed).check_digit_ok
    assert not check_vin(body[:8] + ("1" if fixed[8] != "1" else "2") + body[9:]).check_digit_ok
    with pytest.raises(CheckError, match="非法字符“O”"):
        check_vin("LSVAU2180O2183294")
    with pytest.raises(CheckError, match="17 位"):
        check_vin("LSVAU2180")


def test_licence_classes() -> None:
    assert check_licence_class("c1") == "C1"
    assert check_licence_class("A2D") == "A2D"
    for bad in ("C7", "Z", "C1C1", ""):
        with pytest.raises(CheckError, match="准驾车型"):
            check_licence_class(bad)
