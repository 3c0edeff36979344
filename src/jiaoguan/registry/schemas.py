"""Pydantic I/O of the six registries.

Create schemas validate the keys with `validators` (id number, credit code, plate, VIN, licence
class), so forms, the API and Excel imports all report the failed check beside the field. Update
schemas are the Create fields minus the identifying keys (`partial`): an id number, credit code or
plate is the record's identity, and a vehicle's owner changes only by transfer (过户), not by an edit.
Read schemas never carry a person's full id number, phone or a vehicle owner's identity: those
come from the sensitive reads (`PersonIdentity`, `VehicleOwner`), which require a reason.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from typing import Annotated, Any

from pydantic import AfterValidator, AliasChoices, AliasPath, BeforeValidator, Field, create_model
from pydantic.fields import FieldInfo

from jiaoguan.platform.crud import Id, ReadSchema, Schema
from jiaoguan.registry.models import (
    CompanyKind,
    DriverStatus,
    FacilityKind,
    FacilityStatus,
    HouseKind,
    PlateColor,
    RiskTier,
    RoadGrade,
    RoadOrder,
    Sex,
    VehicleStatus,
    VehicleUse,
)
from jiaoguan.registry.validators import (
    check_credit_code,
    check_id_number,
    check_licence_class,
    check_plate,
    check_vin,
)

# --- code tables ------------------------------------------------------------------------------------

# GA/T 16.7 plate classes (standards.md §1.11).
PLATE_CLASS_LABELS: dict[str, str] = {
    "01": "大型汽车",
    "02": "小型汽车",
    "03": "使馆汽车",
    "04": "领馆汽车",
    "05": "境外汽车",
    "06": "外籍汽车",
    "07": "普通摩托车",
    "08": "轻便摩托车",
    "09": "使馆摩托车",
    "10": "领馆摩托车",
    "11": "境外摩托车",
    "12": "外籍摩托车",
    "13": "低速车",
    "14": "拖拉机",
    "15": "挂车",
    "16": "教练汽车",
    "17": "教练摩托车",
    "18": "试验汽车",
    "19": "试验摩托车",
    "20": "临时入境汽车",
    "21": "临时入境摩托车",
    "22": "临时行驶车",
    "23": "警用汽车",
    "24": "警用摩托",
    "25": "原农机号牌",
    "26": "香港入出境车",
    "27": "澳门入出境车",
    "31": "武警号牌",
    "32": "军队号牌",
    "51": "大型新能源汽车",
    "52": "小型新能源汽车",
    "99": "其他号牌",
}
# GA/T 16.4 vehicle class: the first letter is the family (standards.md §1.11).
VEHICLE_CLASS_FAMILIES = {
    "K": "客车",
    "H": "货车",
    "Q": "牵引车",
    "Z": "专项作业车",
    "D": "电车",
    "M": "摩托车",
    "N": "三轮汽车",
    "T": "拖拉机",
    "J": "轮式机械",
    "G": "全挂车",
    "B": "半挂车",
    "X": "其他",
}


class DriverTag(enum.StrEnum):
    key_violator = "key_violator"
    overdue_audit = "overdue_audit"
    person_vehicle_mismatch = "person_vehicle_mismatch"
    person_residence_mismatch = "person_residence_mismatch"
    professional = "professional"


class VehicleTag(enum.StrEnum):
    abnormal = "abnormal"
    overdue_inspection = "overdue_inspection"
    overdue_scrapping = "overdue_scrapping"
    person_vehicle_mismatch = "person_vehicle_mismatch"
    frequent_violation = "frequent_violation"


class PlaceTag(enum.StrEnum):
    """Tags of companies, houses, roads, segments and facilities."""

    key_place = "key_place"
    hazard_spot = "hazard_spot"
    accident_prone = "accident_prone"
    needs_rectification = "needs_rectification"
    school_zone = "school_zone"


TAG_LABELS: dict[str, str] = {
    DriverTag.key_violator: "重点违法驾驶人",
    DriverTag.overdue_audit: "逾期未审验",
    DriverTag.person_vehicle_mismatch: "人车不一致",
    DriverTag.person_residence_mismatch: "人户不一致",
    DriverTag.professional: "职业驾驶人",
    VehicleTag.abnormal: "异常车辆",
    VehicleTag.overdue_inspection: "逾期未检验",
    VehicleTag.overdue_scrapping: "逾期未报废",
    VehicleTag.frequent_violation: "多次违法",
    PlaceTag.key_place: "重点单位/部位",
    PlaceTag.hazard_spot: "隐患点",
    PlaceTag.accident_prone: "事故多发",
    PlaceTag.needs_rectification: "待整改",
    PlaceTag.school_zone: "学校周边",
}


def tag_choices(kind: type[enum.StrEnum]) -> dict[Any, str]:
    return {tag.value: TAG_LABELS[tag] for tag in kind}


# --- validated field types ---------------------------------------------------------------------------


def _id_number(value: str) -> str:
    return check_id_number(value).number


def _credit_code(value: str) -> str:
    return check_credit_code(value).code


def _plate(value: str) -> str:
    return check_plate(value).plate


def _vin(value: str) -> str:
    return check_vin(value).vin


def _plate_class(value: str) -> str:
    if value not in PLATE_CLASS_LABELS:
        raise ValueError(f"号牌种类“{value}”不存在（GA/T 16.7 两位代码，如 02 小型汽车）")
    return value


def _vehicle_class(value: str) -> str:
    text = value.upper()
    if len(text) != 3 or text[0] not in VEHICLE_CLASS_FAMILIES or not text[1:].isdigit():
        raise ValueError("车辆类型应为 GA/T 16.4 代码：类别字母加两位数字，如 K33、H11")
    return text


def _owner_id(value: str) -> str:
    """A person's id number or a company's credit code; the reason names both checks."""
    errors: list[str] = []
    for check in (check_id_number, check_credit_code):
        try:
            found = check(value)
        except ValueError as exc:
            errors.append(str(exc))
            continue
        return found.number if hasattr(found, "number") else found.code
    raise ValueError(
        f"不是有效的身份证号（{errors[0]}），也不是有效的统一社会信用代码（{errors[1]}）"
    )


def _phone(value: str) -> str:
    if not all(c.isdigit() or c in "-+ " for c in value) or sum(c.isdigit() for c in value) < 5:
        raise ValueError("电话号码只能含数字、+、- 和空格")
    return value


def _geometry(value: str) -> str:
    """A LineString as JSON text: [[lon, lat], ...] with at least two points in WGS-84."""
    try:
        points = json.loads(value)
    except ValueError:
        raise ValueError(
            "几何格式错误：应为 JSON 坐标数组，如 [[115.46,38.87],[115.47,38.87]]"
        ) from None
    if not isinstance(points, list) or len(points) < 2:
        raise ValueError("几何格式错误：线至少需要 2 个点")
    for point in points:
        ok = isinstance(point, list) and len(point) == 2
        ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)
        if not ok or not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90):
            raise ValueError(f"几何格式错误：坐标 {json.dumps(point)[:40]} 不是有效的 [经度, 纬度]")
    if len(points) > 5000:
        raise ValueError("几何格式错误：点数不能超过 5000")
    return json.dumps(points)


IdNumberText = Annotated[str, Field(min_length=15, max_length=20), AfterValidator(_id_number)]
CreditCodeText = Annotated[str, Field(min_length=15, max_length=20), AfterValidator(_credit_code)]
PlateText = Annotated[str, Field(min_length=2, max_length=20), AfterValidator(_plate)]
PlateClass = Annotated[str, AfterValidator(_plate_class)]
VehicleClass = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_vehicle_class)]
VinText = Annotated[str, Field(min_length=17, max_length=20), AfterValidator(_vin)]
OwnerIdText = Annotated[str, Field(min_length=15, max_length=20), AfterValidator(_owner_id)]
LicenceClass = Annotated[
    str, Field(min_length=1, max_length=16), AfterValidator(check_licence_class)
]
Phone = Annotated[str, Field(max_length=20), AfterValidator(_phone)]
Geometry = Annotated[str, Field(max_length=200_000), AfterValidator(_geometry)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]


# --- placement, shared by every registry ----------------------------------------------------------------


class Placed(Schema):
    unit_id: Id = Field(
        title="责任网格/单位",
        description="负责该要素的网格、警务区或单位；导入时填机构编码或全称",
    )
    address_id: Id | None = Field(None, title="标准地址编号", description="标准地址库中的编号")
    lon: Lon | None = Field(None, title="经度", description="WGS-84")
    lat: Lat | None = Field(None, title="纬度", description="WGS-84")


def partial(name: str, create: type[Schema], exclude: tuple[str, ...] = ()) -> type[Schema]:
    """The Update schema of `create`: every field optional, identifying fields left out."""
    fields: dict[str, Any] = {}
    for field_name, info in create.model_fields.items():
        if field_name in exclude:
            continue
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated.__class_getitem__((annotation, *info.metadata))  # type: ignore[attr-defined]
        fields[field_name] = (
            annotation | None,
            FieldInfo(default=None, title=info.title, description=info.description),
        )
    model: type[Schema] = create_model(name, __base__=Schema, **fields)
    return model


class PlacedRead(ReadSchema):
    unit_id: int
    unit_name: str | None = Field(
        None, validation_alias=AliasChoices(AliasPath("unit", "name"), "unit_name")
    )
    address_id: int | None
    lon: float | None
    lat: float | None
    tags: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime


# --- drivers ----------------------------------------------------------------------------------------


class DriverCreate(Placed):
    id_number: IdNumberText = Field(
        title="身份证号",
        description="18 位公民身份号码，校验出生日期与校验位；性别和出生日期由此得出",
    )
    name: str = Field(min_length=1, max_length=50, title="姓名")
    licence_no: str | None = Field(None, max_length=32, title="驾驶证档案编号")
    licence_class: LicenceClass = Field(title="准驾车型", description="如 C1、B2、A2D")
    status: DriverStatus = Field(DriverStatus.normal, title="驾驶证状态")
    points: int = Field(0, ge=0, le=12, title="累积记分", description="本记分周期 0–12 分")
    first_issued_on: dt.date | None = Field(None, title="初次领证日期")
    audit_due_on: dt.date | None = Field(None, title="审验有效期止")
    expires_on: dt.date | None = Field(None, title="驾驶证有效期止")
    phone: Phone | None = Field(None, title="联系电话")
    company_id: Id | None = Field(
        None,
        title="所属单位（运输企业）",
        description="职业驾驶人所属企业；导入时填统一社会信用代码",
    )
    tags: list[DriverTag] = Field(default_factory=list, max_length=20, title="标签")


DriverUpdate = partial("DriverUpdate", DriverCreate, exclude=("id_number", "phone"))


class DriverRead(PlacedRead):
    id: int
    id_number_masked: str = Field(
        description="脱敏身份证号；完整号码经“查看身份信息”并填写事由获取"
    )
    name: str
    sex: Sex
    licence_no: str | None
    licence_class: str
    status: DriverStatus
    points: int
    first_issued_on: dt.date | None
    audit_due_on: dt.date | None
    expires_on: dt.date | None
    company_id: int | None


class PersonIdentity(ReadSchema):
    """A driver's personal data: returned only with a reason, and audited."""

    id: int
    id_number: str
    name: str
    sex: Sex
    birth_date: dt.date
    phone: str | None
    licence_no: str | None


