"""GA/T 1400 (视图库, VIID) server for checkpoint devices and lower platforms (standards.md §1).

Authentication (§1.4, lenient as the notes advise): `System/Register` needs HTTP Digest (MD5,
qop=auth) with the DeviceID as user name against the device's credential in `viid_device`
(registries.DEVICES; not the platform's bearer tokens, which are stored hashed and cannot answer a
Digest challenge). A registered device then sends `User-Identify: <DeviceID>`; the registration
lapses `REGISTRATION_TTL` after the last successful request. A request with valid Digest
credentials is accepted on any route, registered or not.

Bodies are `application/VIID+JSON` or `application/json`; replies are `application/VIID+JSON`.
Times are compact Beijing local time (`yyyyMMddHHmmss`), converted to UTC here at the edge.
A batch answers one `ResponseStatusObject` per object: 0 stored (or already stored), 8 bad content
with the reason; a body that is not JSON is 7, a wrong envelope 8 — the good objects of a batch are
stored whatever happens to the bad ones.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from jiaoguan.checkpoint import digest
from jiaoguan.checkpoint.codes import COLOR_LABELS
from jiaoguan.checkpoint.ingest import (
    CheckpointDirectory,
    KnownCheckpoint,
    PassRecord,
    check_pass,
    ingestor_of,
    make_pass,
    submit,
)
from jiaoguan.checkpoint.models import Checkpoint, DeviceKind, Lane, ViidDevice
from jiaoguan.platform.auth.models import OrgUnit
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.logging import log

BEIJING = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
REGISTRATION_TTL = dt.timedelta(minutes=5)
TOUCH_EVERY = dt.timedelta(seconds=15)  # refresh the registration at most this often (one UPDATE)
MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_OBJECTS = 10_000
MEDIA_TYPE = "application/VIID+JSON;charset=UTF-8"
SERVER_ID = "13060000005030000001"  # our own VIIDServerID (division 130600 + platform type 503)

# ResponseStatusObject.StatusCode (standards.md §1.6)
OK, OTHER_ERROR, INVALID_OPERATION, BAD_JSON, BAD_CONTENT = 0, 1, 4, 7, 8
STATUS_STRINGS = {
    OK: "正常",
    OTHER_ERROR: "其他错误",
    INVALID_OPERATION: "无效操作",
    BAD_JSON: "JSON 格式无效",
    BAD_CONTENT: "JSON 内容无效",
}

router = APIRouter(prefix="/VIID", include_in_schema=False)


# --- time -------------------------------------------------------------------------------------------


def compact_time(value: dt.datetime) -> str:
    """An aware time as GA/T 1400 compact Beijing local time."""
    return value.astimezone(BEIJING).strftime("%Y%m%d%H%M%S")


def parse_compact_time(value: Any) -> dt.datetime:
    """`yyyyMMddHHmmss` Beijing time (also with separators or milliseconds) → aware UTC."""
    text = "".join(ch for ch in str(value) if ch.isdigit())
    if len(text) < 14:
        raise ValueError("时间应为 yyyyMMddHHmmss")
    local = dt.datetime(
        int(text[0:4]),
        int(text[4:6]),
        int(text[6:8]),
        int(text[8:10]),
        int(text[10:12]),
        int(text[12:14]),
        tzinfo=BEIJING,
    )
    return local.astimezone(UTC)


# --- replies ---------------------------------------------------------------------------------------


def status_object(url: str, code: int, ident: str = "", message: str = "") -> dict[str, Any]:
    return {
        "Id": ident,
        "RequestURL": url,
        "StatusCode": code,
        "StatusString": message or STATUS_STRINGS.get(code, ""),
        "LocalTime": compact_time(utcnow()),
    }


def viid_response(body: dict[str, Any], status: int = 200, **headers: str) -> Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(content, status_code=status, media_type=MEDIA_TYPE, headers=headers or None)


def status_response(
    url: str, code: int, ident: str = "", message: str = "", status: int = 200, **headers: str
) -> Response:
    body = {"ResponseStatusObject": status_object(url, code, ident, message)}
    return viid_response(body, status, **headers)


class ViidRefused(Exception):
    """A request we answer with an error status (and for 401 a fresh Digest challenge)."""

    def __init__(
        self,
        http_status: int,
        code: int,
        message: str,
        *,
        stale: bool = False,
        challenge: bool = False,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message
        self.stale = stale
        # The first step of every Digest registration, not a failure worth an operator's look.
        self.challenge = challenge

    def response(self, request: Request) -> Response:
        headers: dict[str, str] = {}
        if self.http_status == 401:
            headers["WWW-Authenticate"] = digest.challenge(_secret(request), stale=self.stale)
        ident = request.headers.get("user-identify", "")
        report = log.debug if self.challenge else log.info
        report("viid refused", path=request.url.path, device=ident, reason=self.message)
        return status_response(
            request.url.path, self.code, ident, self.message, self.http_status, **headers
        )


def _secret(request: Request) -> str:
    return str(request.app.state.settings.secret_key or "jiaoguan-viid")


# --- authentication --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceSession:
    """The authenticated device of a request."""

    id: int
    device_id: str
    kind: DeviceKind
    unit_path: str
    checkpoint_id: int | None


def _device(db: Session, device_id: str) -> ViidDevice | None:
    return db.scalar(select(ViidDevice).where(ViidDevice.device_id == device_id))


def _check_digest(request: Request, db: Session, header: str, claimed: str) -> ViidDevice:
    creds = digest.parse_authorization(header)
    if creds is None:
        raise ViidRefused(401, INVALID_OPERATION, "认证头格式错误，应为 HTTP 摘要认证")
    if claimed and creds.username != claimed:
        raise ViidRefused(401, INVALID_OPERATION, "认证用户名与设备编号不一致")
    if urlsplit(creds.uri).path != request.url.path:
        raise ViidRefused(401, INVALID_OPERATION, "认证 uri 与请求路径不一致")
    age = digest.nonce_age(_secret(request), creds.nonce)
    if age is None or creds.realm != digest.REALM:
        raise ViidRefused(401, INVALID_OPERATION, "认证随机数无效")
    if age > digest.NONCE_LIFETIME_S:
        raise ViidRefused(401, INVALID_OPERATION, "认证随机数已过期", stale=True)
    device = _device(db, creds.username)
    if device is None or not device.enabled:
        raise ViidRefused(401, INVALID_OPERATION, "设备未登记或已停用")
    expected = digest.expected_response(device.digest_ha1, request.method, creds)
    if not _same(expected, creds.response):
        raise ViidRefused(401, INVALID_OPERATION, "认证失败：用户名或密码错误")
    return device


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def authenticate(
    request: Request, *, register: bool = False, unregister: bool = False
) -> DeviceSession:
    """The device behind a request, with its registration refreshed; ViidRefused otherwise."""
    claimed = request.headers.get("user-identify", "").strip()
    header = request.headers.get("authorization", "")
    now = utcnow()
    with request.app.state.db.transaction() as db:
        if header:
            device = _check_digest(request, db, header, claimed)
            if register or device.expires_at is None or device.expires_at <= now:
                device.registered_at = now
        elif register:
            raise ViidRefused(401, INVALID_OPERATION, "注册须进行摘要认证", challenge=True)
        else:
            if not claimed:
                raise ViidRefused(401, INVALID_OPERATION, "缺少 User-Identify 头或摘要认证")
            found = _device(db, claimed)
            if found is None or not found.enabled:
                raise ViidRefused(401, INVALID_OPERATION, "设备未登记或已停用")
            if found.expires_at is None or found.expires_at <= now:
                raise ViidRefused(401, INVALID_OPERATION, "设备未注册或注册已过期，请重新注册")
            device = found
        if unregister:
            device.expires_at = None
        elif (
            register
            or device.expires_at is None
            or device.last_seen_at is None
            or now - device.last_seen_at >= TOUCH_EVERY
        ):
            device.last_seen_at = now
            device.expires_at = now + REGISTRATION_TTL
            device.remote_addr = request.client.host if request.client else None
        unit_path = db.scalar(select(OrgUnit.path).where(OrgUnit.id == device.unit_id)) or ""
        return DeviceSession(
            device.id, device.device_id, device.kind, unit_path, device.checkpoint_id
        )


async def _authenticated(request: Request, **kwargs: bool) -> DeviceSession:
    return await run_in_threadpool(lambda: authenticate(request, **kwargs))


async def _json_body(request: Request) -> Any:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ViidRefused(413, INVALID_OPERATION, "请求体过大")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise ViidRefused(413, INVALID_OPERATION, "请求体过大")
    try:
        return json.loads(raw) if raw else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ViidRefused(400, BAD_JSON, "请求体不是有效的 JSON") from None


def _object(body: Any, name: str) -> dict[str, Any]:
    found = body.get(name) if isinstance(body, dict) else None
    if not isinstance(found, dict):
        raise ViidRefused(400, BAD_CONTENT, f"缺少 {name}")
    return found


# --- system routes -------------------------------------------------------------------------------


# Credentials are checked before the body: a stranger learns nothing from a validation error.


@router.post("/System/Register")
async def register(request: Request) -> Response:
    try:
        session = await _authenticated(request, register=True)
        body = await _json_body(request)
        device_id = str(_object(body, "RegisterObject").get("DeviceID", "")).strip()
        if device_id != session.device_id:
            raise ViidRefused(400, BAD_CONTENT, "RegisterObject.DeviceID 与认证用户名不一致")
    except ViidRefused as refused:
        return refused.response(request)
    log.info("viid registered", device=device_id)
    return status_response(request.url.path, OK, device_id)


@router.post("/System/UnRegister")
async def unregister(request: Request) -> Response:
    try:
        session = await _authenticated(request, unregister=True)
        _object(await _json_body(request), "UnRegisterObject")
    except ViidRefused as refused:
        return refused.response(request)
    log.info("viid unregistered", device=session.device_id)
    return status_response(request.url.path, OK, session.device_id)


@router.post("/System/Keepalive")
async def keepalive(request: Request) -> Response:
    try:
        session = await _authenticated(request)
        _object(await _json_body(request), "KeepaliveObject")
    except ViidRefused as refused:
        return refused.response(request)
    return status_response(request.url.path, OK, session.device_id)


@router.get("/System/Time")
async def system_time(request: Request) -> Response:
    try:
        await _authenticated(request)
    except ViidRefused as refused:
        return refused.response(request)
    time_object = {
        "VIIDServerID": SERVER_ID,
        "TimeMode": "1",  # 1: the server's time is authoritative (NTP-synchronised host)
        "LocalTime": compact_time(utcnow()),
        "TimeZone": "Asia/Shanghai",
    }
    return viid_response({"SystemTimeObject": time_object})


# --- motor vehicles --------------------------------------------------------------------------------


def _text(value: Any, limit: int) -> str | None:
    if value is None or value == "":
        return None
    return str(value).strip()[:limit] or None


def _colour(value: Any) -> str:
    code = str(value).strip() if value is not None else ""
    code = code.lstrip("0") or code  # "05" → "5"
    return code if code in COLOR_LABELS else "99"


def _speed(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


def _lane(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


class ObjectRefused(ValueError):
    """A MotorVehicleObject that cannot be stored; the message is the reason (Chinese)."""


def motor_vehicle_to_pass(
    obj: Any,
    session: DeviceSession,
    directory: CheckpointDirectory,
    now: dt.datetime,
) -> PassRecord:
    """One MotorVehicleObject as a PassRecord; ObjectRefused with the reason otherwise."""
    if not isinstance(obj, dict):
        raise ObjectRefused("对象应为 JSON 对象")
    record_id = str(obj.get("MotorVehicleID") or "").strip()
    if not record_id:
        raise ObjectRefused("缺少 MotorVehicleID")
    tollgate = str(obj.get("TollgateID") or "").strip()
    checkpoint: KnownCheckpoint | None
    if tollgate:
        checkpoint = directory.get(tollgate)
    elif session.checkpoint_id is not None:
        checkpoint = directory.by_id(session.checkpoint_id)  # a camera sends for its own gate
    else:
        raise ObjectRefused("缺少 TollgateID")
    if checkpoint is None:
        raise ObjectRefused(f"卡口编号 {tollgate} 未登记")
    if not checkpoint.enabled:
        raise ObjectRefused(f"卡口 {checkpoint.code} 已停用")
    if session.kind == DeviceKind.ape and session.checkpoint_id not in (None, checkpoint.id):
        raise ObjectRefused("设备无权上报其他卡口的过车")
    if obj.get("PassTime") in (None, ""):
        raise ObjectRefused("缺少 PassTime")
    try:
        passed_at = parse_compact_time(obj["PassTime"])
        lane_no = _lane(obj.get("LaneNo"))
        speed = _speed(obj.get("Speed"))
    except (ValueError, TypeError):
        raise ObjectRefused("PassTime、LaneNo 或 Speed 格式不正确") from None
    has_plate = str(obj.get("HasPlate", "1")).strip().lower() not in {"0", "false", "n", "no"}
    plate_raw = str(obj.get("PlateNo") or "").strip() if has_plate else ""
    record = make_pass(
        record_id=record_id,
        checkpoint_id=checkpoint.id,
        tollgate_code=checkpoint.code,
        passed_at=passed_at,
        plate_raw=plate_raw,
        plate_colour=_colour(obj.get("PlateColor")),
        lane_no=lane_no,
        plate_class=_text(obj.get("PlateClass"), 2),
        vehicle_class=_text(obj.get("VehicleClass"), 3),
        vehicle_colour=_colour(obj.get("VehicleColor")) if obj.get("VehicleColor") else None,
        brand=_text(obj.get("VehicleBrand"), 32),
        speed_kmh=speed,
        direction=_text(obj.get("Direction"), 2),
    )
    reason = check_pass(record, now)
    if reason:
        raise ObjectRefused(reason)
    return record


def parse_motor_vehicles(
    app: FastAPI, body: Any, session: DeviceSession
) -> tuple[list[PassRecord], list[tuple[int, str, str]], list[str]]:
    """(good records, [(index, id, reason)] of the bad ones, the id of every object in order)."""
    listed = _object(body, "MotorVehicleListObject").get("MotorVehicleObject")
    if isinstance(listed, dict):
        listed = [listed]  # some devices send a single object without the array
    if not isinstance(listed, list) or not listed:
        raise ViidRefused(400, BAD_CONTENT, "MotorVehicleObject 应为非空数组")
    if len(listed) > MAX_OBJECTS:
        raise ViidRefused(413, INVALID_OPERATION, f"一批至多 {MAX_OBJECTS} 条")
    directory = ingestor_of(app).checkpoints
    now = utcnow()
    good: list[PassRecord] = []
    bad: list[tuple[int, str, str]] = []
    ids: list[str] = []
    for index, obj in enumerate(listed):
        ident = str(obj.get("MotorVehicleID") or "") if isinstance(obj, dict) else ""
        ids.append(ident)
        try:
            good.append(motor_vehicle_to_pass(obj, session, directory, now))
        except ObjectRefused as refused:
            bad.append((index, ident, str(refused)))
    return good, bad, ids


def batch_statuses(
    url: str, ids: Sequence[str], bad: Sequence[tuple[int, str, str]]
) -> list[dict[str, Any]]:
    reasons = {index: reason for index, _, reason in bad}
    return [
        status_object(url, BAD_CONTENT, ident, reasons[i])
        if i in reasons
        else status_object(url, OK, ident)
        for i, ident in enumerate(ids)
    ]


@router.post("/MotorVehicles")
async def motor_vehicles(request: Request) -> Response:
    try:
        session = await _authenticated(request)
        body = await _json_body(request)
        good, bad, ids = await run_in_threadpool(parse_motor_vehicles, request.app, body, session)
    except ViidRefused as refused:
        return refused.response(request)
    result = await submit(request.app, good)
    if bad:
        log.info(
            "viid objects refused",
            device=session.device_id,
            refused=len(bad),
            first=bad[0][2],
            stored=result.stored,
        )
    statuses = batch_statuses(request.url.path, ids, bad)
    return viid_response({"ResponseStatusListObject": {"ResponseStatusObject": statuses}})


# --- directories -----------------------------------------------------------------------------------


def _checkpoints_of(db: Session, session: DeviceSession) -> list[Checkpoint]:
    stmt = (
        select(Checkpoint)
        .join(OrgUnit, OrgUnit.id == Checkpoint.unit_id)
        .where(OrgUnit.path.startswith(session.unit_path, autoescape=True))
        .order_by(Checkpoint.code)
    )
    return list(db.scalars(stmt))


def tollgate_object(c: Checkpoint) -> dict[str, Any]:
    return {
        "TollgateID": c.code,
        "Name": c.name,
        "Longitude": round(c.lon, 7),
        "Latitude": round(c.lat, 7),
        "PlaceCode": c.place_code or "",
        "Place": c.address or "",
        "Status": str(c.status.value),
        "TollgateCat": str(c.kind.value),
        "LaneNum": c.lane_count,
        "ActiveTime": compact_time(c.created_at),
    }


@router.get("/Tollgates")
async def tollgates(request: Request) -> Response:
    try:
        session = await _authenticated(request)
    except ViidRefused as refused:
        return refused.response(request)
    wanted = request.query_params.get("TollgateID")

    def load() -> list[dict[str, Any]]:
        with request.app.state.db.sessions() as db:
            found = _checkpoints_of(db, session)
            return [tollgate_object(c) for c in found if not wanted or c.code == wanted]

    objects = await run_in_threadpool(load)
    return viid_response({"TollgateListObject": {"TollgateObject": objects}})


@router.get("/Lanes")
async def lanes(request: Request) -> Response:
    try:
        session = await _authenticated(request)
    except ViidRefused as refused:
        return refused.response(request)
    query = request.query_params
    wanted_gate = query.get("TollgateID")
    wanted_no = query.get("LaneNo") or query.get("LaneId")

    def load() -> list[dict[str, Any]]:
        with request.app.state.db.sessions() as db:
            codes = {c.id: c.code for c in _checkpoints_of(db, session)}
            stmt = (
                select(Lane)
                .where(Lane.checkpoint_id.in_(codes))
                .order_by(Lane.checkpoint_id, Lane.lane_no)
            )
            return [
                {
                    "TollgateID": codes[lane.checkpoint_id],
                    "LaneId": lane.id,
                    "LaneNo": lane.lane_no,
                    "Name": lane.description or f"{lane.lane_no}号车道",
                    "Direction": lane.direction or "",
                    "Desc": lane.description or "",
                }
                for lane in db.scalars(stmt)
                if (not wanted_gate or codes[lane.checkpoint_id] == wanted_gate)
                and (not wanted_no or str(lane.lane_no) == wanted_no)
            ]

    objects = await run_in_threadpool(load)
    return viid_response({"LaneListObject": {"LaneObject": objects}})
