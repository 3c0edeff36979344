"""Keeping every process's officer tracker in step with the database.

Writes note the officers they changed in the session; once the transaction commits, the request's
own process applies them at once (so the next recommendation sees them), and the `command.*`
events bring the same changes to the other processes. Nothing reaches a tracker before commit.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from sqlalchemy import event
from sqlalchemy.orm import Session

from jiaoguan.command import events as ev
from jiaoguan.command.models import Officer
from jiaoguan.command.tracker import OfficerTracker
from jiaoguan.platform.events import Bus, Event, emit, subscriber

_KEY = "command.officers"
# officer id → (unit path, mode, status), or None when the officer was deleted.
Noted = dict[int, tuple[str, str, str] | None]


def note_officer(
    db: Session, officer: Officer, *, removed: bool = False, announce: bool = True
) -> None:
    """Remember the officer's new state for the trackers (after commit)."""
    noted: Noted = db.info.setdefault(_KEY, {})
    state = (officer.unit.path, officer.mode.value, officer.status.value)
    noted[officer.id] = None if removed else state
    if announce:
        emit(
            db,
            ev.OfficerUpdated(
                officer_id=officer.id,
                mode=officer.mode.value,
                status=officer.status.value,
                removed=removed,
                unit_path=officer.unit.path,
            ),
        )


def note_status(db: Session, officer: Officer) -> None:
    """A status change (the status event itself is emitted by the service)."""
    note_officer(db, officer, announce=False)


def _loaded(app: FastAPI) -> OfficerTracker | None:
    tracker: OfficerTracker | None = getattr(app.state, "officer_tracker", None)
    return tracker if tracker is not None and tracker.loaded else None


def _apply(tracker: OfficerTracker, noted: Noted) -> None:
    for officer_id, state in noted.items():
        if state is None:
            tracker.remove(officer_id)
        else:
            path, mode, status = state
            tracker.upsert_officer(officer_id, unit_path=path, mode=mode, status=status)


def track_commits(app: FastAPI, db: Session) -> None:
    """Apply the officers noted in this session to the app's tracker when it commits."""
    if db.info.get("command.tracked"):
        return
    db.info["command.tracked"] = True

    def committed(session: Session) -> None:
        noted: Noted = session.info.pop(_KEY, {})
        tracker = _loaded(app)
        if tracker is not None and noted:
            _apply(tracker, noted)

    def rolled_back(session: Session) -> None:
        session.info.pop(_KEY, None)

    event.listen(db, "after_commit", committed)
    event.listen(db, "after_rollback", rolled_back)


def tracked_session(request: Request, db: Session) -> Session:
    track_commits(request.app, db)
    return db


@subscriber
async def follow_officers(app: FastAPI, bus: Bus) -> None:
    """Every process hears officer changes (broadcast) and updates its tracker if it has one."""

    async def on_event(item: Event) -> None:
        tracker = _loaded(app)
        if tracker is None:
            return
        if isinstance(item, ev.OfficerStatusChanged):
            tracker.set_status(item.officer_id, item.status)
        elif isinstance(item, ev.OfficerUpdated):
            if item.removed:
                tracker.remove(item.officer_id)
            else:
                tracker.upsert_officer(
                    item.officer_id, unit_path=item.unit_path, mode=item.mode, status=item.status
                )

    for subject in (ev.OfficerStatusChanged.subject, ev.OfficerUpdated.subject):
        await bus.subscribe(subject, on_event)
