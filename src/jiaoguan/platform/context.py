"""Per-request facts (request id, client address) that audit and logs pick up without plumbing."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    request_id: str = ""
    ip: str = ""
    user_agent: str = ""
    method: str = ""
    path: str = ""


NO_REQUEST = RequestInfo()
current_request: ContextVar[RequestInfo] = ContextVar("current_request", default=NO_REQUEST)
