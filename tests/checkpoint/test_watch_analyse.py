"""`jiaoguan checkpoint analyse`: clone candidates and restriction violations from a history file."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from jiaoguan.checkpoint.models import Checkpoint
from jiaoguan.checkpoint.watch_models import RestrictionRule, RestrictionTarget
from jiaoguan.cli import app as cli
from jiaoguan.config import get_settings
from jiaoguan.platform import migrate
from jiaoguan.platform.bootstrap import ensure_root_unit
from jiaoguan.platform.db import Database
from tests.checkpoint.watch_support import SITES


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'analyse.db'}"
    monkeypatch.setenv("JG_DATABASE_URL", url)
    monkeypatch.setenv("JG_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    migrate.upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        root = ensure_root_unit(session)
        for code, name, lon, lat, _unit in SITES:
            session.add(Checkpoint(code=code, name=name, lon=lon, lat=lat, unit_id=root.id))
        session.add(
            RestrictionRule(
                name="货车日间禁行",
                target=RestrictionTarget.trucks,
                vehicle_classes=["H"],
                checkpoint_codes=[SITES[1][0]],
                start_time="07:00",
                end_time="20:00",
                weekdays="1234567",
                exempt_plates=[],
                unit_id=root.id,
            )
        )
    yield db
    db.dispose()
    get_settings.cache_clear()


def test_analyse_writes_candidates_violations_and_summary(
    database: Database, tmp_path: Path
) -> None:
    day = dt.datetime(2026, 11, 20, 9, 0)  # Beijing time, as legacy files write it
    rows = []

    def add(code: str, at: dt.datetime, plate: str, brand: str = "大众", cllx: str = "K33") -> None:
        rows.append(
            {
                "KKBH": code,
                "GCSJ": at.strftime("%Y%m%d%H%M%S"),
                "HPHM": plate,
                "HPYS": "2",
                "CLPP": brand,
                "CLLX": cllx,
            }
        )

    far_a, near, far_b = (s[0] for s in SITES)
    for n in range(200):  # ordinary traffic, driving between checkpoints at city speed
        add(far_a, day + dt.timedelta(minutes=n), f"冀F{n:05d}")
        add(far_b, day + dt.timedelta(minutes=n + 20), f"冀F{n:05d}")
    # A clone: two cars (different brands) with one plate at the two far checkpoints at once.
    add(far_a, day, "冀F99999", brand="大众")
    add(far_b, day + dt.timedelta(seconds=20), "冀F99999", brand="丰田")
    # A truck in the guarded zone by day, and one at night.
    add(near, day, "冀F88H01", cllx="H11")
    add(near, day.replace(hour=22), "冀F88H02", cllx="H11")
    add("99999999999999999999", day, "冀F77777")  # unknown checkpoint: not analysed
    source = tmp_path / "history.csv"
    pl.DataFrame(rows).write_csv(source)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["checkpoint", "analyse", "--passes", str(source), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "套牌嫌疑" in result.output
    clones = pl.read_csv(out / "clone_candidates.csv")
    assert clones["plate"].to_list() == ["冀F99999"]
    assert "品牌" in clones["reason"][0]
    violations = pl.read_csv(out / "restriction_violations.csv")
    assert violations["plate"].to_list() == ["冀F88H01"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["passes"] == len(rows) - 1 and summary["rows"] == len(rows)
    assert summary["clone_candidates"] == 1 and summary["restriction_violations"] == 1
    assert sum(summary["rejected"].values()) == 1


def test_analyse_refuses_a_missing_file(database: Database, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "checkpoint",
            "analyse",
            "--passes",
            str(tmp_path / "none.csv"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 1 and "文件不存在" in result.output
