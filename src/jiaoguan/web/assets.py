"""Where the npm-installed front-end packages live and how they are served under /static/vendor."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

# URL name -> folder inside node_modules that holds the browser files.
VENDOR_PACKAGES: dict[str, str] = {
    "tabler": "@tabler/core/dist",
    "tabler-icons": "@tabler/icons-webfont/dist",
    "htmx": "htmx.org/dist",
    "htmx-sse": "htmx-ext-sse/dist",
    "leaflet": "leaflet/dist",
    "echarts": "echarts/dist",
    "swagger-ui": "swagger-ui-dist",
}

OWN_STATIC = Path(__file__).parent / "static"


def find_node_modules(configured: Path | None) -> Path | None:
    """The configured folder, else the nearest node_modules above the working dir or the package."""
    if configured is not None:
        return configured if configured.is_dir() else None
    for start in (Path.cwd(), Path(__file__).resolve()):
        for folder in (start, *start.parents):
            candidate = folder / "node_modules"
            if (candidate / "htmx.org").is_dir():
                return candidate
    return None


def mount_static(app: FastAPI, configured: Path | None) -> list[str]:
    """Mount our own static files and each vendor package; return the packages that are missing."""
    app.mount("/static/app", StaticFiles(directory=OWN_STATIC), name="static")
    node_modules = find_node_modules(configured)
    missing: list[str] = []
    for name, relative in VENDOR_PACKAGES.items():
        folder = node_modules / relative if node_modules else None
        if folder is None or not folder.is_dir():
            missing.append(name)
            continue
        app.mount(f"/static/vendor/{name}", StaticFiles(directory=folder), name=f"vendor-{name}")
    return missing
