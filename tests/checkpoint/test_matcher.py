"""Watchlist matching: exact, OCR-confusable characters and province misreads, with the kind shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from jiaoguan.checkpoint.ingest import make_pass
from jiaoguan.checkpoint.matcher import (
    CONFUSABLE,
    CONFUSABLE_GROUPS,
    EXACT,
    PROVINCE,
    PROVINCE_CONFUSABLE,
    PROVINCE_GROUPS,
    WatchEntry,
    WatchIndex,
    colour_compatible,
)
from jiaoguan.registry.validators import PROVINCES

T0 = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
SERIAL = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CONFUSION = {c: g for g in CONFUSABLE_GROUPS for c in g}
PROVINCE_CONFUSION = {c: g for g in PROVINCE_GROUPS for c in g}

plates = st.builds(
    lambda p, a, s: p + a + s,
    st.sampled_from(PROVINCES),
    st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"),
    st.text(SERIAL, min_size=5, max_size=5),
)


def entry(
    plate: str, watch_id: int = 1, *, fuzzy: bool = True, colour: str | None = None
) -> WatchEntry:
    return WatchEntry(
        watch_id, plate, colour, "stolen", fuzzy, T0.timestamp() - 3600, T0.timestamp() + 3600
    )


def passing(plate: str, colour: str = "5", at: dt.datetime = T0) -> object:
    return make_pass(
        record_id=f"r-{plate}-{at.timestamp()}",
        checkpoint_id=1,
        tollgate_code="1" * 20,
        passed_at=at,
        plate_raw=plate,
        plate_colour=colour,
    )


def misread(plate: str, draw: Callable[[st.SearchStrategy[Any]], Any]) -> str:
    """The plate with some characters swapped for members of their confusion class."""
    chars = list(plate)
    for i, char in enumerate(chars):
        group = PROVINCE_CONFUSION.get(char) if i == 0 else CONFUSION.get(char)
        if group and draw(st.booleans()):
            chars[i] = draw(st.sampled_from(group))
    return "".join(chars)


@given(plates)
def test_an_exact_read_hits_exactly(plate: str) -> None:
    index = WatchIndex([entry(plate)])
    assert index.match_plate(plate, at_ts=T0.timestamp()) == [(entry(plate), EXACT)]


@given(st.data(), plates)
def test_any_confusable_misread_hits_with_the_right_kind(data: st.DataObject, plate: str) -> None:
    read = misread(plate, data.draw)
    index = WatchIndex([entry(plate)])
    found = index.match_plate(read, at_ts=T0.timestamp())
    assert len(found) == 1
    province, serial = read[0] != plate[0], read[1:] != plate[1:]
    expected = {
        (False, False): EXACT,
        (False, True): CONFUSABLE,
        (True, False): PROVINCE,
        (True, True): PROVINCE_CONFUSABLE,
    }[(province, serial)]
    assert found[0][1] == expected


@given(st.data(), plates)
def test_an_exact_only_watch_ignores_misreads(data: st.DataObject, plate: str) -> None:
    read = misread(plate, data.draw)
    found = WatchIndex([entry(plate, fuzzy=False)]).match_plate(read, at_ts=T0.timestamp())
    assert found == ([(entry(plate, fuzzy=False), EXACT)] if read == plate else [])


@given(plates, st.integers(2, 6), st.sampled_from(SERIAL))
def test_only_a_confusable_character_hits(plate: str, i: int, other: str) -> None:
    read = plate[:i] + other + plate[i + 1 :]
    hit = WatchIndex([entry(plate)]).match_plate(read, at_ts=T0.timestamp())
    same_class = other == plate[i] or other in CONFUSION.get(plate[i], "")
    assert bool(hit) == same_class


def test_documented_confusions() -> None:
    index = WatchIndex([entry("鄂A0B815", 7)])
    cases = {
        "鄂A0B815": EXACT,
        "鄂AD8815": CONFUSABLE,  # 0→D, B→8 (HyperLPR #409)
        "鄂AQBB1S": CONFUSABLE,
        "粤A0B815": PROVINCE,  # 鄂→粤
        "粤ADB8I5": PROVINCE_CONFUSABLE,
    }
    for read, kind in cases.items():
        assert [k for _e, k in index.match_plate(read, at_ts=T0.timestamp())] == [kind], read
    assert index.match_plate("京A0B815", at_ts=T0.timestamp()) == []
    assert index.match_plate("鄂A0B816", at_ts=T0.timestamp()) == []


def test_period_and_colour_rule_hits_out() -> None:
    index = WatchIndex([entry("冀F12345", colour="BLUE")])
    assert index.match_plate("冀F12345", colour_code="5", at_ts=T0.timestamp())
    assert not index.match_plate("冀F12345", colour_code="6", at_ts=T0.timestamp())  # yellow
    assert index.match_plate("冀F12345", colour_code="99", at_ts=T0.timestamp())  # unknown
    later = (T0 + dt.timedelta(hours=2)).timestamp()
    assert not index.match_plate("冀F12345", colour_code="5", at_ts=later)
    assert colour_compatible("YELLOW_GREEN", "9") and colour_compatible("YELLOW_GREEN", "6")
    assert not colour_compatible("GREEN", "5")


def test_the_batch_loop_finds_hits_among_many_passes() -> None:
    index = WatchIndex([entry("冀F12345", 1), entry("冀FB8888", 2)])
    passes = [passing(f"冀F{n:05d}") for n in range(1000)]
    passes += [passing("冀F12345"), passing("冀F8B888"), passing("")]
    hits = index.match(passes)  # type: ignore[arg-type]
    assert sorted((h.entry.watch_id, h.match_kind, h.record.plate) for h in hits) == [
        (1, EXACT, "冀F12345"),
        (2, CONFUSABLE, "冀F8B888"),
    ]


def test_two_watches_on_neighbouring_plates_both_report() -> None:
    index = WatchIndex([entry("冀F12345", 1), entry("冀F1Z345", 2)])
    found = index.match_plate("冀F12345", at_ts=T0.timestamp())
    assert [(e.watch_id, k) for e, k in found] == [(1, EXACT), (2, CONFUSABLE)]
