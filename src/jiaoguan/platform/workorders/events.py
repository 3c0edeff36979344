"""Events of the work-order loop, one per transition; `unit_path` is the assignee unit's path.

Modules that opened an order for one of their records follow it by `source_module` / `source_id`,
e.g. subscribe to `workorder.closed` and settle their interception alert.
"""

from __future__ import annotations

from pydantic import AwareDatetime

from jiaoguan.platform.events import Event


class WorkOrderEvent(Event):
    """What every work-order event carries (no subject of its own: never published as such)."""

    order_id: int
    number: str
    kind: str
    status: str
    # None when the system acted (escalation, an automatic alert).
    actor_user_id: int | None = None
    creator_unit_id: int
    assignee_unit_id: int
    assignee_user_id: int | None = None
    source_module: str | None = None
    source_id: str | None = None


class WorkOrderCreated(WorkOrderEvent, subject="workorder.created"):
    title: str
    priority: str
    deadline: AwareDatetime


class WorkOrderAssigned(WorkOrderEvent, subject="workorder.assigned"):
    deadline: AwareDatetime


class WorkOrderAccepted(WorkOrderEvent, subject="workorder.accepted"):
    pass


class WorkOrderFedBack(WorkOrderEvent, subject="workorder.fed_back"):
    feedback_id: int
    attachments: int = 0


class WorkOrderApproved(WorkOrderEvent, subject="workorder.approved"):
    comment: str = ""


class WorkOrderRejected(WorkOrderEvent, subject="workorder.rejected"):
    reason: str


class WorkOrderReassigned(WorkOrderEvent, subject="workorder.reassigned"):
    reason: str
    previous_unit_id: int
    previous_user_id: int | None = None
    deadline: AwareDatetime


class WorkOrderCancelled(WorkOrderEvent, subject="workorder.cancelled"):
    reason: str


class WorkOrderClosed(WorkOrderEvent, subject="workorder.closed"):
    closed_at: AwareDatetime


class WorkOrderEscalated(WorkOrderEvent, subject="workorder.escalated"):
    level: int
    escalated_unit_id: int
    deadline: AwareDatetime
