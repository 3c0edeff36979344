"""The README documents every setting, and the CLI it describes exists."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from jiaoguan.cli import app as cli
from jiaoguan.config import Settings

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_readme() -> None:
    missing = [
        f"JG_{name.upper()}"
        for name in Settings.model_fields
        if f"`JG_{name.upper()}`" not in README
    ]
    assert missing == []


def test_readme_shows_the_two_commands() -> None:
    assert "make demo" in README and "make test" in README


def test_cli_commands_exist() -> None:
    runner = CliRunner()
    for args in (["--help"], ["serve", "--help"], ["demo", "--help"], ["db", "current", "--help"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
    assert "admin" in runner.invoke(cli, ["--help"]).output
