"""Events of the command module (`command.*`); `unit_path` is the handling centre's unit path.

Other processes keep their officer tracker in step through `command.officer_status_changed`; the
statistics and the analytics module can follow the lifecycle through the incident events.
"""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from jiaoguan.platform.events import Event


class IncidentEvent(Event):
    """What every incident event carries (no subject of its own)."""

    incident_id: int
    number: str
    kind: str
    level: int
    state: str
    command_level: str
    handling_unit_id: int
    area_unit_id: int | None = None
    actor_user_id: int | None = None


class IncidentReported(IncidentEvent, subject="command.incident_reported"):
    source: str
    lon: float
    lat: float
    place: str
    duplicates: list[int] = Field(default_factory=list)


class IncidentRouted(IncidentEvent, subject="command.incident_routed"):
    """Escalated or handed to another centre (two-level command)."""

    previous_level: str
    previous_unit_id: int
    reason: str


class IncidentMerged(IncidentEvent, subject="command.incident_merged"):
    into_id: int
    reason: str


class IncidentCancelled(IncidentEvent, subject="command.incident_cancelled"):
    reason: str


class DispatchEvent(IncidentEvent):
    dispatch_id: int
    officer_id: int
    dispatch_state: str
    at: AwareDatetime


class OfficerDispatched(DispatchEvent, subject="command.officer_dispatched"):
    eta_s: float | None = None


class DispatchStepped(DispatchEvent, subject="command.dispatch_stepped"):
    """accept, depart, arrive (pressed or detected), handle, close, cancel."""

    step: str
    auto: bool = False


class DispatchOverdue(DispatchEvent, subject="command.dispatch_overdue"):
    """Acceptance or arrival later than the rule allows (a reminder went out)."""

    step: str
    late_s: float


class OfficerStatusChanged(Event, subject="command.officer_status_changed"):
    officer_id: int
    status: str
    previous: str


class OfficerUpdated(Event, subject="command.officer_updated"):
    """Registry change (created, edited, deleted): trackers in every process follow it."""

    officer_id: int
    mode: str
    status: str
    removed: bool = False


class IntakeRequested(Event, subject="command.intake_requested"):
    """Another module asks for an incident (video analytics, a detector's traffic event, an
    alert): the command module registers it as the system, routed by the rules like any other."""

    source: str  # IncidentSource value: video, detector, ...
    kind: str  # IncidentKind value
    level: int = 1
    place: str
    lon: float
    lat: float
    summary: str = ""
    reported_at: AwareDatetime | None = None
