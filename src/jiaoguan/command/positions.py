"""The bulk path for officer positions (AVL fixes): validate a batch with numpy, store the good
fixes without the ORM, update the in-memory tracker, and count every refusal by reason.

Nothing in a batch raises: a bad fix is counted (and the first few described for the caller), a
repeated fix is stored once. SQLite takes one `executemany` of INSERT OR IGNORE; PostgreSQL a COPY
into a temporary table and one INSERT ... ON CONFLICT DO NOTHING. The tracker is updated before the
caller commits: if the transaction then fails, the next fix of the officer repairs it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.orm import Session

from jiaoguan.command.tracker import OfficerTracker, enum_text

# A device clock a little ahead is normal; beyond this the fix is refused (Resgrid allows 300 s,
# we are stricter because a future fix would look "fresh" to the recommendation).
FUTURE_TOLERANCE_S = 60.0
# A fix this far outside the city's bounding box is a device error, not an officer on a trip.
BBOX_MARGIN_M = 5_000.0
# Cell-tower fixes can be kilometres off; beyond this a fix is no position at all.
MAX_ACCURACY_M = 2_000.0
MAX_SPEED_MPS = 100.0  # 360 km/h: a faster reported speed is a garbled record
SOURCE_MAX = 16
MAX_ERRORS = 50
_COLUMNS = "officer_id, at, lon, lat, accuracy_m, speed_mps, source, received_at"
_M_PER_DEG_LAT = 110_540.0

# Reason code → (key in PositionReport.rejected, field, message template).
_REASONS: tuple[tuple[str, str, str], ...] = (
    ("", "", ""),
    ("bad_time", "at", "定位时间无效：须为带时区的时间"),
    ("bad_coordinates", "lon", "经纬度无效：{lon}, {lat}"),
    ("bad_accuracy", "accuracy_m", "定位精度无效：{accuracy} 米"),
    ("bad_speed", "speed_mps", "速度无效：{speed} 米/秒"),
    ("bad_source", "source", "定位来源无效（须为 1 到 16 个字符）"),
    ("unknown_officer", "officer_id", "警员 {officer} 不存在"),
    ("outside_city", "lon", "位置 {lon}, {lat} 超出辖区范围"),
    ("future_time", "at", "定位时间晚于当前时间超过 60 秒"),
)
REASON_KEYS: tuple[str, ...] = tuple(key for key, _f, _m in _REASONS[1:])
REASON_LABELS: dict[str, str] = {
    "bad_time": "时间无效",
    "bad_coordinates": "经纬度无效",
    "bad_accuracy": "精度无效",
    "bad_speed": "速度无效",
    "bad_source": "来源无效",
    "unknown_officer": "警员不存在",
    "outside_city": "超出辖区范围",
    "future_time": "时间超前",
}
_CODE = {key: code for code, (key, _f, _m) in enumerate(_REASONS)}


@dataclass
class PositionFix:
    officer_id: int
    at: dt.datetime
    lon: float
    lat: float
    accuracy_m: float | None = None
    speed_mps: float | None = None
    source: str = "gps"


@dataclass
class PositionReport:
    accepted: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)


@dataclass
class _Batch:
    """The fixes as columns."""

    ids: npt.NDArray[np.int64]
    at: npt.NDArray[np.float64]  # epoch seconds, NaN if unusable
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    accuracy: npt.NDArray[np.float64]  # NaN = not given
    speed: npt.NDArray[np.float64]
    sources: list[str]
    bad_time: npt.NDArray[np.bool_]
    bad_source: npt.NDArray[np.bool_]


def _columns(fixes: Sequence[PositionFix]) -> _Batch:
    n = len(fixes)
    at = np.full(n, np.nan)
    bad_time = np.zeros(n, dtype=np.bool_)
    for i, fix in enumerate(fixes):
        when = fix.at
        if isinstance(when, dt.datetime) and when.utcoffset() is not None:
            at[i] = when.timestamp()
        else:
            bad_time[i] = True
    sources = [fix.source for fix in fixes]
    bad_source = np.fromiter(
        (not isinstance(s, str) or not 0 < len(s) <= SOURCE_MAX for s in sources), np.bool_, n
    )
    return _Batch(
        np.fromiter((fix.officer_id for fix in fixes), np.int64, n),
        at,
        np.array([fix.lon for fix in fixes], dtype=np.float64),
        np.array([fix.lat for fix in fixes], dtype=np.float64),
        np.array([fix.accuracy_m for fix in fixes], dtype=np.float64),
        np.array([fix.speed_mps for fix in fixes], dtype=np.float64),
        sources,
        bad_time,
        bad_source,
    )


def expand_bbox(
    bbox: tuple[float, float, float, float], margin_m: float
) -> tuple[float, float, float, float]:
    min_lon, min_lat, max_lon, max_lat = bbox
    dlat = margin_m / _M_PER_DEG_LAT
    mid = math.radians((min_lat + max_lat) / 2)
    dlon = margin_m / (111_320.0 * max(math.cos(mid), 0.01))
    return min_lon - dlon, min_lat - dlat, max_lon + dlon, max_lat + dlat


def validate(
    batch: _Batch,
    known: npt.NDArray[np.bool_],
    *,
    now: dt.datetime,
    bbox: tuple[float, float, float, float] | None,
    margin_m: float = BBOX_MARGIN_M,
) -> npt.NDArray[np.int8]:
    """Reason code per fix (0 = good): the first failing check in `_REASONS` order."""
    lon, lat, acc, speed = batch.lon, batch.lat, batch.accuracy, batch.speed
    with np.errstate(invalid="ignore"):
        bad_coords = (
            ~np.isfinite(lon)
            | ~np.isfinite(lat)
            | (np.abs(lon) > 180)
            | (np.abs(lat) > 90)
            | ((lon == 0) & (lat == 0))  # the classic "no fix yet" record
        )
        bad_acc = ~np.isnan(acc) & (~np.isfinite(acc) | (acc < 0) | (acc > MAX_ACCURACY_M))
        bad_speed = ~np.isnan(speed) & (~np.isfinite(speed) | (speed < 0) | (speed > MAX_SPEED_MPS))
        if bbox is None:
            outside = np.zeros(len(lon), dtype=np.bool_)
        else:
            x0, y0, x1, y1 = expand_bbox(bbox, margin_m)
            outside = (lon < x0) | (lon > x1) | (lat < y0) | (lat > y1)
        future = batch.at > now.timestamp() + FUTURE_TOLERANCE_S
    checks = (
        ("bad_time", batch.bad_time),
        ("bad_coordinates", bad_coords),
        ("bad_accuracy", bad_acc),
        ("bad_speed", bad_speed),
        ("bad_source", batch.bad_source),
        ("unknown_officer", ~known),
        ("outside_city", outside),
        ("future_time", future),
    )
    codes = np.zeros(len(lon), dtype=np.int8)
    for key, failed in reversed(checks):  # the earliest check wins: apply it last
        codes[failed] = _CODE[key]
    return codes


def _known(
    db: Session, tracker: OfficerTracker, ids: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """Which officer ids exist; ids the tracker lacks are looked up once and added to it."""
    unique, inverse = np.unique(ids, return_inverse=True)
    known = tracker.known(unique)
    missing = [int(i) for i in unique[~known]]
    if missing:
        rows = db.execute(
            text(
                "SELECT o.id, o.mode, o.status, u.path FROM officer o "
                "JOIN org_unit u ON u.id = o.unit_id WHERE o.id IN "
                "(" + ",".join(str(i) for i in missing) + ")"
            )
        ).all()
        for officer_id, mode, status, path in rows:
            tracker.upsert_officer(
                int(officer_id), unit_path=path, mode=enum_text(mode), status=enum_text(status)
            )
        known = tracker.known(unique)
    result: npt.NDArray[np.bool_] = known[inverse.ravel()]
    return result


def _first_of_each(
    ids: npt.NDArray[np.int64], at_us: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """True for the first occurrence of each (officer, time) pair in batch order."""
    order = np.lexsort((at_us, ids))  # stable: equal keys keep their batch order
    first = np.ones(len(ids), dtype=np.bool_)
    same = (ids[order][1:] == ids[order][:-1]) & (at_us[order][1:] == at_us[order][:-1])
    first[order[1:][same]] = False
    return first


def ingest_positions(
    db: Session,
    tracker: OfficerTracker,
    fixes: Sequence[PositionFix],
    *,
    now: dt.datetime,
    bbox: tuple[float, float, float, float] | None,
    margin_m: float = BBOX_MARGIN_M,
) -> PositionReport:
    """Store the good fixes of a batch in the caller's transaction; see the module docstring."""
    report = PositionReport(rejected=dict.fromkeys(REASON_KEYS, 0))
    if not fixes:
        return report
    batch = _columns(fixes)
    codes = validate(batch, _known(db, tracker, batch.ids), now=now, bbox=bbox, margin_m=margin_m)
    _count_rejections(report, codes, batch)
    good = np.flatnonzero(codes == 0)
    if not len(good):
        return report
    at_us = np.round(batch.at[good] * 1e6).astype(np.int64)
    first = _first_of_each(batch.ids[good], at_us)
    keep, at_us = good[first], at_us[first]
    inserted = _store(db, batch, keep, at_us, now)
    report.accepted = inserted
    report.duplicates = int(len(good) - inserted)
    report.moved = tracker.update_positions(
        batch.ids[keep], batch.lon[keep], batch.lat[keep], at_us / 1e6
    )
    return report