# --- companies ---------------------------------------------------------------------------------------


class CompanyCreate(Placed):
    credit_code: CreditCodeText = Field(
        title="统一社会信用代码",
        description="18 位，校验登记管理部门、机构类别、组织机构代码校验位和末位校验位",
    )
    name: str = Field(min_length=1, max_length=200, title="单位名称")
    kind: CompanyKind = Field(title="单位类别")
    legal_representative: str | None = Field(None, max_length=50, title="法定代表人")
    phone: Phone | None = Field(None, title="联系电话")
    risk_tier: RiskTier = Field(RiskTier.general, title="风险等级", description="重点/关注/一般")
    address_text: str | None = Field(None, max_length=200, title="登记地址")
    tags: list[PlaceTag] = Field(default_factory=list, max_length=20, title="标签")


CompanyUpdate = partial("CompanyUpdate", CompanyCreate, exclude=("credit_code",))


class CompanyRead(PlacedRead):
    id: int
    credit_code: str
    name: str
    kind: CompanyKind
    legal_representative: str | None
    phone: str | None
    risk_tier: RiskTier
    address_text: str | None
    is_transport: bool


# --- vehicles ----------------------------------------------------------------------------------------


class VehicleCreate(Placed):
    plate_no: PlateText = Field(
        title="号牌号码",
        description="按 GA 36 校验，如 冀F12345、冀FD12345；全角、小写和分隔点自动规范",
    )
    plate_class: PlateClass = Field(
        title="号牌种类", description="GA/T 16.7 代码，须与号牌号码相符"
    )
    plate_color: PlateColor | None = Field(
        None, title="号牌颜色", description="不填时按号牌种类推定"
    )
    vehicle_class: VehicleClass = Field(
        title="车辆类型", description="GA/T 16.4 代码，如 K33 小型轿车"
    )
    brand: str | None = Field(None, max_length=50, title="品牌")
    model: str | None = Field(None, max_length=50, title="型号")
    body_color: str | None = Field(None, max_length=20, title="车身颜色")
    vin: VinText | None = Field(None, title="车辆识别代号", description="17 位 VIN，不含 I、O、Q")
    owner_name: str = Field(min_length=1, max_length=200, title="所有人")
    owner_id_number: OwnerIdText = Field(
        title="所有人证件号码", description="个人填身份证号，单位填统一社会信用代码"
    )
    use: VehicleUse = Field(VehicleUse.private, title="使用性质")
    registered_on: dt.date | None = Field(None, title="初次登记日期")
    inspection_due_on: dt.date | None = Field(None, title="检验有效期止")
    scrapping_due_on: dt.date | None = Field(None, title="强制报废期止")
    status: VehicleStatus = Field(VehicleStatus.normal, title="机动车状态")
    company_id: Id | None = Field(
        None, title="所属企业", description="运输企业车辆填写；导入时填统一社会信用代码"
    )
    key_vehicle: bool = Field(
        False, title="两客一危", description="公路客运、旅游客运、危化品运输车辆自动标记"
    )
    muck_truck: bool = Field(False, title="渣土车")
    tags: list[VehicleTag] = Field(default_factory=list, max_length=20, title="标签")


