"""API of checkpoints (/api/v1/checkpoints, lanes, VIID devices: registries), the checkpoint map
layer and health, and the sensitive pass queries under /api/v1/passes (reason required, audited)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request

from jiaoguan.checkpoint import queries, service
from jiaoguan.checkpoint.ingest import ingestor_of
from jiaoguan.checkpoint.legacy import LegacyFileError, load_file
from jiaoguan.checkpoint.registries import ALL_REGISTRIES, CHECKPOINTS
from jiaoguan.checkpoint.schemas import (
    CheckpointHealth,
    CoTravelResult,
    PassImportReport,
    PassPage,
    PassRead,
)
from jiaoguan.platform.audit.service import record
from jiaoguan.platform.auth.permissions import CHECKPOINT_QUERY, CHECKPOINT_READ, CHECKPOINT_WRITE
from jiaoguan.platform.auth.service import Principal
from jiaoguan.platform.crud import XLSX, api_router, xlsx_download
from jiaoguan.platform.crud.api import UPLOAD_DOC, Upload, XlsxResponse, uploaded_file
from jiaoguan.platform.crud.excel import MAX_IMPORT_BYTES
from jiaoguan.platform.db import utcnow
from jiaoguan.platform.deps import SENSITIVE, Db, Reason, require
from jiaoguan.platform.errors import Invalid
from jiaoguan.web.onemap import MapLayer, register_layer

BEIJING = ZoneInfo("Asia/Shanghai")
Reader = Annotated[Principal, Depends(require(CHECKPOINT_READ))]
Querier = Annotated[Principal, Depends(require(CHECKPOINT_QUERY))]
Writer = Annotated[Principal, Depends(require(CHECKPOINT_WRITE))]
TAG = "过车查询"

Start = Annotated[dt.datetime, Query(description="开始时间（含），ISO 8601；不带时区按北京时间")]
End = Annotated[dt.datetime, Query(description="结束时间（不含），ISO 8601；不带时区按北京时间")]
Plate = Annotated[str, Query(min_length=1, max_length=20, description="号牌号码，如 冀F12345")]
PlatePattern = Annotated[
    str | None,
    Query(max_length=20, description="号牌号码或模式：* 任意多个字符，? 一个字符，如 冀F*12?"),
]
CheckpointIds = Annotated[
    list[int] | None, Query(description="卡口编号（id，可多个）；不填为全部可见卡口")
]
ColourCode = Annotated[
    str | None, Query(max_length=2, pattern=r"^\d{1,2}$", description="号牌颜色（GA/T 1400 代码）")
]
ClassCode = Annotated[
    str | None, Query(max_length=2, pattern=r"^\d{2}$", description="号牌种类（GA/T 16.7）")
]
VehicleClassCode = Annotated[
    str | None,
    Query(max_length=3, pattern=r"^[A-Za-z]\d{0,2}$", description="车辆类型，如 K33；H 为全部货车"),
]
Brand = Annotated[str | None, Query(max_length=32, description="车辆品牌")]


def period(start: dt.datetime, end: dt.datetime) -> queries.Period:
    """Naive times are Beijing time (what people type), then converted to UTC."""
    start = start if start.tzinfo else start.replace(tzinfo=BEIJING)
    end = end if end.tzinfo else end.replace(tzinfo=BEIJING)
    return queries.Period.of(start, end)


def window_filter(
    checkpoint_id: CheckpointIds = None,
    plate: PlatePattern = None,
    plate_colour: ColourCode = None,
    plate_class: ClassCode = None,
    vehicle_class: VehicleClassCode = None,
    brand: Brand = None,
) -> queries.WindowFilter:
    return queries.WindowFilter(
        checkpoint_ids=[i for i in checkpoint_id or [] if 0 < i < 2**31],
        plate=plate or None,
        plate_colour=plate_colour,
        plate_class=plate_class,
        vehicle_class=vehicle_class,
        brand=brand or None,
    )


Window = Annotated[queries.WindowFilter, Depends(window_filter)]

extras = APIRouter()

register_layer(
    MapLayer(
        key="checkpoints",
        title="卡口",
        group="缉查布控",
        url=f"{CHECKPOINTS.api_prefix}/geojson",
        permission=CHECKPOINT_READ,
        style={"color": "#d63939"},
        visible=True,
    )
)


@extras.get(
    f"{CHECKPOINTS.api_prefix}/geojson",
    tags=[CHECKPOINTS.label],
    summary="卡口地图图层（GeoJSON，数据权限内）",
)
def checkpoints_geojson(db: Db, principal: Reader) -> dict[str, Any]:
    return service.geojson_layer(db, principal)


# Not under /checkpoints/: "health" would be taken for a record id by PATCH/DELETE /{item_id}.
@extras.get(
    "/api/v1/checkpoint-health",
    response_model=list[CheckpointHealth],
    tags=[CHECKPOINTS.label],
    summary="卡口运行状态：最近过车时间、最近一小时过车数与平时对比",
)
def checkpoints_health(db: Db, principal: Reader) -> list[CheckpointHealth]:
    return service.health(db, principal, utcnow())


passes = APIRouter(prefix="/api/v1/passes", tags=[TAG])


@passes.get(
    "/trajectory",
    response_model=list[PassRead],
    summary="车辆轨迹：某号牌在时段内经过的卡口（按时间；须填写事由，记入审计）",
    openapi_extra=SENSITIVE,
)
def trajectory(
    db: Db, principal: Querier, reason: Reason, plate: Plate, start: Start, end: End
) -> list[PassRead]:
    return queries.trajectory(db, principal, plate, period(start, end), reason)


@passes.get(
    "",
    response_model=PassPage,
    summary="过车查询：卡口与时段内的过车，可按号牌模式、颜色、种类、品牌筛选（须填写事由）",
    openapi_extra=SENSITIVE,
)
def pass_window(
    db: Db,
    principal: Querier,
    reason: Reason,
    start: Start,
    end: End,
    where: Window,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> PassPage:
    return queries.window(
        db, principal, period(start, end), where, reason, limit=limit, offset=offset
    )


@passes.get(
    "/export",
    response_class=XlsxResponse,
    responses={200: {"content": {XLSX: {}}}},
    summary="导出过车查询结果（xlsx，至多 5000 条；须填写事由，记入审计）",
    openapi_extra=SENSITIVE,
)
def pass_export(
    db: Db, principal: Querier, reason: Reason, start: Start, end: End, where: Window
) -> XlsxResponse:
    rows = queries.window_rows(db, principal, period(start, end), where, reason)
    stamp = utcnow().astimezone(BEIJING).strftime("%Y%m%d%H%M%S")
    return xlsx_download(queries.passes_xlsx(rows, "过车记录"), f"过车记录_{stamp}.xlsx")


@passes.get(
    "/co-travel",
    response_model=CoTravelResult,
    summary="同行分析：与某号牌在同一卡口相隔不超过时间窗、达到次数的车辆（须填写事由）",
    openapi_extra=SENSITIVE,
)
def co_travel(
    db: Db,
    principal: Querier,
    reason: Reason,
    plate: Plate,
    start: Start,
    end: End,
    window_s: Annotated[int, Query(ge=5, le=600, description="时间窗（秒）")] = 60,
    min_times: Annotated[int, Query(ge=1, le=100, description="至少同行次数")] = 2,
) -> CoTravelResult:
    return queries.co_travel(
        db,
        principal,
        plate,
        period(start, end),
        reason,
        window_s=window_s,
        min_times=min_times,
    )


_PASS_FILE_DOC: dict[str, Any] = {
    "requestBody": {
        **UPLOAD_DOC["requestBody"],
        "description": "过车文件：.csv 或 .parquet（遗留 KKBH/GCSJ/HPHM… 列、GA/T 1400 字段名均可），至多 10 MB",
    }
}


@passes.post(
    "/import",
    response_model=PassImportReport,
    summary="导入过车文件（CSV/Parquet，去重入库并送布控比对；大文件请用命令行）",
    openapi_extra=_PASS_FILE_DOC,
)
def import_passes(
    request: Request,
    db: Db,
    principal: Writer,
    upload: Annotated[Upload, Depends(uploaded_file)],
) -> PassImportReport:
    if len(upload.content) > MAX_IMPORT_BYTES:
        raise Invalid("文件超过 10 MB，请用命令行 jiaoguan checkpoint load 导入", ["body", "file"])
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in {".csv", ".txt", ".parquet"}:
        raise Invalid("应上传 .csv 或 .parquet 文件", ["body", "file"])
    # The ingest writes on its own connection: end this request's transaction first (on SQLite
    # it may hold the write lock, e.g. the token's last-use time), the audit entry comes after.
    db.commit()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"passes{suffix}"
        path.write_bytes(upload.content)
        try:
            report = load_file(path, ingestor_of(request.app))
        except LegacyFileError as exc:
            raise Invalid(str(exc), ["body", "file"]) from None
    detail = {"file": upload.filename, "rows": report.rows, "stored": report.stored}
    record(db, principal, "import", "pass_record", detail=detail)
    return PassImportReport(
        rows=report.rows,
        stored=report.stored,
        duplicates=report.duplicates,
        rejected=dict(report.rejected),
        errors=report.errors,
    )


router = APIRouter()
router.include_router(extras)
router.include_router(passes)
for _registry in ALL_REGISTRIES:
    router.include_router(api_router(_registry))
