"""Settings from JG_* environment variables (and an optional .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting is documented in README.md; a test keeps the two in step."""

    model_config = SettingsConfigDict(env_prefix="JG_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite:///./var/jiaoguan.db",
        description="SQLAlchemy URL: sqlite:///... or postgresql+psycopg://...",
    )
    bus_url: str = Field("memory://", description="Event bus: memory:// or nats://host:4222")
    secret_key: str = Field("", description="Random secret for tokens; required outside demo mode")
    timezone: str = Field("Asia/Shanghai", description="Time zone in which times are shown")
    map_tile_url: str = Field(
        "", description="Base map tile URL template ({z}/{x}/{y}); empty: draw own vector roads"
    )
    map_crs: Literal["wgs84", "gcj02"] = Field(
        "wgs84", description="Coordinate system of the tile server (wgs84 or gcj02)"
    )
    data_dir: Path = Field(
        Path("./var"), description="Directory for uploads, exports and bus state"
    )
    assets_dir: Path | None = Field(
        None, description="node_modules directory with front-end packages; found automatically"
    )
    demo: bool = Field(False, description="Demo mode: seeded accounts with a printed password")
    cookie_secure: bool = Field(True, description="Mark the session cookie Secure")
    session_hours: float = Field(12.0, description="Web session lifetime in hours")
    lockout_failures: int = Field(5, description="Failed logins before an account is locked")
    lockout_minutes: int = Field(15, description="Minutes an account stays locked")
    log_json: bool = Field(False, description="Write logs as JSON lines instead of console text")
    log_level: str = Field("INFO", description="Log level")
    log_requests: bool = Field(
        True, description="One log line per request; false: only requests answered 4xx/5xx"
    )
    workorder_check_seconds: float = Field(
        60.0, description="How often overdue work orders are escalated (0 disables)"
    )
    command_check_seconds: float = Field(
        15.0, description="How often late incident acceptance/arrival is reminded (0 disables)"
    )
    ingest_mode: Literal["local", "bus"] = Field(
        "local", description="Pass ingest: in the receiving process, or via NATS partitions (bus)"
    )
    ingest_partitions: int = Field(
        8, ge=1, le=1024, description="NATS partitions of the pass stream (hash of the plate)"
    )

    @model_validator(mode="after")
    def _bus_for_partitions(self) -> Settings:
        if self.ingest_mode == "bus" and not self.bus_url.startswith(("nats://", "tls://")):
            raise ValueError("JG_INGEST_MODE=bus 需要 NATS：请同时设置 JG_BUS_URL=nats://主机:4222")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
