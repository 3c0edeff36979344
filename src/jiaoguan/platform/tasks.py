"""Background loops started with the app; modules register theirs here without importing app.py."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI

# A loop takes the app (settings, database) and runs until it is cancelled at shutdown.
BackgroundTask = Callable[[FastAPI], Coroutine[Any, Any, None]]
BACKGROUND_TASKS: list[BackgroundTask] = []


def background_task(task: BackgroundTask) -> BackgroundTask:
    """Decorator: start `task(app)` with every app (work-order escalation, ...)."""
    if task not in BACKGROUND_TASKS:
        BACKGROUND_TASKS.append(task)
    return task
