"""The live simulation as a child process of `jiaoguan demo`, stopped when the server stops."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _client_host(host: str) -> str:
    # A server listening on every interface is reached on the loopback.
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


@contextmanager
def live_simulation(
    host: str,
    port: int,
    speed: float,
    password: str,
    truth: Path | None = None,
    size: str = "test",
    seed: int = 1,
) -> Iterator[None]:
    """Run `python -m jiaoguan.sim` beside the server; speed 0 runs nothing. `truth`: where the
    child writes what it did (JSON Lines) when it stops."""
    if speed <= 0:
        yield
        return
    url = f"http://{_client_host(host)}:{port}"
    # The password travels in the environment, not on the command line other users can read.
    env = {**os.environ, "JG_DEMO_PASSWORD": password}
    command = [sys.executable, "-m", "jiaoguan.sim", "--url", url, "--speed", str(speed)]
    command += ["--size", size, "--seed", str(seed)]
    if truth is not None:
        command += ["--truth", str(truth)]
    child = subprocess.Popen(command, env=env)
    try:
        yield
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
