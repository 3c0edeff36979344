"""Bulk pass files (CSV or Parquet) for history loads: the legacy 缉查布控 pinyin columns (KKBH,
GCSJ, HPHM, HPZL, HPYS, CDH, FXLX, CLLX, CLPP, CSYS, CLSD ...; standards.md §1.12), the GA/T 1400
field names (TollgateID, PassTime, PlateNo ...) or our own PassRecord names (what `jiaoguan
simulate` writes). Columns are mapped and converted with polars, a chunk at a time; rows that
cannot be stored are counted by reason (and the first few reported with their row number), the
others go through the ingest path like any VIID batch.

Legacy codes: HPYS plate colours (0 白 1 黄 2 蓝 3 黑 4 绿 5 未识别 9 其他) and CSYS body-colour
letters are mapped to GA/T 1400 ColorType. Times without a zone are Beijing time. A file without a
record id gets one derived from (checkpoint, time, plate, lane): reloading the same file stores
nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from jiaoguan.checkpoint.codes import COLOR_LABELS, CSYS_TO_COLOR, HPYS_TO_COLOR
from jiaoguan.checkpoint.ingest import (
    EARLIEST,
    FUTURE_TOLERANCE,
    Ingestor,
    PassRecord,
    normalise_pass_plate,
)
from jiaoguan.platform.db import utcnow

CHUNK_ROWS = 50_000
# Passes stored per transaction by a history load. An index page takes several of a batch's rows
# at once instead of being rewritten for each few: on SQLite 20,000 a commit stores 800 k passes
# about 40 % faster than 5,000 (benchmarks/bench_checkpoint.py measures the path with it).
LOAD_BATCH = 20_000
MAX_ERRORS = 20

# Source column (upper case) → canonical field. `plate_colour_hpys` / `vehicle_colour_csys` are
# converted from the legacy code lists.
COLUMN_ALIASES: dict[str, str] = {
    # legacy pinyin schema
    "GCXH": "record_id",
    "XH": "record_id",
    "KKBH": "tollgate_code",
    "GCSJ": "passed_at",
    "HPHM": "plate_raw",
    "HPZL": "plate_class",
    "HPYS": "plate_colour_hpys",
    "CDH": "lane_no",
    "FXLX": "direction",
    "CLLX": "vehicle_class",
    "CLPP": "brand",
    "CSYS": "vehicle_colour_csys",
    "CLSD": "speed_kmh",
    # GA/T 1400 names
    "MOTORVEHICLEID": "record_id",
    "TOLLGATEID": "tollgate_code",
    "PASSTIME": "passed_at",
    "PLATENO": "plate_raw",
    "PLATECLASS": "plate_class",
    "PLATECOLOR": "plate_colour",
    "LANENO": "lane_no",
    "DIRECTION": "direction",
    "VEHICLECLASS": "vehicle_class",
    "VEHICLEBRAND": "brand",
    "VEHICLECOLOR": "vehicle_colour",
    "SPEED": "speed_kmh",
    # our own names
    **{
        name.upper(): name
        for name in (
            "record_id",
            "tollgate_code",
            "passed_at",
            "plate_raw",
            "plate_class",
            "plate_colour",
            "lane_no",
            "vehicle_class",
            "vehicle_colour",
            "brand",
            "speed_kmh",
        )
    },
    "PLATE": "plate_raw",
}
REQUIRED = ("tollgate_code", "passed_at")


class LegacyFileError(ValueError):
    """The file cannot be read as passes at all (Chinese message)."""


@dataclass
class LoadReport:
    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, Any]] = field(default_factory=list)  # first MAX_ERRORS: row, reason

    def reject(self, row: int, reason: str) -> None:
        self.rejected[reason] += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": row, "reason": reason})


def _frames(path: Path) -> Iterator[pl.DataFrame]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pl.read_parquet(path)
            for start in range(0, frame.height, CHUNK_ROWS):
                yield frame.slice(start, CHUNK_ROWS)
        elif suffix in {".csv", ".txt"}:
            lazy = pl.scan_csv(path, infer_schema=False, encoding="utf8-lossy")
            yield from lazy.collect_batches(chunk_size=CHUNK_ROWS)
        else:
            raise LegacyFileError(f"不支持的文件类型 {suffix}：应为 .csv 或 .parquet")
    except (pl.exceptions.ComputeError, OSError) as exc:
        raise LegacyFileError(f"文件无法读取：{exc}") from None


def count_rows(path: Path) -> int | None:
    """Rows in the file, for the progress bar (None when it would cost a full read)."""
    if path.suffix.lower() == ".parquet":
        return int(pl.scan_parquet(path).select(pl.len()).collect().item())
    return None


def canonical(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns renamed to PassRecord names, legacy codes converted, times in UTC."""
    renames: dict[str, str] = {}
    for name in frame.columns:
        target = COLUMN_ALIASES.get(name.strip().upper())
        if target and target not in renames.values():
            renames[name] = target
    frame = frame.select([pl.col(k).alias(v) for k, v in renames.items()])
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise LegacyFileError(
            f"缺少必需的列：{'、'.join(missing)}（如 KKBH 卡口编号、GCSJ 过车时间）"
        )
    text = {c: pl.col(c).cast(pl.Utf8).str.strip_chars() for c in frame.columns}
    columns = [
        text["tollgate_code"].alias("tollgate_code"),
        _utc_times(frame.schema["passed_at"]).alias("passed_at"),
        text.get("plate_raw", pl.lit("")).fill_null("").alias("plate_raw"),
        _colour(frame, "plate_colour", "plate_colour_hpys", HPYS_TO_COLOR).alias("plate_colour"),
        _colour(frame, "vehicle_colour", "vehicle_colour_csys", CSYS_TO_COLOR, None).alias(
            "vehicle_colour"
        ),
    ]
    for name, dtype in (("lane_no", pl.Int16), ("speed_kmh", pl.Float64)):
        source = pl.col(name).cast(pl.Utf8).str.strip_chars().cast(dtype, strict=False)
        columns.append((source if name in frame.columns else pl.lit(None, dtype)).alias(name))
    for name in ("plate_class", "vehicle_class", "brand", "direction", "record_id"):
        columns.append(text.get(name, pl.lit(None, pl.Utf8)).alias(name))
    return frame.select(columns)