def _count_rejections(report: PositionReport, codes: npt.NDArray[np.int8], batch: _Batch) -> None:
    counts = np.bincount(codes, minlength=len(_REASONS))
    for code, (key, _f, _m) in enumerate(_REASONS[1:], start=1):
        report.rejected[key] = int(counts[code])
    for index in np.flatnonzero(codes)[:MAX_ERRORS]:
        i = int(index)
        key, field_name, template = _REASONS[int(codes[i])]
        message = template.format(
            lon=batch.lon[i],
            lat=batch.lat[i],
            accuracy=batch.accuracy[i],
            speed=batch.speed[i],
            officer=int(batch.ids[i]),
        )
        report.errors.append({"index": i, "field": field_name, "reason": key, "message": message})


def _store(
    db: Session,
    batch: _Batch,
    keep: npt.NDArray[np.int64],
    at_us: npt.NDArray[np.int64],
    now: dt.datetime,
) -> int:
    """Insert the rows; returns how many were new (the rest were already stored)."""
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        return _store_postgres(connection.connection.driver_connection, batch, keep, at_us, now)
    return _store_sqlite(connection.connection.driver_connection, batch, keep, at_us, now)


def _nullable(values: npt.NDArray[np.float64]) -> list[float | None]:
    return [None if v != v else v for v in values.tolist()]  # NaN → NULL


