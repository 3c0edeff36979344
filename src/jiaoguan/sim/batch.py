"""Batch simulation: the city and every registered batch scenario written as Parquet, each run with
its ground truth beside the data.

Layout of an output directory:

    manifest.json                 seed, size, days, as_of, and the row count of every table
    city/<table>.parquet          roads, nodes, edges, bridges, areas, addresses, ...
    city/vehicles/part-NNNNN.parquet, city/drivers/part-NNNNN.parquet   (chunked: up to 3 M rows)
    <scenario>/<table>...         what later modules' scenarios write (passes, incidents, readings)
    truth/<name>.json|.parquet    planted facts a test or benchmark scores against

Later modules register a `BatchScenario`; `jiaoguan simulate` runs the city step and then each
scenario through the same `BatchOutput`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from jiaoguan.sim.city import City

# (description, total) -> advance(n): the CLI backs this with a rich progress bar.
ProgressStart = Callable[[str, int], Callable[[int], None]]


def no_progress(_description: str, _total: int) -> Callable[[int], None]:
    return lambda _n: None


@dataclass
class BatchOutput:
    root: Path
    tables: dict[str, int] = field(default_factory=dict)
    truths: list[str] = field(default_factory=list)

    def write(self, name: str, frame: pl.DataFrame) -> Path:
        """One table in one file: `name` like "city/roads"."""
        path = self.root / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path)
        self.tables[name] = self.tables.get(name, 0) + frame.height
        return path

    def write_part(self, name: str, part: int, frame: pl.DataFrame) -> Path:
        """One chunk of a large table: `name/part-00000.parquet`, ..."""
        path = self.root / name / f"part-{part:05d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path)
        self.tables[name] = self.tables.get(name, 0) + frame.height
        return path

    def truth(self, name: str, value: pl.DataFrame | dict[str, Any]) -> Path:
        """Ground truth: a frame as Parquet, anything else as JSON."""
        directory = self.root / "truth"
        directory.mkdir(parents=True, exist_ok=True)
        if isinstance(value, pl.DataFrame):
            path = directory / f"{name}.parquet"
            value.write_parquet(path)
        else:
            path = directory / f"{name}.json"
            path.write_text(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
        self.truths.append(path.relative_to(self.root).as_posix())
        return path


class BatchScenario(Protocol):
    """A module's batch data: `run` writes its tables and its truth for `days` simulated days."""

    name: str

    def run(self, city: City, days: int, out: BatchOutput, progress: ProgressStart) -> None: ...


BATCH_SCENARIOS: dict[str, BatchScenario] = {}


def register_batch(scenario: BatchScenario) -> BatchScenario:
    BATCH_SCENARIOS[scenario.name] = scenario
    return scenario


def simulate(
    city: City,
    root: Path,
    *,
    days: int,
    progress: ProgressStart = no_progress,
    scenarios: list[str] | None = None,
) -> BatchOutput:
    """Write the city, then each registered scenario, then the manifest."""
    out = BatchOutput(root)
    root.mkdir(parents=True, exist_ok=True)
    write_city(city, out, progress)
    for name, scenario in BATCH_SCENARIOS.items():
        if scenarios is None or name in scenarios:
            scenario.run(city, days, out, progress)
    manifest = {
        "seed": city.seed,
        "size": city.size.value,
        "vehicles": city.plan.vehicles,
        "drivers": city.plan.people,
        "days": days,
        "as_of": city.as_of.isoformat(),
        "tables": out.tables,
        "truth": out.truths,
    }
    (root / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return out


def write_city(city: City, out: BatchOutput, progress: ProgressStart = no_progress) -> None:
    static = {
        "nodes": city.nodes,
        "edges": city.edges,
        "roads": city.roads,
        "bridges": city.bridges,
        "areas": city.areas_frame(),
        "addresses": city.addresses,
        "landmarks": city.landmarks,
        "companies": city.companies,
        "houses": city.houses,
        "facilities": city.facilities,
    }
    advance = progress("城市：路网、区域、标准地址", len(static))
    for name, frame in static.items():
        out.write(f"city/{name}", frame)
        advance(1)
    advance = progress("城市：实有驾驶人", city.plan.people)
    for part, chunk in enumerate(city.driver_chunks()):
        out.write_part("city/drivers", part, chunk)
        advance(chunk.height)
    advance = progress("城市：实有机动车", city.plan.vehicles)
    overdue: list[pl.DataFrame] = []
    key: list[pl.DataFrame] = []
    for part, chunk in enumerate(city.vehicle_chunks()):
        out.write_part("city/vehicles", part, chunk)
        overdue.append(overdue_vehicles(chunk, city.as_of))
        key.append(
            chunk.filter(pl.col("key_kind").is_not_null()).select(
                "vehicle_id", "plate_no", "key_kind", "owner_credit_code", "owner_name"
            )
        )
        advance(chunk.height)
    overdue_frame = pl.concat(overdue)
    key_frame = pl.concat(key)
    out.truth("city_overdue_vehicles", overdue_frame)
    out.truth("city_key_vehicles", key_frame)
    out.truth("city", city_facts(city, overdue_frame, key_frame))


def overdue_vehicles(vehicles: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Planted 逾期未检验 / 逾期未报废 rows: what a registry check must find."""
    return pl.concat(
        [
            vehicles.filter(pl.col("inspection_due") < as_of).select(
                "vehicle_id", "plate_no", pl.lit("overdue_inspection").alias("reason"),
                pl.col("inspection_due").alias("due"),
            ),
            vehicles.filter(pl.col("scrapping_due") < as_of).select(
                "vehicle_id", "plate_no", pl.lit("overdue_scrapping").alias("reason"),
                pl.col("scrapping_due").alias("due"),
            ),
        ]
    )  # fmt: skip


def city_facts(city: City, overdue: pl.DataFrame, key: pl.DataFrame) -> dict[str, Any]:
    reasons = overdue.group_by("reason").len().rows()
    return {
        "seed": city.seed,
        "size": city.size.value,
        "as_of": city.as_of.isoformat(),
        "nodes": city.nodes.height,
        "directed_edges": city.edges.height,
        "roads": city.roads.height,
        "addresses": city.addresses.height,
        "vehicles": city.plan.vehicles,
        "drivers": city.plan.people,
        "companies": city.companies.height,
        "bridges": city.bridges.select(
            "bridge_id", "road_name", "edge_ids", "lon", "lat"
        ).to_dicts(),
        "river": city.network.river.round(6).tolist(),
        "overdue": dict(reasons),
        "key_vehicles": dict(key.group_by("key_kind").len().rows()),
        "police_districts": [
            {"code": a.code, "name": a.name} for a in city.areas if a.kind == "police_district"
        ],
    }
