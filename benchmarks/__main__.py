"""`make bench`: run every benchmark module and write benchmarks/results/<name>.json.

A benchmark module defines `NAME` and `run(progress) -> dict[str, float]`: a flat object of numbers.
A module may also name `ALSO_INTO`: its figures are copied into that result too, when both run
together (the issue's `city.json` gathers the routing and address figures). `python -m benchmarks
platform` runs only the named ones.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

RESULTS = Path(__file__).parent / "results"
console = Console(stderr=True)


def _modules(wanted: list[str]) -> list[str]:
    found = [
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if info.name.startswith("bench_")
    ]
    return [m for m in sorted(found) if not wanted or m.removeprefix("bench_") in wanted]


def main(argv: list[str]) -> int:
    RESULTS.mkdir(exist_ok=True)
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    produced: dict[str, dict[str, float]] = {}
    copies: list[tuple[str, dict[str, float]]] = []
    with Progress(*columns, console=console) as progress:
        for module_name in _modules(argv):
            module = importlib.import_module(f"benchmarks.{module_name}")
            started = time.perf_counter()
            figures = module.run(progress)
            figures["bench_seconds"] = round(time.perf_counter() - started, 2)
            produced[module.NAME] = figures
            if getattr(module, "ALSO_INTO", None):
                copies.append((module.ALSO_INTO, figures))
            _write(module.NAME, figures)
    merged = {target for target, _ in copies if target in produced}
    for target, figures in copies:
        if target in produced:  # several modules may copy into one result: gather, then write once
            produced[target].update({k: v for k, v in figures.items() if k != "bench_seconds"})
    for target in sorted(merged):
        _write(target, produced[target])
    return 0


def _write(name: str, figures: dict[str, float]) -> None:
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    table = Table(title=str(path))
    table.add_column("key")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        table.add_row(key, f"{value:,.3f}" if isinstance(value, float) else str(value))
    console.print(table)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
