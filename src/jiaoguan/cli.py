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

from jiaoguan.config import Settings, get_settings
from jiaoguan.platform import migrate
from jiaoguan.platform.db import Database

app = typer.Typer(help="智慧交管平台 Jiaoguan 管理命令", no_args_is_help=True)
db_app = typer.Typer(help="数据库迁移", no_args_is_help=True)
admin_app = typer.Typer(help="管理员账号", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
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
) -> None:
    """演示模式：建库、生成示范市组织与演示账号，并启动平台。"""
    os.environ["JG_DEMO"] = "1"
    get_settings.cache_clear()
    settings = get_settings()
    ensure_secret(settings)
    password = os.environ.get(DEMO_PASSWORD_ENV, DEFAULT_DEMO_PASSWORD)
    with console.status("正在迁移数据库…"):
        migrate.upgrade(settings.database_url)
    from jiaoguan.demo import seed_everything

    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            accounts = seed_everything(session, password)
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
        _run_server(host, port, 1)


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
