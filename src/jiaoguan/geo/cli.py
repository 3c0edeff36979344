"""`jiaoguan geo ...`: import OSM / GeoJSON, export GeoJSON, with rich progress bars."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jiaoguan.config import get_settings
from jiaoguan.platform import migrate
from jiaoguan.platform.db import Database
from jiaoguan.platform.errors import DomainError

geo_app = typer.Typer(help="路网与区域：导入、导出", no_args_is_help=True)
console = Console()

FileArg = Annotated[Path, typer.Argument(help="文件路径")]


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


class _Stages:
    """Adapts the (stage, done, total) callback of the importers to one rich task per stage."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, object] = {}

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        task = self.tasks.get(stage)
        if task is None:
            task = self.progress.add_task(stage, total=total)
            self.tasks[stage] = task
        self.progress.update(task, completed=done, total=total)  # type: ignore[arg-type]


def _database() -> Database:
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    return Database(settings.database_url)


@geo_app.command("import-osm")
def import_osm(path: FileArg) -> None:
    """导入 OpenStreetMap 路网（.osm.pbf / .osm / .osm.bz2），替换现有路网。"""
    from jiaoguan.geo import service

    if not path.is_file():
        console.print(f"[red]文件不存在：{path}[/red]")
        raise typer.Exit(2)
    database = _database()
    try:
        with _progress() as progress, database.transaction() as session:
            parsed, result = service.import_osm(session, None, path, _Stages(progress))
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    except RuntimeError as exc:  # pyosmium: unreadable or unknown file format
        console.print(f"[red]无法读取 OSM 文件：{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        database.dispose()
    console.print(
        f"已导入 {parsed.ways} 条道路：{result.nodes} 个节点，{result.edges} 个路段；"
        f"用时 {parsed.seconds:.1f} 秒，内存峰值 {parsed.peak_rss_mb:.0f} MB"
    )


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        console.print(f"[red]无法读取 GeoJSON：{exc}[/red]")
        raise typer.Exit(1) from exc


@geo_app.command("import-geojson")
def import_geojson(
    path: FileArg,
    areas: Annotated[bool, typer.Option("--areas", help="导入区域（多边形）而非路网")] = False,
    kind: Annotated[str | None, typer.Option(help="要素未写 kind 时的区域类型")] = None,
) -> None:
    """导入 GeoJSON 路网（LineString）或区域（Polygon，加 --areas）。"""
    from jiaoguan.geo import service

    data = _read_json(path)
    database = _database()
    try:
        with _progress() as progress, database.transaction() as session:
            task = progress.add_task("导入", total=1)
            if areas:
                result = service.import_areas_geojson(session, None, data, kind)
            else:
                result = service.import_network_geojson(session, None, data)
            progress.update(task, completed=1)
    except DomainError as exc:
        where = "/".join(str(p) for p in exc.field)
        console.print(f"[red]{exc.message}[/red]（位置：{where}）")
        raise typer.Exit(1) from exc
    finally:
        database.dispose()
    if areas:
        console.print(f"已导入 {result.areas} 个区域")
    else:
        console.print(f"已导入 {result.nodes} 个节点，{result.edges} 个路段")


@geo_app.command("export-geojson")
def export_geojson(
    path: FileArg,
    areas: Annotated[bool, typer.Option("--areas", help="导出区域而非路网")] = False,
) -> None:
    """导出路网或区域为 GeoJSON。"""
    from jiaoguan.geo import geojson, service
    from jiaoguan.geo.network import RoadNetwork

    database = _database()
    try:
        with database.transaction() as session:
            if areas:
                data = geojson.areas_to_geojson(service.area_rows(session, None))
            else:
                data = geojson.network_to_geojson(RoadNetwork.from_db(session))
    finally:
        database.dispose()
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    console.print(f"已导出 {len(data['features'])} 个要素到 {path}")
