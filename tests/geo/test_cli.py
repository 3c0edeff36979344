"""`jiaoguan geo import-osm / import-geojson / export-geojson` against a real database file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from jiaoguan.cli import app as cli
from jiaoguan.config import get_settings
from jiaoguan.geo.models import Area, RoadEdge, RoadNode
from jiaoguan.platform.audit.models import AuditEntry
from jiaoguan.platform.db import Database


@pytest.fixture
def db_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("JG_DATABASE_URL", url)
    monkeypatch.setenv("JG_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def count(url: str, model: type) -> int:
    database = Database(url)
    try:
        with database.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        database.dispose()


def test_import_osm_with_progress_then_export(db_env: str, helsinki: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["geo", "import-osm", str(helsinki)])
    assert result.exit_code == 0, result.output
    assert "读取节点坐标" in result.output and "写入路段" in result.output  # progress stages
    assert "内存峰值" in result.output
    nodes, edges = count(db_env, RoadNode), count(db_env, RoadEdge)
    assert nodes > 2500 and edges > 3500
    assert count(db_env, AuditEntry) == 1

    out = tmp_path / "roads.geojson"
    exported = runner.invoke(cli, ["geo", "export-geojson", str(out)])
    assert exported.exit_code == 0, exported.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["features"]) == edges

    # Re-importing the export gives the same segments (nodes may merge where ends coincide).
    again = runner.invoke(cli, ["geo", "import-geojson", str(out)])
    assert again.exit_code == 0, again.output
    assert count(db_env, RoadEdge) == edges


def test_import_geojson_areas_and_refusals(db_env: str, tmp_path: Path) -> None:
    runner = CliRunner()
    ring = [[115.0, 38.0], [115.1, 38.0], [115.1, 38.1], [115.0, 38.1], [115.0, 38.0]]
    good = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"name": "竞秀大队辖区", "code": "B1"},
            }
        ],
    }
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(good, ensure_ascii=False), encoding="utf-8")
    ok = runner.invoke(
        cli, ["geo", "import-geojson", str(path), "--areas", "--kind", "brigade_area"]
    )
    assert ok.exit_code == 0, ok.output
    assert count(db_env, Area) == 1

    good["features"][0]["geometry"] = {"type": "LineString", "coordinates": ring}
    path.write_text(json.dumps(good), encoding="utf-8")
    bad = runner.invoke(cli, ["geo", "import-geojson", str(path), "--areas", "--kind", "grid"])
    assert bad.exit_code == 1
    assert "Polygon" in bad.output and "features/0/geometry" in bad.output

    path.write_text("{not json", encoding="utf-8")
    assert runner.invoke(cli, ["geo", "import-geojson", str(path)]).exit_code == 1
    missing = runner.invoke(cli, ["geo", "import-osm", str(tmp_path / "none.pbf")])
    assert missing.exit_code == 2 and "文件不存在" in missing.output
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><way id='1'>", encoding="utf-8")
    failed = runner.invoke(cli, ["geo", "import-osm", str(broken)])
    assert failed.exit_code == 1, failed.output
