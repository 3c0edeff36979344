"""Offline analysis of historical pass files for analysts: cloned-plate candidates and restriction
violations, without storing the passes or raising alerts.

The file is read in chunks (CSV or Parquet, the same columns `jiaoguan checkpoint load` accepts),
checked against the checkpoint registry, sorted by time, and fed through the same clone detector
and restriction check the live path uses. Output in the chosen folder:
  clone_candidates.csv      one row per plate reported as cloned, with the latest evidence pair
  restriction_violations.csv one row per pass in a forbidden zone and time
  summary.json              counts, time range, rejected rows by reason, speed
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from rich.table import Table

from jiaoguan.checkpoint.clones import CloneDetector, CloneFinding, load_registry
from jiaoguan.checkpoint.ingest import Ingestor, PassRecord
from jiaoguan.checkpoint.legacy import LegacyFileError, LoadReport, _frames, canonical, records
from jiaoguan.checkpoint.restrictions import RestrictionHit
from jiaoguan.checkpoint.restrictions import load_index as load_rules
from jiaoguan.checkpoint.travel import CheckpointSites, load_sites
from jiaoguan.platform.db import Database

BATCH = 20_000
BEIJING = dt.timezone(dt.timedelta(hours=8))
# (stage, total or None) → advance(done); the CLI draws it with rich.
ProgressStart = Callable[[str, int | None], Callable[[int], None]]


def no_progress(_stage: str, _total: int | None) -> Callable[[int], None]:
    return lambda _done: None


@dataclass
class AnalysisSummary:
    file: str
    rows: int = 0
    passes: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    plates: int = 0
    first_pass: str | None = None
    last_pass: str | None = None
    contradictions: int = 0
    explained_as_misread: int = 0
    clone_candidates: int = 0
    restriction_violations: int = 0
    seconds: float = 0.0
    passes_per_second: float = 0.0


def _local(value: dt.datetime | float) -> str:
    if isinstance(value, float):
        value = dt.datetime.fromtimestamp(value, dt.UTC)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def read_passes(
    path: Path, database: Database, report: LoadReport, progress: ProgressStart
) -> list[PassRecord]:
    """Every usable pass of the file (rows for unknown checkpoints etc. counted in `report`)."""
    if not path.is_file():
        raise LegacyFileError(f"文件不存在：{path}")
    directory_only = Ingestor(database)  # its checkpoint directory; nothing is written
    plates: dict[str, str] = {}
    found: list[PassRecord] = []
    advance = progress("读取过车文件", None)
    for frame in _frames(path):
        found.extend(records(canonical(frame), directory_only, report, report.rows + 1, plates))
        report.rows += frame.height
        advance(report.rows)
    return found


def clone_rows(sites: CheckpointSites, findings: list[CloneFinding]) -> list[dict[str, Any]]:
    """One row per reported plate with its latest evidence: the last contradiction pair, or the
    first and last passes unlike the registration."""
    out = []
    for f in findings:
        if f.contradictions:
            last = f.contradictions[-1]
            first, second = last.first, last.second
            gap, needed, mismatch = last.gap_s, last.needed_s, "、".join(last.mismatch)
        else:
            first, second = f.mismatched[0], f.mismatched[-1]
            gap, needed, mismatch = second.ts - first.ts, None, "与登记不符"
        out.append(
            {
                "plate": f.plate,
                "reason": f.reason,
                "contradictions": len(f.contradictions),
                "first_checkpoint": sites.names[first.cp],
                "first_time": _local(first.ts),
                "first_record_id": first.record_id,
                "first_brand": first.brand,
                "second_checkpoint": sites.names[second.cp],
                "second_time": _local(second.ts),
                "second_record_id": second.record_id,
                "second_brand": second.brand,
                "gap_s": round(gap, 1),
                "min_feasible_s": round(needed, 1) if needed is not None else None,
                "mismatch": mismatch,
            }
        )
    return out


def violation_rows(sites: CheckpointSites, hits: list[RestrictionHit]) -> list[dict[str, Any]]:
    out = []
    for hit in hits:
        i = sites.index(hit.record.checkpoint_id)
        out.append(
            {
                "plate": hit.record.plate,
                "rule": hit.rule.name,
                "window": hit.rule.window,
                "checkpoint": sites.names[i] if i is not None else hit.record.tollgate_code,
                "time": _local(hit.record.passed_at),
                "vehicle_class": hit.record.vehicle_class,
                "record_id": hit.record.record_id,
            }
        )
    return out


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    frame = pl.DataFrame(rows) if rows else pl.DataFrame({c: [] for c in columns})
    frame.write_csv(path, include_bom=True)  # Excel opens UTF-8 with a BOM as Chinese text


def analyse(
    database: Database, path: Path, out: Path, progress: ProgressStart = no_progress
) -> AnalysisSummary:
    started = time.perf_counter()
    summary = AnalysisSummary(file=str(path))
    report = LoadReport()
    passes = read_passes(path, database, report, progress)
    passes.sort(key=lambda r: r.passed_at)
    with database.sessions() as db:
        sites = load_sites(db)
        registry = load_registry(db)
        rules = load_rules(db)
    detector = CloneDetector(sites, registry=registry)
    findings: list[CloneFinding] = []
    violations: list[RestrictionHit] = []
    advance = progress("套牌与闯禁行分析", len(passes))
    for start in range(0, len(passes), BATCH):
        batch = passes[start : start + BATCH]
        findings.extend(detector.observe(batch))
        violations.extend(rules.match(batch))
        advance(start + len(batch))
    findings.extend(detector.flush())

    out.mkdir(parents=True, exist_ok=True)
    clone_columns = ["plate", "reason", "contradictions", "first_checkpoint", "first_time"]
    _write_csv(out / "clone_candidates.csv", clone_rows(sites, findings), clone_columns)
    violation_columns = ["plate", "rule", "window", "checkpoint", "time"]
    _write_csv(
        out / "restriction_violations.csv", violation_rows(sites, violations), violation_columns
    )
    summary.rows = report.rows
    summary.passes = len(passes)
    summary.rejected = dict(report.rejected.most_common())
    summary.plates = len({p.plate for p in passes if p.plate})
    if passes:
        summary.first_pass, summary.last_pass = (
            _local(passes[0].passed_at),
            _local(passes[-1].passed_at),
        )
    summary.contradictions = detector.stats.contradictions
    summary.explained_as_misread = detector.stats.explained
    summary.clone_candidates = len(findings)
    summary.restriction_violations = len(violations)
    summary.seconds = round(time.perf_counter() - started, 3)
    summary.passes_per_second = round(len(passes) / summary.seconds, 1) if summary.seconds else 0.0
    (out / "summary.json").write_text(
        json.dumps(asdict(summary), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return summary


def summary_table(summary: AnalysisSummary) -> Table:
    table = Table(title="研判汇总")
    table.add_column("项目")
    table.add_column("数量", justify="right")
    rows = [
        ("读取行数", summary.rows),
        ("有效过车", summary.passes),
        ("号牌数", summary.plates),
        ("时空矛盾", summary.contradictions),
        ("判为识别误差", summary.explained_as_misread),
        ("套牌嫌疑", summary.clone_candidates),
        ("闯禁行", summary.restriction_violations),
        ("每秒处理", summary.passes_per_second),
    ]
    for label, value in rows:
        table.add_row(label, str(value))
    for reason, count in summary.rejected.items():
        table.add_row(f"未纳入：{reason}", str(count))
    return table