def _utc_times(dtype: pl.DataType) -> pl.Expr:
    column = pl.col("passed_at")
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return column.dt.replace_time_zone("Asia/Shanghai").dt.convert_time_zone("UTC")
        return column.dt.convert_time_zone("UTC")
    digits = column.cast(pl.Utf8).str.replace_all(r"\D", "").str.slice(0, 14)
    local = digits.str.strptime(pl.Datetime("us"), "%Y%m%d%H%M%S", strict=False)
    return local.dt.replace_time_zone("Asia/Shanghai", ambiguous="earliest").dt.convert_time_zone(
        "UTC"
    )


def _colour(
    frame: pl.DataFrame,
    direct: str,
    legacy: str,
    table: dict[str, str],
    default: str | None = "99",
) -> pl.Expr:
    if direct in frame.columns:
        code = pl.col(direct).cast(pl.Utf8).str.strip_chars().str.strip_chars_start("0")
        known = code.is_in(list(COLOR_LABELS))
        return pl.when(known).then(code).otherwise(pl.lit(default))
    if legacy in frame.columns:
        code = pl.col(legacy).cast(pl.Utf8).str.strip_chars().str.to_uppercase()
        return code.replace_strict(table, default=pl.lit(default), return_dtype=pl.Utf8)
    return pl.lit(default, pl.Utf8)


def _derived_id(tollgate: str, passed_at: dt.datetime, plate: str, lane: int | None) -> str:
    key = f"{tollgate}|{passed_at.isoformat()}|{plate}|{lane}"
    return "L" + hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()


def records(
    frame: pl.DataFrame,
    ingestor: Ingestor,
    report: LoadReport,
    first_row: int,
    plates: dict[str, str],
) -> list[PassRecord]:
    """Canonical rows → PassRecords; the rows that cannot be stored are counted in `report`."""
    now = utcnow()
    latest = now + FUTURE_TOLERANCE
    directory = ingestor.checkpoints
    found: list[PassRecord] = []
    for offset, row in enumerate(frame.iter_rows(named=True)):
        number = first_row + offset
        gate = directory.get(row["tollgate_code"] or "")
        passed_at = row["passed_at"]
        if gate is None:
            report.reject(number, f"卡口编号 {row['tollgate_code']} 未登记")
            continue
        if passed_at is None:
            report.reject(number, "过车时间缺失或格式不正确")
            continue
        if not EARLIEST <= passed_at <= latest:
            report.reject(number, "过车时间不合理（早于 2000 年或晚于当前时间）")
            continue
        speed = row["speed_kmh"]
        if speed is not None and not 0 <= speed <= 400:
            report.reject(number, "车速应在 0–400 km/h")
            continue
        raw = row["plate_raw"]
        plate = plates.get(raw)
        if plate is None:
            plate = plates[raw] = normalise_pass_plate(raw)[:16]
        record_id = row["record_id"] or _derived_id(gate.code, passed_at, raw, row["lane_no"])
        if len(record_id) > 48:
            report.reject(number, "记录编号超过 48 位")
            continue
        found.append(
            PassRecord(
                record_id=record_id,
                checkpoint_id=gate.id,
                tollgate_code=gate.code,
                lane_no=row["lane_no"],
                passed_at=passed_at,
                plate=plate,
                plate_raw=raw[:32],
                plate_colour=row["plate_colour"] or "99",
                plate_class=(row["plate_class"] or None) and row["plate_class"][:2],
                vehicle_class=(row["vehicle_class"] or None) and row["vehicle_class"][:3],
                vehicle_colour=row["vehicle_colour"],
                brand=(row["brand"] or None) and row["brand"][:32],
                speed_kmh=speed,
                direction=(row["direction"] or None) and row["direction"][:2],
            )
        )
    return found


Progress = Callable[[int], None]


def load_file(
    path: Path, ingestor: Ingestor, progress: Progress | None = None, batch: int = LOAD_BATCH
) -> LoadReport:
    """Load a pass file through the ingest path; `progress(rows_done)` after every chunk."""
    if not path.is_file():
        raise LegacyFileError(f"文件不存在：{path}")
    report = LoadReport()
    try:
        _load(path, ingestor, report, progress, batch)
    except pl.exceptions.PolarsError as exc:  # a damaged file found midway: what came before stays
        raise LegacyFileError(f"文件内容无法解析（已处理 {report.rows} 行）：{exc}") from None
    return report


def _load(
    path: Path, ingestor: Ingestor, report: LoadReport, progress: Progress | None, batch: int
) -> None:
    plates: dict[str, str] = {}
    for frame in _frames(path):
        converted = canonical(frame)
        found = records(converted, ingestor, report, report.rows + 1, plates)  # 1-based data rows
        for start in range(0, len(found), batch):
            result = ingestor.ingest(found[start : start + batch])
            report.stored += result.stored
            report.duplicates += result.duplicates
        report.rows += frame.height
        if progress is not None:
            progress(report.rows)