VehicleUpdate = partial(
    "VehicleUpdate",
    VehicleCreate,
    exclude=("plate_no", "plate_class", "owner_name", "owner_id_number"),
)


class VehicleRead(PlacedRead):
    id: int
    plate_no: str
    plate_class: str
    plate_color: PlateColor
    vehicle_class: str
    brand: str | None
    model: str | None
    body_color: str | None
    vin: str | None
    owner_name_masked: str = Field(description="个人所有人只显示姓氏；完整信息须填写事由查看")
    owner_id_masked: str
    owner_is_person: bool
    use: VehicleUse
    registered_on: dt.date | None
    inspection_due_on: dt.date | None
    scrapping_due_on: dt.date | None
    status: VehicleStatus
    company_id: int | None
    company_name: str | None = Field(
        None, validation_alias=AliasChoices(AliasPath("company", "name"), "company_name")
    )
    key_vehicle: bool
    muck_truck: bool


class VehicleOwner(ReadSchema):
    """A vehicle's owner: returned only with a reason, and audited."""

    id: int
    plate_no: str
    plate_class: str
    owner_name: str
    owner_id_number: str
    owner_is_person: bool
    driver_id: int | None = Field(None, description="所有人在驾驶人台账中的编号（如有）")


# --- houses ------------------------------------------------------------------------------------------


