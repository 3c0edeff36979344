"""City generation: 3 M vehicles and their owners (2.4 M drivers) on the 100k-node bench city,
generated and written to Parquet in chunks, as `jiaoguan simulate` does.

Each measurement runs in a fresh process, so that its peak memory is its own: the peak is the
process's peak resident set size from getrusage (ru_maxrss, the kernel's high-water mark of RSS,
interpreter and libraries included), not a tracemalloc figure. The baseline, 300k vehicles in the
same run, shows the scaling: city_scaling_ratio = (t_3M / t_300k) / 10, about 1 when linear.
"""

from __future__ import annotations

import multiprocessing
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from rich.progress import Progress

NAME = "city"
SEED = 2026
FULL = 3_000_000
BASELINE = 300_000


def _measure(vehicles: int) -> dict[str, float]:
    """In a fresh process: generate the bench city with `vehicles` and write it as Parquet."""
    from jiaoguan.sim.batch import simulate
    from jiaoguan.sim.city import CitySize, generate_city

    started = time.perf_counter()
    city = generate_city(SEED, CitySize.bench, vehicles=vehicles)
    with tempfile.TemporaryDirectory() as directory:
        out = simulate(city, Path(directory), days=1)
        size = sum(p.stat().st_size for p in Path(directory).rglob("*.parquet"))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rows": float(out.tables["city/vehicles"] + out.tables["city/drivers"]),
        "nodes": float(city.nodes.height),
        "parquet_mb": size / 2**20,
    }


def _in_fresh_process(vehicles: int) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_measure, vehicles).result()


def run(progress: Progress) -> dict[str, float]:
    task = progress.add_task("示范市生成（30 万 / 300 万辆车）", total=2)
    base = _in_fresh_process(BASELINE)
    progress.advance(task)
    full = _in_fresh_process(FULL)
    progress.advance(task)
    return {
        "city_3m_vehicles_seconds": round(full["seconds"], 2),
        "city_3m_vehicles_peak_mb": round(full["peak_mb"], 1),
        "city_3m_rows_per_s": round(full["rows"] / full["seconds"]),
        "city_3m_parquet_mb": round(full["parquet_mb"], 1),
        "city_300k_vehicles_seconds": round(base["seconds"], 2),
        "city_300k_vehicles_peak_mb": round(base["peak_mb"], 1),
        "city_scaling_ratio": round(full["seconds"] / base["seconds"] / (FULL / BASELINE), 3),
        "city_bench_nodes": full["nodes"],
    }