def _utc_text(at_us: npt.NDArray[np.int64], separator: str) -> list[str]:
    iso = np.datetime_as_string(at_us.astype("datetime64[us]"), unit="us").tolist()
    return [s.replace("T", separator) for s in iso]


def _store_sqlite(
    raw: Any,
    batch: _Batch,
    keep: npt.NDArray[np.int64],
    at_us: npt.NDArray[np.int64],
    now: dt.datetime,
) -> int:
    # The text SQLAlchemy's SQLite DATETIME writes (naive UTC, microseconds), so that the unique
    # constraint sees the same instant whether a row came from here or from the ORM.
    received = now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = zip(
        batch.ids[keep].tolist(),
        _utc_text(at_us, " "),
        batch.lon[keep].tolist(),
        batch.lat[keep].tolist(),
        _nullable(batch.accuracy[keep]),
        _nullable(batch.speed[keep]),
        [batch.sources[i] for i in keep.tolist()],
        [received] * len(keep),
        strict=True,
    )
    cursor = raw.cursor()
    try:
        cursor.executemany(
            f"INSERT OR IGNORE INTO officer_position ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)", rows
        )
        return int(cursor.rowcount)
    finally:
        cursor.close()


_TEMP_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS officer_position_in (officer_id bigint, at timestamptz, "
    "lon double precision, lat double precision, accuracy_m double precision, "
    "speed_mps double precision, source varchar(16), received_at timestamptz) "
    "ON COMMIT DELETE ROWS"
)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_number(values: npt.NDArray[np.float64]) -> list[str]:
    return ["\\N" if v != v else repr(v) for v in values.tolist()]


def _store_postgres(
    raw: Any,
    batch: _Batch,
    keep: npt.NDArray[np.int64],
    at_us: npt.NDArray[np.int64],
    now: dt.datetime,
) -> int:
    received = now.astimezone(dt.UTC).isoformat()
    sources = {s: s.translate(_COPY_ESCAPES) for s in set(batch.sources)}
    lines = [
        f"{officer}\t{at}+00\t{lon!r}\t{lat!r}\t{acc}\t{speed}\t{sources[src]}\t{received}\n"
        for officer, at, lon, lat, acc, speed, src in zip(
            batch.ids[keep].tolist(),
            _utc_text(at_us, " "),
            batch.lon[keep].tolist(),
            batch.lat[keep].tolist(),
            _copy_number(batch.accuracy[keep]),
            _copy_number(batch.speed[keep]),
            [batch.sources[i] for i in keep.tolist()],
            strict=True,
        )
    ]
    with raw.cursor() as cursor:
        cursor.execute(_TEMP_TABLE)
        cursor.execute("TRUNCATE officer_position_in")
        with cursor.copy(f"COPY officer_position_in ({_COLUMNS}) FROM STDIN") as copy:
            copy.write("".join(lines))
        cursor.execute(
            f"INSERT INTO officer_position ({_COLUMNS}) SELECT {_COLUMNS} "
            "FROM officer_position_in ON CONFLICT (officer_id, at) DO NOTHING"
        )
        inserted = int(cursor.rowcount)
        cursor.execute("TRUNCATE officer_position_in")
    return inserted
