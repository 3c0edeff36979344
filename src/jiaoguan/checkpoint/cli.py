"""`jiaoguan checkpoint ...`: bulk history loads of pass files (and, from CKP-WATCH, `analyse`).

`checkpoint_app` is the Typer group other checkpoint commands attach to.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jiaoguan.checkpoint import observers
from jiaoguan.checkpoint.ingest import Ingestor, ingestor_of
from jiaoguan.checkpoint.legacy import LegacyFileError, LoadReport, count_rows, load_file
from jiaoguan.checkpoint.watch_models import ALERT_KIND_LABELS, AlertKind
from jiaoguan.config import get_settings
from jiaoguan.platform import migrate
from jiaoguan.platform.db import Database

checkpoint_app = typer.Typer(help="缉查布控：过车数据导入与分析", no_args_is_help=True)
console = Console()


def _report(report: LoadReport, stale: Counter[str]) -> None:
    table = Table(title="导入结果")
    table.add_column("项目")
    table.add_column("数量", justify="right")
    table.add_row("读取行数", str(report.rows))
    table.add_row("新入库", str(report.stored))
    table.add_row("重复（已入库）", str(report.duplicates))
    for reason, count in report.rejected.most_common():
        table.add_row(f"拒收：{reason}", str(count))
    for kind, count in stale.most_common():
        label = ALERT_KIND_LABELS[AlertKind(kind)]
        table.add_row(f"比中（{label}），已超过时效未生成拦截预警", str(count))
    console.print(table)
    if stale:
        console.print(
            f"过车时间早于 {observers.LIVE_FOR.total_seconds() / 3600:g} 小时的比中不再派发拦截；"
            "可用 jiaoguan checkpoint analyse 离线研判。"
        )
    for error in report.errors[:10]:
        console.print(f"[yellow]第 {error['row']} 条：{error['reason']}[/yellow]")


@checkpoint_app.command("load")
def load(
    file: Annotated[
        Path, typer.Argument(help="过车文件（.csv 或 .parquet，支持 KKBH/GCSJ/HPHM 等列）")
    ],
    observe: Annotated[
        bool,
        typer.Option("--observe/--no-observe", help="入库后送布控比对等（历史数据默认不触发预警）"),
    ] = False,
) -> None:
    """导入历史过车文件：校验、规范号牌、去重后批量入库。"""
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    database: Database | None = None
    if observe:
        from jiaoguan.app import create_app

        app = create_app(settings)
        ingestor = ingestor_of(app)
    else:
        database = Database(settings.database_url)
        ingestor = Ingestor(database)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    stale_before = Counter(observers.STALE_HITS)
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(f"导入 {file.name}", total=count_rows(file))
            report = load_file(file, ingestor, lambda done: progress.update(task, completed=done))
    except LegacyFileError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        (database or ingestor.database).dispose()
    _report(report, observers.STALE_HITS - stale_before)
    if report.rows and not report.stored and not report.duplicates:
        raise typer.Exit(1)


@checkpoint_app.command("analyse")
def analyse_command(
    passes: Annotated[
        Path, typer.Option("--passes", help="历史过车文件（.csv 或 .parquet，列同 load 命令）")
    ],
    out: Annotated[Path, typer.Option("--out", help="结果目录：套牌嫌疑、闯禁行、汇总")],
) -> None:
    """离线研判历史过车：套牌嫌疑（时空矛盾、特征不符，排除识别误差）与闯禁行，不入库、不预警。"""
    from jiaoguan.checkpoint.analyse import analyse, summary_table

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    database = Database(settings.database_url)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console) as progress:

            def stage(description: str, total: int | None) -> Callable[[int], None]:
                task = progress.add_task(description, total=total)
                return lambda done: progress.update(task, completed=done)

            summary = analyse(database, passes, out, stage)
    except LegacyFileError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        database.dispose()
    console.print(summary_table(summary))
    console.print(f"结果已写入 {out}")
