"""Introspection of the app's routes, so cross-cutting tests cover every endpoint that exists."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.responses import StreamingResponse

# Reachable without credentials by design: logging in, probes, and the API documentation.
PUBLIC_PATHS = frozenset({"/api/v1/auth/token", "/healthz", "/readyz", "/api/docs"})
# Pages a stranger must be able to open (the login form and its submission).
PUBLIC_PAGES = frozenset({"/login"})
# Device protocol routes (GA/T 1400 VIID) authenticate with HTTP Digest and `User-Identify`, not
# sessions or bearer tokens: `endpoints()` leaves them out of the session/token suites and
# `device_endpoints()` gives them to tests/checkpoint/test_viid_routes.py, which checks that every
# one refuses a caller without device credentials.
DEVICE_PREFIXES = ("/VIID/",)
# An id no seeded or fuzzed table reaches: writes aimed at it touch nothing.
MISSING_ID = 987654321
_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


@dataclass(frozen=True)
class Endpoint:
    """One method of one route, with what the tests need to know about it."""

    method: str
    path: str
    dependant: Dependant
    in_schema: bool
    sensitive: bool
    streams: bool

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def is_device(self) -> bool:
        return self.path.startswith(DEVICE_PREFIXES)

    @property
    def is_public(self) -> bool:
        return self.path in PUBLIC_PATHS or self.path in PUBLIC_PAGES

    @property
    def is_read(self) -> bool:
        return self.method == "GET"

    @property
    def params(self) -> list[str]:
        return _PARAM.findall(self.path)

    @property
    def permissions(self) -> frozenset[str]:
        return required_permissions(self.dependant)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def int_params(self) -> list[str]:
        return [p.name for p in self.dependant.path_params if _annotation(p) is int]

    def query_params(self) -> dict[str, Any]:
        """Query parameters of the route and of its dependencies, by name → annotation."""
        found: dict[str, Any] = {}
        for dependant in _walk(self.dependant):
            for field in dependant.query_params:
                found[field.alias] = _annotation(field)
        return found

    def has_body(self) -> bool:
        return any(d.body_params for d in _walk(self.dependant))


def _annotation(field: Any) -> Any:
    return getattr(getattr(field, "field_info", None), "annotation", None)


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for child in dependant.dependencies:
        yield from _walk(child)


def required_permissions(dependant: Dependant) -> frozenset[str]:
    """Permissions demanded through `require(...)` anywhere in the dependency tree."""
    return frozenset(
        permission
        for node in _walk(dependant)
        if isinstance(permission := getattr(node.call, "permission", None), str)
    )


def _route_contexts(app: FastAPI) -> Iterator[Any]:
    # FastAPI ≥0.16x keeps included routers as nodes; older versions flatten them into app.routes.
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI
        yield from app.routes
        return
    yield from iter_route_contexts(app.routes)


def _streams(context: Any) -> bool:
    if getattr(context, "is_sse_stream", False) or getattr(context, "is_json_stream", False):
        return True
    response_class = getattr(context, "response_class", None)
    response_class = getattr(response_class, "value", response_class)  # DefaultPlaceholder
    if _is_stream_class(response_class):
        return True
    if _is_stream_class(_returned_class(getattr(context, "endpoint", None))):
        return True
    responses: Mapping[Any, Any] = getattr(context, "responses", None) or {}
    return any("text/event-stream" in (r.get("content") or {}) for r in responses.values())


def _returned_class(endpoint: Any) -> Any:
    """The handler's return annotation, resolved (handlers use `from __future__ import annotations`)."""
    try:
        return typing.get_type_hints(endpoint).get("return")
    except Exception:  # unresolvable hints: treat as "not a stream"
        return None


def _is_stream_class(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, StreamingResponse)


def endpoints(app: FastAPI, *, devices: bool = False) -> list[Endpoint]:
    """Every method of every FastAPI route (API and pages), HEAD/OPTIONS aside; device protocol
    routes only when asked for."""
    found: list[Endpoint] = []
    for context in _route_contexts(app):
        original = getattr(context, "original_route", context)
        if not isinstance(original, APIRoute):
            continue
        if not devices and context.path_format.startswith(DEVICE_PREFIXES):
            continue
        extra = context.openapi_extra or {}
        for method in sorted(context.methods or ()):
            if method in {"HEAD", "OPTIONS"}:
                continue
            found.append(
                Endpoint(
                    method=method,
                    path=context.path_format,
                    dependant=context.dependant,
                    in_schema=bool(context.include_in_schema),
                    sensitive=bool(extra.get("x-sensitive")),
                    streams=_streams(context),
                )
            )
    return found


def device_endpoints(app: FastAPI) -> list[Endpoint]:
    return [e for e in endpoints(app, devices=True) if e.is_device]


def api_endpoints(app: FastAPI) -> list[Endpoint]:
    return [e for e in endpoints(app) if e.is_api]


def page_endpoints(app: FastAPI) -> list[Endpoint]:
    return [e for e in endpoints(app) if not e.is_api and e.path not in PUBLIC_PATHS]


def fill_path(path: str, values: Mapping[str, object] | None = None, default: object = 1) -> str:
    """The path with each `{param}` replaced by its value (or `default`)."""
    values = values or {}
    return _PARAM.sub(lambda m: str(values.get(m.group(1), default)), path)


def collection_of(path: str) -> str | None:
    """`/api/v1/users/{user_id}/roles` → `/api/v1/users`: where the ids of the first param come from."""
    head, brace, _ = path.partition("{")
    return head.rstrip("/") if brace and head.rstrip("/") else None


def items_of(payload: Any) -> list[dict[str, Any]]:
    """Records of a list answer: a bare JSON list or a page object with `items`."""
    if isinstance(payload, dict):
        payload = payload.get("items")
    return [item for item in payload or [] if isinstance(item, dict)]


def listed_ids(
    client: Any, collection: str | None, params: Mapping[str, str] | None = None
) -> list[int]:
    """Ids of the records `client` sees in a collection (empty when it cannot be listed)."""
    if collection is None:
        return []
    response = client.get(collection, params=params)
    # A page collection (/admin/users) answers HTML: it has no ids to offer.
    if response.status_code != 200 or "json" not in response.headers.get("content-type", ""):
        return []
    return [r["id"] for r in items_of(response.json()) if isinstance(r.get("id"), int)]


def send(client: Any, endpoint: Endpoint, url: str, **kwargs: Any) -> Any:
    """Call `endpoint` at `url`; routes that take a body get an empty JSON object unless given one."""
    if endpoint.has_body():
        kwargs.setdefault("json", {})
    return client.request(endpoint.method, url, **kwargs)
