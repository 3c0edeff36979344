"""Demo work orders between the demo units, in every state, one of them overdue and escalated.

Runs through the real service functions, so the demo's history, audit log, events and bell
notifications are what the platform itself writes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiaoguan.platform.auth.models import OrgUnit, User
from jiaoguan.platform.auth.service import Principal, principal_of
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.workorders import service
from jiaoguan.platform.workorders.models import WorkOrder


def seed_work_orders(db: Session) -> None:
    """Idempotent: does nothing once any work order exists."""
    if db.scalar(select(WorkOrder.id).limit(1)) is not None:
        return
    units = {u.code: u.id for u in db.scalars(select(OrgUnit))}
    people = {u.username: u for u in db.scalars(select(User))}

    def who(username: str) -> Principal:
        return principal_of(people[username])

    now = utcnow()
    hours = dt.timedelta(hours=1)
    dispatcher, jx, lc = who("dispatcher"), who("jx_dispatcher"), who("lc_dispatcher")

    # Awaiting review: the detachment sent it to a named 竞秀 officer, who accepted and reported.
    order = service.open_work_order(
        db,
        dispatcher,
        title="核查朝阳大街早高峰违停投诉",
        description="12345 转来投诉：朝阳大街与东风路口早高峰占道停车严重。请现场核查并处置，反馈照片。",
        assignee_unit_id=units["13060201"],
        assignee_user_id=people["jx_officer"].id,
        deadline=now + 20 * hours,
        priority="high",
        now=now - 4 * hours,
    )
    service.accept(db, who("jx_officer"), order.id)
    service.feed_back(
        db,
        who("jx_officer"),
        order.id,
        text="已到场核查，现场劝离违停车辆 6 辆，贴单 3 起；建议增设禁停标志。",
        attachments=[service.AttachmentMeta("现场照片.jpg", 245_760, "image/jpeg")],
    )

    # Overdue and escalated: sent to 莲池一中队 three days ago, due yesterday, never signed for.
    late = service.open_work_order(
        db,
        dispatcher,
        title="裕华路信号灯故障点位交通疏导",
        description="裕华路与七一路口信号灯故障，维修前请安排警力疏导。",
        assignee_unit_id=units["13060601"],
        deadline=now - 26 * hours,
        priority="urgent",
        now=now - 72 * hours,
    )
    service.escalate(db, late.id, now=now)

    # Closed: 竞秀 brigade to its first squad, accepted, reported, approved.
    done = service.open_work_order(
        db,
        jx,
        title="朝阳小学周边护学岗",
        description="开学首周上学、放学时段在朝阳小学门前设护学岗。",
        assignee_unit_id=units["13060201"],
        deadline=now + 48 * hours,
        now=now - 30 * hours,
    )
    officer = who("jx_officer")
    service.accept(db, officer, done.id)
    service.feed_back(db, officer, done.id, text="护学岗已按时设置，未发生拥堵和事故。")
    service.approve(db, jx, done.id, comment="按时完成")

    # Rejected: the report lacked the numbers, back to the auxiliary officer.
    redo = service.open_work_order(
        db,
        jx,
        title="朝阳大街电动车逆行专项整治",
        assignee_unit_id=units["13060201"],
        assignee_user_id=people["jx_aux"].id,
        deadline=now + 30 * hours,
        now=now - 8 * hours,
    )
    service.accept(db, who("jx_aux"), redo.id)
    service.feed_back(db, who("jx_aux"), redo.id, text="已开展整治。")
    service.reject(db, jx, redo.id, reason="请补充查处数量和典型案例照片")

    # Waiting to be signed for, inside 莲池.
    service.open_work_order(
        db,
        lc,
        title="裕华路夜间酒驾查控",
        description="周五 21:00–24:00 在裕华路设卡查控酒驾醉驾。",
        assignee_unit_id=units["13060601"],
        assignee_user_id=people["lc_officer"].id,
        deadline=now + 60 * hours,
        priority="high",
    )

    # A rectification notice to the agency the detachment supervises.
    notice = service.open_work_order(
        db,
        who("supervisor"),
        title="检测站外检工位视频缺失整改",
        description="11 月抽查发现 2 号外检工位录像缺失 3 段，请限期整改并反馈整改材料。",
        assignee_unit_id=units["91130600A"],
        deadline=now + 5 * 24 * hours,
    )
    service.accept(db, who("agency"), notice.id)
