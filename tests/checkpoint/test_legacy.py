"""Bulk pass files: legacy pinyin CSV (HPYS colours, Beijing times), GA/T 1400 and our own Parquet
columns; reloads store nothing twice; bad rows are counted with their reasons; the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from click.testing import Result
from fastapi import FastAPI
from sqlalchemy import func, select
from typer.testing import CliRunner

from jiaoguan.checkpoint.ingest import Ingestor
from jiaoguan.checkpoint.legacy import LegacyFileError, load_file
from jiaoguan.checkpoint.models import PassRecordRow
from jiaoguan.checkpoint.watch_models import Alert
from jiaoguan.cli import app as cli
from tests.checkpoint.conftest import Gates
from tests.checkpoint.watch_support import add_watch
from tests.conftest import ClientFactory

LEGACY_CSV = """GCXH,KKBH,FXLX,CDH,GCSJ,HPHM,HPZL,HPYS,CLLX,CLPP,CSYS,CLSD
1,{a},1,2,2026-11-20 08:00:01,冀F12345,02,2,K33,大众,A,45.5
2,{a},1,1,20261120080502,冀FA1234,01,1,H11,解放,J,38
3,{b},3,1,2026/11/20 09:00:00,-,41,5,K33,,Z,
4,99999999999999999999,1,1,2026-11-20 09:00:00,冀F00001,02,2,K33,,,
5,{b},3,1,not a time,冀F00002,02,2,K33,,,
6,{b},3,1,2026-11-20 09:10:00,冀Ｆ·Ｏ０００３,02,2,K33,,,900
"""


def _rows(app: FastAPI) -> list[PassRecordRow]:
    with app.state.db.sessions() as db:
        return list(db.scalars(select(PassRecordRow).order_by(PassRecordRow.passed_at)))


def test_legacy_csv(app: FastAPI, gates: Gates, tmp_path: Path) -> None:
    path = tmp_path / "passes.csv"
    path.write_text(LEGACY_CSV.format(a=gates.a.code, b=gates.b.code), encoding="utf-8")
    ingestor = Ingestor(app.state.db)
    done: list[int] = []
    report = load_file(path, ingestor, done.append)
    assert (report.rows, report.stored, report.duplicates) == (6, 3, 0)
    assert done == [6]
    assert sum(report.rejected.values()) == 3
    assert {e["row"] for e in report.errors} == {4, 5, 6}
    first, second, third = _rows(app)
    assert first.passed_at == dt.datetime(2026, 11, 20, 0, 0, 1, tzinfo=dt.UTC)
    assert (first.plate, first.plate_colour, first.vehicle_colour, first.lane_no) == (
        "冀F12345",
        "5",
        "2",
        2,
    )
    assert (second.plate_colour, second.vehicle_colour, second.brand) == ("6", "1", "解放")
    assert (third.plate, third.plate_raw, third.plate_colour) == ("", "-", "99")
    assert first.record_id == "1" and first.speed_kmh == 45.5
    again = load_file(path, ingestor)
    assert (again.stored, again.duplicates) == (0, 3)


def test_parquet_with_our_columns_and_derived_ids(
    app: FastAPI, gates: Gates, tmp_path: Path
) -> None:
    at = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)
    frame = pl.DataFrame(
        {
            "tollgate_code": [gates.a.code, gates.b.code],
            "passed_at": [at, at + dt.timedelta(minutes=3)],
            "plate_raw": ["冀F12345", "冀FO1I23"],
            "plate_colour": ["5", "05"],
            "lane_no": [1, 2],
        }
    )
    path = tmp_path / "passes.parquet"
    frame.write_parquet(path)
    ingestor = Ingestor(app.state.db)
    report = load_file(path, ingestor)
    assert report.stored == 2
    rows = _rows(app)
    assert [r.plate for r in rows] == ["冀F12345", "冀F01123"]
    assert [r.plate_colour for r in rows] == ["5", "5"]
    assert rows[0].passed_at == at and rows[0].record_id.startswith("L")
    assert load_file(path, ingestor).duplicates == 2


def test_unusable_files(app: FastAPI, gates: Gates, tmp_path: Path) -> None:
    ingestor = Ingestor(app.state.db)
    wrong = tmp_path / "x.csv"
    wrong.write_text("A,B\n1,2\n", encoding="utf-8")
    with pytest.raises(LegacyFileError, match="缺少必需的列"):
        load_file(wrong, ingestor)
    other = tmp_path / "x.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(LegacyFileError, match="不支持"):
        load_file(other, ingestor)


def _cli_load(
    app: FastAPI, gates: Gates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *options: str
) -> Result:
    from jiaoguan.config import get_settings

    path = tmp_path / "passes.csv"
    path.write_text(LEGACY_CSV.format(a=gates.a.code, b=gates.b.code), encoding="utf-8")
    monkeypatch.setenv("JG_DATABASE_URL", app.state.db.url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, ["checkpoint", "load", str(path), *options])
    finally:
        get_settings.cache_clear()


def test_cli_load(
    app: FastAPI, gates: Gates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _cli_load(app, gates, tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "新入库" in result.output and "拒收" in result.output
    assert len(_rows(app)) == 3


def test_cli_load_observed_raises_no_interception_for_old_passes(
    app: FastAPI, gates: Gates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """History sent to the matchers: a watched plate seen days ago is reported, not dispatched."""
    add_watch(app, "冀F12345", gates.a.id, dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    result = _cli_load(app, gates, tmp_path, monkeypatch, "--observe")
    assert result.exit_code == 0, result.output
    assert "已超过时效未生成拦截预警" in result.output and "checkpoint analyse" in result.output
    with app.state.db.sessions() as db:
        assert db.scalar(select(func.count(Alert.id))) == 0


def test_import_api(app: FastAPI, gates: Gates, as_user: ClientFactory) -> None:
    content = LEGACY_CSV.format(a=gates.a.code, b=gates.b.code).encode()
    admin = as_user("admin")
    response = admin.post("/api/v1/passes/import", files={"file": ("history.csv", content)})
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["stored"], report["duplicates"]) == (6, 3, 0)
    assert sum(report["rejected"].values()) == 3 and report["errors"][0]["row"] == 4
    again = admin.post("/api/v1/passes/import", files={"file": ("history.csv", content)})
    assert again.json()["duplicates"] == 3
    wrong = admin.post("/api/v1/passes/import", files={"file": ("history.json", b"{}")})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "file"]
    damaged = admin.post("/api/v1/passes/import", files={"file": ("x.parquet", b"PAR1garbage")})
    assert damaged.status_code == 422
    officer = as_user("jx_officer")
    assert (
        officer.post("/api/v1/passes/import", files={"file": ("h.csv", content)}).status_code == 403
    )
    assert len(_rows(app)) == 3
