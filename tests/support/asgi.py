"""Status of a response without reading its body: for endless streams (server-sent events)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import anyio
from fastapi.testclient import TestClient
from starlette.types import Message


async def _first_status(app: Any, method: str, url: str, headers: Mapping[str, str]) -> int:
    parts = urlsplit(url)
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 443),
        "state": {},
    }
    status = 0
    gone = anyio.Event()
    body_sent = False

    async def receive() -> Message:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    with anyio.CancelScope() as scope_cancel:

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                # The client hangs up once it has the status line, as a browser tab closing would.
                gone.set()
                scope_cancel.cancel()

        with anyio.fail_after(10):
            await app(scope, receive, send)
    return status


def first_status(
    client: TestClient, method: str, url: str, headers: Mapping[str, str] | None = None
) -> int:
    """Status line of `method url` sent through a running TestClient's event loop."""
    portal = getattr(client, "portal", None)
    assert portal is not None, "use the TestClient inside `with` so its event loop runs"
    merged = {**dict(client.headers), **(headers or {})}
    return int(portal.call(_first_status, client.app, method, url, merged))