class HouseCreate(Placed):
    name: str = Field(
        min_length=1, max_length=200, title="房屋名称", description="小区、楼栋或院落名称"
    )
    kind: HouseKind = Field(title="房屋用途")
    address_text: str | None = Field(None, max_length=200, title="地址")
    floors: int | None = Field(None, ge=0, le=300, title="层数")
    households: int | None = Field(None, ge=0, le=100_000, title="户数")
    residents: int | None = Field(None, ge=0, le=1_000_000, title="居住人数")
    parking_spaces: int | None = Field(None, ge=0, le=1_000_000, title="停车位")
    tags: list[PlaceTag] = Field(default_factory=list, max_length=20, title="标签")


HouseUpdate = partial("HouseUpdate", HouseCreate)


class HouseRead(PlacedRead):
    id: int
    name: str
    kind: HouseKind
    address_text: str | None
    floors: int | None
    households: int | None
    residents: int | None
    parking_spaces: int | None


# --- roads -------------------------------------------------------------------------------------------


class RoadCreate(Placed):
    name: str = Field(min_length=1, max_length=100, title="道路名称")
    code: str | None = Field(None, max_length=32, title="道路编号", description="如 G107、S232")
    grade: RoadGrade = Field(title="道路等级")
    road_order: RoadOrder = Field(RoadOrder.stable, title="秩序等级", description="平稳/混乱/复杂")
    length_km: float | None = Field(None, ge=0, le=10_000, title="长度（千米）")
    lanes: int | None = Field(None, ge=1, le=20, title="车道数")
    tags: list[PlaceTag] = Field(default_factory=list, max_length=20, title="标签")


