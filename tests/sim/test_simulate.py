"""`jiaoguan simulate`: Parquet tables, ground truth beside them, a progress bar, a manifest."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from jiaoguan.cli import app as cli
from jiaoguan.sim.batch import BATCH_SCENARIOS, BatchOutput, ProgressStart, register_batch
from jiaoguan.sim.city import City


def test_simulate_writes_parquet_truth_and_progress(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(
        cli,
        ["simulate", "--out", str(out), "--size", "test", "--days", "2", "--seed", "5",
         "--vehicles", "3000"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "实有机动车" in result.output and "3000/3000" in result.output  # the progress bar
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["days"] == 2 and manifest["vehicles"] == 3000
    vehicles = pl.read_parquet(out / "city" / "vehicles")
    assert vehicles.height == manifest["tables"]["city/vehicles"] == 3000
    roads = pl.read_parquet(out / "city" / "roads.parquet")
    assert roads.height == manifest["tables"]["city/roads"]
    # The truth lists exactly the vehicles whose dates say they are overdue.
    truth = pl.read_parquet(out / "truth" / "city_overdue_vehicles.parquet")
    late = vehicles.filter(pl.col("inspection_due") < pl.date(2026, 6, 1))
    planted = truth.filter(pl.col("reason") == "overdue_inspection")
    assert set(planted["plate_no"]) == set(late["plate_no"]) and planted.height > 0
    key = pl.read_parquet(out / "truth" / "city_key_vehicles.parquet")
    assert key.height == vehicles.filter(pl.col("key_kind").is_not_null()).height > 0
    facts = json.loads((out / "truth" / "city.json").read_text())
    assert len(facts["bridges"]) == pl.read_parquet(out / "city" / "bridges.parquet").height
    assert "truth/city.json" in manifest["truth"]


def test_simulate_refuses_bad_options(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_size = runner.invoke(cli, ["simulate", "--out", str(tmp_path / "a"), "--size", "huge"])
    assert bad_size.exit_code == 2 and "未知的城市规模" in bad_size.output
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("x")
    busy = runner.invoke(cli, ["simulate", "--out", str(tmp_path / "b"), "--size", "test"])
    assert busy.exit_code == 2 and "不为空" in busy.output
    too_many = runner.invoke(
        cli, ["simulate", "--out", str(tmp_path / "c"), "--vehicles", "3000001"]
    )
    assert too_many.exit_code == 2


class _Counts:
    """A batch scenario as later modules write one: its table and its truth, per day."""

    name = "test_counts"

    def run(self, city: City, days: int, out: BatchOutput, progress: ProgressStart) -> None:
        advance = progress("测试场景", days)
        for day in range(days):
            out.write_part("test_counts/daily", day, pl.DataFrame({"day": [day], "n": [day * 2]}))
            advance(1)
        out.truth("test_counts", {"days": days})


def test_registered_batch_scenarios_run_through_the_same_output(tmp_path: Path) -> None:
    register_batch(_Counts())
    try:
        out = tmp_path / "run"
        result = CliRunner().invoke(
            cli, ["simulate", "--out", str(out), "--size", "test", "--days", "3"]
        )
        assert result.exit_code == 0, result.output
        daily = pl.read_parquet(out / "test_counts" / "daily")
        assert daily["day"].sort().to_list() == [0, 1, 2]
        assert json.loads((out / "truth" / "test_counts.json").read_text()) == {"days": 3}
        assert "truth/test_counts.json" in json.loads((out / "manifest.json").read_text())["truth"]
    finally:
        BATCH_SCENARIOS.pop("test_counts", None)
