"""The ingest path on SQLite and PostgreSQL: dedupe, observers see only new records, daily
partitions on PostgreSQL; plate normalisation (hypothesis)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from jiaoguan.checkpoint.ingest import (
    Ingestor,
    PassRecord,
    check_pass,
    make_pass,
    normalise_pass_plate,
    partition_name,
)
from jiaoguan.checkpoint.models import Checkpoint, PassRecordRow
from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.db import Database, utcnow
from jiaoguan.registry.validators import PROVINCES

DAY1 = dt.datetime(2026, 11, 20, 23, 59, 58, tzinfo=dt.UTC)


class Recorder:
    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def observe(self, passes: Sequence[PassRecord]) -> None:
        self.seen.append([p.record_id for p in passes])


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    with db.transaction() as session:
        unit = session.scalar(select(OrgUnit.id).where(OrgUnit.code == "130602"))
        assert unit is not None
        session.add(
            Checkpoint(code="13060200001210000001", name="甲", lon=115.4, lat=38.8, unit_id=unit)
        )
    yield db
    db.dispose()


def _pass(n: int, at: dt.datetime, plate: str = "冀F12345") -> PassRecord:
    return make_pass(
        record_id=f"R{n:06d}",
        checkpoint_id=1,
        tollgate_code="13060200001210000001",
        passed_at=at,
        plate_raw=plate,
        plate_colour="5",
        lane_no=1,
    )


def _count(db: Database) -> int:
    with db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(PassRecordRow)) or 0)


def test_ingest_dedupes_and_feeds_only_new_records(database: Database) -> None:
    recorder = Recorder()
    ingestor = Ingestor(database, [recorder])
    batch = [_pass(n, DAY1 + dt.timedelta(seconds=n)) for n in range(10)]  # crosses midnight UTC
    first = ingestor.ingest(batch + batch[:3])  # repeats inside the batch
    assert (first.stored, first.duplicates) == (10, 3)
    again = ingestor.ingest([*batch[5:], _pass(99, DAY1)])
    assert (again.stored, again.duplicates) == (1, 5)
    assert recorder.seen == [[p.record_id for p in batch], ["R000099"]]
    assert ingestor.ingest(batch).stored == 0
    assert len(recorder.seen) == 2, "a batch with nothing new calls no observer"
    assert _count(database) == 11
    with database.sessions() as s:
        row = s.scalar(select(PassRecordRow).where(PassRecordRow.record_id == "R000003"))
        assert row is not None and row.passed_at == DAY1 + dt.timedelta(seconds=3)
        assert row.plate == "冀F12345" and row.plate_colour == "5"


def test_same_id_at_another_time_is_another_pass(database: Database) -> None:
    ingestor = Ingestor(database)
    assert ingestor.ingest([_pass(1, DAY1), _pass(1, DAY1 + dt.timedelta(hours=1))]).stored == 2


def test_postgres_partitions_by_day(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("partitions are PostgreSQL only")
    ingestor = Ingestor(database)
    ingestor.ingest([_pass(n, DAY1 + dt.timedelta(seconds=n)) for n in range(4)])
    with database.sessions() as s:
        parts = set(
            s.scalars(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'pass_record'"
                )
            )
        )
    assert {
        partition_name(DAY1.date()),
        partition_name(DAY1.date() + dt.timedelta(days=1)),
    } <= parts
    # A second ingestor (another worker) finds the partitions there already.
    assert Ingestor(database).ingest([_pass(50, DAY1)]).stored == 1


def test_check_pass_reasons() -> None:
    now = utcnow()
    assert check_pass(_pass(1, now), now) is None
    assert "晚于" in (check_pass(_pass(1, now + dt.timedelta(hours=1)), now) or "")
    assert "2000" in (check_pass(_pass(1, dt.datetime(1999, 1, 1, tzinfo=dt.UTC)), now) or "")
    bad_id = _pass(1, now)
    bad_id.record_id = "有空格 的编号"
    assert check_pass(bad_id, now)


# --- plate normalisation --------------------------------------------------------------------------

SERIAL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
plates = st.builds(
    lambda p, a, s: p + a + s,
    st.sampled_from(PROVINCES),
    st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"),
    st.text(alphabet=SERIAL, min_size=5, max_size=6),
)


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(plates)
def test_normalisation_is_idempotent_and_width_blind(plate: str) -> None:
    once = normalise_pass_plate(plate)
    assert normalise_pass_plate(once) == once
    assert normalise_pass_plate(_full_width(plate)) == once
    assert normalise_pass_plate(plate.lower()) == once
    assert normalise_pass_plate(f"{plate[:2]}·{plate[2:]}") == once


@given(plates)
def test_confusable_letters_fold(plate: str) -> None:
    cyrillic = plate.replace("A", "А").replace("B", "В").replace("E", "Е").replace("K", "К")
    assert normalise_pass_plate(cyrillic) == normalise_pass_plate(plate)
    assert all(unicodedata.category(c) != "Cc" for c in normalise_pass_plate(cyrillic))


def test_serial_o_and_i_and_placeholders() -> None:
    assert normalise_pass_plate("冀FO1I23") == "冀F01123"
    assert normalise_pass_plate("冀O12345") == "冀O12345"  # O is a real authority letter
    for placeholder in ("无牌", "-", "未识别", ""):
        assert normalise_pass_plate(placeholder) == ""
