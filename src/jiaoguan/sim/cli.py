"""`jiaoguan simulate`: the city and the batch scenarios to Parquet, with a progress bar."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from jiaoguan.sim.batch import simulate
from jiaoguan.sim.city import CitySize, generate_city


def run_simulate(
    console: Console, *, out: Path, days: int, seed: int, size: str, vehicles: int | None
) -> int:
    try:
        city_size = CitySize(size)
    except ValueError:
        console.print(
            f"[red]未知的城市规模 {size}，可选：{', '.join(s.value for s in CitySize)}[/red]"
        )
        return 2
    if out.exists() and any(out.iterdir()):
        console.print(f"[red]输出目录 {out} 不为空，请指定新目录[/red]")
        return 2
    # Modules' batch scenarios register themselves on import.
    import jiaoguan.checkpoint.traffic_sim  # noqa: F401

    started = time.perf_counter()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("城市：生成路网、区域与人车计划", total=1)
        city = generate_city(seed, city_size, vehicles=vehicles)
        progress.advance(task)

        def start(description: str, total: int) -> Callable[[int], None]:
            bar = progress.add_task(description, total=total)
            return lambda n: progress.advance(bar, n)

        result = simulate(city, out, days=days, progress=start)
    elapsed = time.perf_counter() - started
    console.print(
        f"已写出 {out}：{len(result.tables)} 张表，真值 {len(result.truths)} 份，"
        f"用时 {elapsed:.1f} 秒"
    )
    return 0
