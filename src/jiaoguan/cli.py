"""`jiaoguan` command line: serve, demo, database migrations, administrators."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from jiaoguan.checkpoint.cli import checkpoint_app
from jiaoguan.checkpoint.worker import worker_app
from jiaoguan.config import Settings, get_settings
from jiaoguan.geo.address.cli import address_app
from jiaoguan.geo.cli import geo_app
from jiaoguan.platform import migrate
from jiaoguan.platform.db import Database

app = typer.Typer(help="智慧交管平台 Jiaoguan 管理命令", no_args_is_help=True)
db_app = typer.Typer(help="数据库迁移", no_args_is_help=True)
admin_app = typer.Typer(help="管理员账号", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(geo_app, name="geo")
app.add_typer(address_app, name="address")
app.add_typer(checkpoint_app, name="checkpoint")
app.add_typer(worker_app, name="worker")
console = Console()

DEMO_PASSWORD_ENV = "JG_DEMO_PASSWORD"
DEFAULT_DEMO_PASSWORD = "jiaoguan2026demo"


def _secret_file(settings: Settings) -> Path:
    return settings.data_dir / "secret_key"


def ensure_secret(settings: Settings) -> None:
    """Outside demo mode a secret must be configured; the demo keeps a generated one on disk."""
    if settings.secret_key:
        return
    if not settings.demo:
        console.print(
            "[red]未设置 JG_SECRET_KEY。生产环境必须配置随机密钥（例如 openssl rand -hex 32）。[/red]"
        )
        raise typer.Exit(2)
    path = _secret_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    os.environ["JG_SECRET_KEY"] = path.read_text().strip()


def _run_server(host: str, port: int, workers: int) -> None:
    get_settings.cache_clear()
    uvicorn.run(
        "jiaoguan.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        timeout_graceful_shutdown=10,
        log_config=None,
        access_log=False,
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 8000,
    workers: Annotated[int, typer.Option(help="工作进程数")] = 1,
) -> None:
    """启动平台（先执行数据库迁移）。"""
    settings = get_settings()
    ensure_secret(settings)
    if workers > 1 and settings.bus_url.startswith("memory"):
        console.print(
            "[yellow]多进程运行时内存事件总线不跨进程，实时推送请配置 JG_BUS_URL=nats://…[/yellow]"
        )
    migrate.upgrade(settings.database_url)
    _run_server(host, port, workers)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="只准备数据，不启动服务")] = False,
    sim_speed: Annotated[
        float, typer.Option("--sim-speed", min=0, help="实时模拟倍速（0 为不运行模拟）")
    ] = 60.0,
    city_size: Annotated[
        str, typer.Option("--city-size", help="示范市规模：test（约千辆车）| demo（约五万辆车）")
    ] = "demo",
) -> None:
    """演示模式：建库、生成示范市组织与演示账号，并启动平台。"""
    os.environ["JG_DEMO"] = "1"
    # The live simulation makes thousands of requests: show only refused or failed ones.
    os.environ.setdefault("JG_LOG_REQUESTS", "false")
    get_settings.cache_clear()
    settings = get_settings()
    ensure_secret(settings)
    password = os.environ.get(DEMO_PASSWORD_ENV, DEFAULT_DEMO_PASSWORD)
    with console.status("正在迁移数据库…"):
        migrate.upgrade(settings.database_url)
    from jiaoguan.demo import seed_everything
    from jiaoguan.sim.city import CitySize

    if city_size not in CitySize.__members__ or city_size == "bench":
        console.print(f"[red]--city-size 应为 test 或 demo，而不是 {city_size}[/red]")
        raise typer.Exit(2)
    database = Database(settings.database_url)
    try:
        with (
            console.status("正在生成并写入示范市（道路、区域、网格、一标六实台账）…"),
            database.transaction() as session,
        ):
            accounts = seed_everything(session, password, CitySize(city_size))
    finally:
        database.dispose()
    table = Table(title=f"演示账号（密码均为 {password}）")
    for column in ("用户名", "姓名", "角色", "单位"):
        table.add_column(column)
    for account in accounts:
        table.add_row(account.username, account.full_name, account.role, account.unit)
    console.print(table)
    console.print(
        f"平台地址：[bold]http://{host}:{port}[/bold]   接口文档：http://{host}:{port}/api/docs"
    )
    if not no_serve:
        from jiaoguan.sim.process import live_simulation

        truth = settings.data_dir / "sim" / "live_truth.jsonl"
        with live_simulation(host, port, sim_speed, password, truth, size=city_size):
            _run_server(host, port, 1)


@app.command()
def simulate(
    out: Annotated[Path, typer.Option("--out", help="输出目录（Parquet 与真值）")],
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="模拟天数")] = 1,
    seed: Annotated[int, typer.Option("--seed", help="随机种子（相同种子得到相同数据）")] = 1,
    size: Annotated[str, typer.Option("--size", help="城市规模：test | demo | bench")] = "demo",
    vehicles: Annotated[
        int | None, typer.Option("--vehicles", min=1, max=3_000_000, help="机动车数量")
    ] = None,
) -> None:
    """生成示范市与批量模拟数据（Parquet），并在旁边写出真值。"""
    from jiaoguan.sim.cli import run_simulate

    code = run_simulate(console, out=out, days=days, seed=seed, size=size, vehicles=vehicles)
    if code:
        raise typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="目标版本")] = "head") -> None:
    """升级数据库结构。"""
    migrate.upgrade(get_settings().database_url, revision)
    console.print(f"数据库已升级到 {migrate.current(get_settings().database_url)}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="目标版本，如 -1 或 base")]) -> None:
    """回退数据库结构。"""
    migrate.downgrade(get_settings().database_url, revision)
    console.print(f"数据库已回退到 {migrate.current(get_settings().database_url) or 'base'}")


@db_app.command("current")
def db_current() -> None:
    """显示数据库当前版本。"""
    url = get_settings().database_url
    console.print(f"当前版本：{migrate.current(url) or '（空库）'}；最新版本：{migrate.head()}")


@admin_app.command("create")
def admin_create(
    username: Annotated[str, typer.Argument(help="用户名")],
    full_name: Annotated[str, typer.Option(help="姓名")] = "系统管理员",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="从标准输入读取密码")
    ] = False,
) -> None:
    """创建系统管理员（密码至少 10 位且含字母和数字）。"""
    from jiaoguan.platform.bootstrap import create_admin
    from jiaoguan.platform.errors import DomainError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            create_admin(session, username, password, full_name)
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    finally:
        database.dispose()
    console.print(f"已创建管理员 {username}")


if __name__ == "__main__":
    app()