RoadUpdate = partial("RoadUpdate", RoadCreate)


class RoadRead(PlacedRead):
    id: int
    name: str
    code: str | None
    grade: RoadGrade
    road_order: RoadOrder
    length_km: float | None
    lanes: int | None


def _geometry_text(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, list) else value


class RoadSegmentCreate(Placed):
    road_id: Id = Field(title="所属道路", description="导入时填道路名称（本人范围内唯一）或编号")
    name: str = Field(min_length=1, max_length=100, title="路段名称")
    from_desc: str | None = Field(None, max_length=100, title="起点")
    to_desc: str | None = Field(None, max_length=100, title="止点")
    length_m: float | None = Field(None, ge=0, le=1_000_000, title="长度（米）")
    hazard: bool = Field(False, title="隐患点")
    accident_prone: bool = Field(False, title="事故多发路段")
    geometry: Geometry | None = Field(
        None, title="线形", description="WGS-84 坐标 JSON，如 [[115.46,38.87],[115.47,38.87]]"
    )
    tags: list[PlaceTag] = Field(default_factory=list, max_length=20, title="标签")


RoadSegmentUpdate = partial("RoadSegmentUpdate", RoadSegmentCreate)


class RoadSegmentRead(PlacedRead):
    id: int
    road_id: int
    road_name: str | None = Field(
        None, validation_alias=AliasChoices(AliasPath("road", "name"), "road_name")
    )
    name: str
    from_desc: str | None
    to_desc: str | None
    length_m: float | None
    hazard: bool
    accident_prone: bool
    geometry: Annotated[str | None, BeforeValidator(_geometry_text)] = Field(
        None, description="WGS-84 坐标 JSON 文本"
    )


# --- facilities --------------------------------------------------------------------------------------


class FacilityCreate(Placed):
    name: str = Field(min_length=1, max_length=100, title="设施名称")
    kind: FacilityKind = Field(title="设施类别")
    status: FacilityStatus = Field(FacilityStatus.normal, title="设施状态")
    road_segment_id: Id | None = Field(None, title="所在路段", description="路段编号")
    installed_on: dt.date | None = Field(None, title="设置日期")
    tags: list[PlaceTag] = Field(default_factory=list, max_length=20, title="标签")


FacilityUpdate = partial("FacilityUpdate", FacilityCreate)


class FacilityRead(PlacedRead):
    id: int
    name: str
    kind: FacilityKind
    status: FacilityStatus
    road_segment_id: int | None
    road_segment_name: str | None = Field(
        None, validation_alias=AliasChoices(AliasPath("road_segment", "name"), "road_segment_name")
    )
    installed_on: dt.date | None
