"""The address normaliser, house-number parser, matcher and messy-address generator (no database)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiaoguan.geo.address.divisions import (
    GENERIC_NAMES,
    alias_rows,
    short_name,
    source_rows,
)
from jiaoguan.geo.address.matcher import AddressInputError, AddressMatcher, edit_distance
from jiaoguan.geo.address.models import DivisionLevel
from jiaoguan.geo.address.normalize import normalize, parse_house
from jiaoguan.geo.address.sample import SampleAddress, SampleLandmark, sample_city
from jiaoguan.geo.address.testset import NOISE_KINDS, messy_cases


def _matcher(
    addresses: list[SampleAddress], landmarks: list[SampleLandmark], home: str = "130600"
) -> AddressMatcher:
    return AddressMatcher(
        source_rows(),
        alias_rows(),
        addresses,
        landmarks,
        home_city=home,
        generic_names=GENERIC_NAMES,
    )


def _record(
    record_id: int, county: str, road: str, number: str | None, **more: str
) -> SampleAddress:
    text = f"{county}{road}{number or ''}{''.join(more.values())}"
    return SampleAddress(record_id, f"T{record_id}", county, road, number, text, **more)


# A few hand-made records for the seed examples of algorithms.md §8.1.
HAND = [
    _record(1, "130602", "朝阳大街", "10号"),
    _record(2, "130606", "东风中路", "123号"),
    _record(3, "130606", "东风中路", "123号", building="3栋", unit_no="2单元"),
    _record(4, "130606", "东风中路", "123号", building="3栋", unit_no="2单元", room="501"),
    _record(5, "130602", "朝阳北大街", "1号"),
    _record(6, "130602", "七一西路", "1号"),
    _record(7, "130629", "奥威路", "8号"),
    _record(8, "130606", "东风东路", "123号"),
    _record(9, "130608", "建设路", "5号"),
    _record(10, "130609", "建设路", "5号"),
]
MARKS = [SampleLandmark(1, "万博广场", 1, "130602", ["万博"])]


@pytest.fixture(scope="module")
def hand() -> AddressMatcher:
    return _matcher(HAND, MARKS)


@pytest.fixture(scope="module")
def city() -> tuple[AddressMatcher, list[SampleAddress], list[SampleLandmark]]:
    made = sample_city()
    return _matcher(made.addresses, made.landmarks), made.addresses, made.landmarks


# --- normalisation ------------------------------------------------------------------------------


@given(st.text(max_size=80))
@settings(max_examples=400, deadline=None)
def test_normalize_is_idempotent_and_never_raises(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert not any(c.isspace() for c in once)


@given(st.text(alphabet="东风中路０１２３４５６７８９号栋单元 　，。-－⻄⻓ABCabc", max_size=40))
@settings(max_examples=200, deadline=None)
def test_parse_house_never_raises(text: str) -> None:
    parts = parse_house(normalize(text))
    assert parts.end <= len(normalize(text))


def test_normalize_fixes_width_radicals_and_punctuation() -> None:
    assert normalize("东风中路　１２３号") == "东风中路123号"
    assert normalize("⻄二环路，⻓城北大街") == "西二环路长城北大街"
    assert normalize("b座 3－2—501") == "B座3-2-501"


@pytest.mark.parametrize(
    ("text", "number", "building", "unit", "room"),
    [
        ("123号院3栋2单元501", "123", "3", "2", "501"),
        ("123号3-2-501", "123", "3", "2", "501"),
        ("12号和平小区5号楼1单元", "12", "5", "1", None),
        ("8号三栋二单元", "8", "3", "2", None),
        ("0012号", "12", None, None, None),
        ("7号1-2", "7", "1", "2", None),
    ],
)
def test_house_parts(
    text: str, number: str, building: str | None, unit: str | None, room: str | None
) -> None:
    parts = parse_house(text)
    assert (parts.number, parts.building, parts.unit, parts.room) == (number, building, unit, room)


def test_division_short_names() -> None:
    assert short_name("保定市", DivisionLevel.city) == "保定"
    assert short_name("大厂回族自治县", DivisionLevel.county) == "大厂"
    assert short_name("延边朝鲜族自治州", DivisionLevel.city) == "延边"
    assert short_name("易县", DivisionLevel.county) == "易县"  # never a single character
    codes = {r.code: r for r in source_rows()}
    assert codes["130602"].parent_code == "130600" and codes["130600"].parent_code == "130000"
    aliases = {(a.alias, a.code) for a in alias_rows()}
    assert ("新市区", "130602") in aliases and ("襄樊市", "420600") in aliases


def test_edit_distance() -> None:
    assert edit_distance("东风中路", "东风中路") == 0
    assert edit_distance("东中风路", "东风中路") == 1  # a transposition counts once
    assert edit_distance("城北大街", "长城北大街") == 1
    assert edit_distance("东西", "南北中路") == 2


# --- seed examples (algorithms.md §8.1) ---------------------------------------------------------


def test_landmark_with_direction_word(hand: AddressMatcher) -> None:
    result = hand.match("河北保定竞秀区朝阳大街万博广场对面")
    assert result.best is not None and result.best.kind == "landmark"
    assert result.best.address_id == 1 and result.best.relation == "对面"
    assert result.best.county_code == "130602"
    assert any("万博广场" in line for line in result.best.explanation)


def test_door_plate_and_the_most_specific_record(hand: AddressMatcher) -> None:
    plate = hand.match("保定市莲池区东风中路123号")
    assert plate.best is not None and plate.best.address_id == 2
    room = hand.match("东风中路123号院3栋2单元501")
    assert room.best is not None and room.best.address_id == 4
    unit = hand.match("东风中路123号3-2")
    assert unit.best is not None and unit.best.address_id == 3


def test_intersection_with_corner(hand: AddressMatcher) -> None:
    result = hand.match("竞秀区朝阳北大街与七一路交叉口东北角")
    assert result.best is not None and result.best.kind == "intersection"
    assert result.best.county_code == "130602"
    assert result.best.relation == "交叉口东北角"


@pytest.mark.parametrize(
    ("text", "county"),
    [
        ("湖北襄樊市樊城区人民路", "420606"),  # old city name
        ("杭州江干区钱江新城市民中心", "330102"),  # abolished 2021 → 上城区
        ("保定市新市区朝阳大街10号", "130602"),  # 新市区 → 竞秀区 (2015)
        ("雄安新区容城县奥威路8号", "130629"),  # not 安新县
        ("涿州松林店镇107国道旁二手车市场", "130681"),
        ("长春朝阳区红旗街万达广场B座", "220104"),
        ("北京朝阳建国路88号SOHO现代城", "110105"),
        ("深圳南山科技园深南大道9988号", "440305"),
        ("莱州市文昌路街道xx村", "370683"),
        ("山东省烟台市莱州市文昌路街道", "370683"),
    ],
)
def test_division_seed_examples(hand: AddressMatcher, text: str, county: str) -> None:
    result = hand.match(text)
    assert result.best is not None, result.notes
    assert result.best.county_code == county, (result.best.text, result.best.explanation)


def test_bare_ambiguous_districts_are_not_guessed(hand: AddressMatcher) -> None:
    chaoyang = hand.match("朝阳区")
    assert chaoyang.best is None
    assert {"110105", "220104"} <= {c.county_code for c in chaoyang.ambiguous}
    gulou = hand.match("鼓楼区中山路")
    assert gulou.best is None and len(gulou.ambiguous) == 4
    # Same road and number in two counties of the city, no county written: ambiguous too.
    twin = hand.match("建设路5号")
    assert twin.best is None and {c.address_id for c in twin.ambiguous} == {9, 10}


def test_jurisdiction_prior_decides_a_bare_district(hand: AddressMatcher) -> None:
    result = hand.match("朝阳区", home_city="110100")
    assert result.best is not None and result.best.county_code == "110105"


def test_typos_and_full_width(hand: AddressMatcher) -> None:
    typo = hand.match("莲池区东风中璐123号")
    assert typo.best is not None and typo.best.address_id == 2
    assert any("容错" in note for note in typo.notes)
    wide = hand.match("莲池区 东风中路 １２３号")
    assert wide.best is not None and wide.best.address_id == 2


def test_refused_input_and_batch(hand: AddressMatcher) -> None:
    with pytest.raises(AddressInputError):
        hand.match("  ，。 ")
    with pytest.raises(AddressInputError):
        hand.match("东" * 201)
    results = hand.match_many(["东风中路123号", "", "x" * 500, "朝阳大街10号"])
    assert isinstance(results[1], AddressInputError) and isinstance(results[2], AddressInputError)
    found = [r.best.address_id for r in results if not isinstance(r, Exception) and r.best]
    assert found == [2, 1]


# --- the generated test set ---------------------------------------------------------------------


def test_generator_is_deterministic_and_covers_every_kind(
    city: tuple[AddressMatcher, list[SampleAddress], list[SampleLandmark]],
) -> None:
    _, addresses, landmarks = city
    first = messy_cases(addresses, landmarks, count=160, seed=11)
    assert first == messy_cases(addresses, landmarks, count=160, seed=11)
    assert first != messy_cases(addresses, landmarks, count=160, seed=12)
    assert {c.kind for c in first} == set(NOISE_KINDS)
    by_id = {a.id: a for a in addresses}
    for case in first:
        assert by_id[case.gold_address_id].county_code == case.gold_county_code


def test_matcher_meets_the_accuracy_target(
    city: tuple[AddressMatcher, list[SampleAddress], list[SampleLandmark]],
) -> None:
    matcher, addresses, landmarks = city
    cases = messy_cases(addresses, landmarks, count=800, seed=5)
    results = matcher.match_many([c.text for c in cases])
    record = district = 0
    for case, result in zip(cases, results, strict=True):
        assert not isinstance(result, AddressInputError)
        best = result.best
        record += best is not None and best.address_id == case.gold_address_id
        district += best is not None and best.county_code == case.gold_county_code
    assert record / len(cases) >= 0.95
    assert district / len(cases) >= 0.95


@dataclass
class _Plain:
    """Any record with the right attributes will do (the synthetic city's, later)."""

    id: int
    county_code: str
    road: str
    house_number: str | None
    full_text: str
    estate: str | None = None
    building: str | None = None
    unit_no: str | None = None
    room: str | None = None
    lon: float | None = None
    lat: float | None = None


def test_generator_and_matcher_take_any_address_records() -> None:
    records = [_Plain(i, "130606", "裕华东路", f"{i}号", f"裕华东路{i}号") for i in range(1, 30)]
    matcher = AddressMatcher(source_rows(), alias_rows(), records, generic_names=GENERIC_NAMES)
    cases = messy_cases(records, count=40, seed=1, kinds=("full", "abbreviated", "fullwidth"))
    results = matcher.match_many([c.text for c in cases])
    correct = sum(
        1
        for case, result in zip(cases, results, strict=True)
        if not isinstance(result, Exception)
        and result.best is not None
        and result.best.address_id == case.gold_address_id
    )
    assert correct == len(cases)
