"""A self-made, deterministic set of standard addresses and landmarks in 河北省保定市.

Used by the tests and the address benchmark while the synthetic city (sim/) does not exist yet,
and as the demo's address registry. Road names are real-sounding 保定 streets; a few names occur
in two counties (建设路, 中山路, 兴华路) and one road (朝阳大街) runs through two, as in a real city.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from jiaoguan.geo.address.divisions import source_rows
from jiaoguan.geo.address.models import DivisionLevel

# county code → roads in it
ROADS: dict[str, tuple[str, ...]] = {
    "130602": (
        "朝阳北大街",
        "朝阳南大街",
        "东风西路",
        "七一西路",
        "裕华西路",
        "五四西路",
        "复兴西路",
        "天威西路",
        "乐凯北大街",
        "乐凯南大街",
        "向阳北大街",
        "向阳南大街",
        "阳光北大街",
        "西二环路",
        "风帆路",
        "银杏路",
        "秀兰路",
        "朝阳大街",
    ),
    "130606": (
        "东风中路",
        "东风东路",
        "七一中路",
        "七一东路",
        "裕华东路",
        "五四中路",
        "五四东路",
        "长城北大街",
        "长城南大街",
        "东三环路",
        "莲池南大街",
        "建华南大街",
        "天威中路",
        "北二环路",
        "百花东路",
        "恒祥北大街",
        "朝阳大街",
    ),
    "130607": ("满城大街", "中山路", "抱阳路"),
    "130608": ("清苑大街", "建设路", "东顺路"),
    "130609": ("徐水大街", "建设路", "振兴路"),
    "130681": ("范阳路", "冠云路", "鼓楼大街", "华阳路"),
    "130682": ("中山路", "兴华路", "博物馆街"),
    "130684": ("兴华路", "迎宾路"),
    "130629": ("奥威路", "容城大街"),
}

# Roads that run through two counties: the second county continues the numbering.
SHARED_ROADS = frozenset({"朝阳大街"})

_ESTATE_HEADS = (
    "和平",
    "光明",
    "东湖",
    "阳光",
    "万和",
    "金台",
    "康泰",
    "锦绣",
    "富力",
    "恒大",
    "绿城",
    "御景",
    "翡翠",
    "盛世",
    "华府",
    "水岸",
    "丽景",
    "紫园",
    "书香",
    "铁路",
    "电力",
    "邮电",
    "电谷",
    "英利",
    "天鹅",
    "碧水",
    "香榭",
    "朗悦",
    "云锦",
    "清风",
    "瑞祥",
    "嘉和",
    "泰和",
    "博雅",
    "世纪",
    "春晖",
)
_ESTATE_TAILS = ("小区", "家园", "花园", "嘉苑", "公寓", "名邸", "新村", "华庭")

LANDMARKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("万博广场", ("万博",)),
    ("保定站", ("保定火车站", "火车站")),
    ("保定东站", ("高铁站",)),
    ("直隶总督署", ("总督署",)),
    ("古莲花池", ("莲花池",)),
    ("河北大学", ("河大",)),
    ("保定市第一中心医院", ("第一中心医院", "一中心")),
    ("保定市第二中心医院", ("第二中心医院", "二中心")),
    ("军校广场", ()),
    ("保定动物园", ("动物园",)),
    ("保定植物园", ("植物园",)),
    ("保定市体育中心", ("体育中心",)),
    ("保定市图书馆", ("市图书馆",)),
    ("北国商城", ("北国",)),
    ("茂业百货", ("茂业",)),
    ("保定万达广场", ("万达广场", "万达")),
    ("东湖公园", ()),
    ("竞秀公园", ()),
    ("人民公园", ()),
    ("河北农业大学", ("农大",)),
    ("华北电力大学保定校区", ("华电",)),
    ("保定学院", ()),
    ("保定市政府", ("市政府",)),
    ("保定汽车客运中心站", ("客运中心",)),
    ("裕华商场", ()),
    ("大慈阁", ()),
    ("保定电视塔", ("电视塔",)),
    ("满城汉墓", ()),
    ("清苑人民公园", ()),
    ("涿州影视城", ("影视城",)),
    ("定州开元寺塔", ("开元寺塔", "料敌塔")),
    ("高碑店白沟箱包城", ("箱包城",)),
    ("容城县政府", ()),
    ("徐水大午庄园", ("大午庄园",)),
)


@dataclass
class SampleAddress:
    """A standard-address record: the shape the matcher and the registry import both take."""

    id: int
    code: str
    county_code: str
    road: str
    house_number: str | None
    full_text: str
    estate: str | None = None
    building: str | None = None
    unit_no: str | None = None
    room: str | None = None
    lon: float | None = None
    lat: float | None = None


@dataclass
class SampleLandmark:
    id: int
    name: str
    address_id: int | None
    county_code: str | None
    aliases: list[str] = field(default_factory=list)
    lon: float | None = None
    lat: float | None = None


@dataclass
class SampleCity:
    addresses: list[SampleAddress]
    landmarks: list[SampleLandmark]


def division_prefix(county_code: str) -> str:
    """河北省保定市竞秀区: the division part of a full address."""
    rows = {r.code: r for r in source_rows()}
    names = []
    code: str | None = county_code
    while code is not None and code in rows:
        names.append(rows[code].name)
        code = rows[code].parent_code
    names.reverse()
    return "".join(n for i, n in enumerate(names) if i == 0 or n != names[i - 1])


def compose_full_text(
    prefix: str,
    road: str,
    house_number: str | None,
    estate: str | None = None,
    building: str | None = None,
    unit_no: str | None = None,
    room: str | None = None,
) -> str:
    """The standard written form: 区划 + 街路巷 + 门牌 + 小区 + 楼栋 + 单元 + 房号."""
    room_text = f"{room}室" if room and room[-1].isdigit() else (room or "")
    parts = (prefix, road, house_number, estate, building, unit_no, room_text)
    return "".join(p for p in parts if p)


def _county_centres() -> dict[str, tuple[float, float]]:
    centres = {}
    for row in source_rows():
        if row.level is DivisionLevel.county and row.lon is not None and row.lat is not None:
            centres[row.code] = (row.lon, row.lat)
    return centres


def sample_city(
    seed: int = 20261124,
    doorplates_per_road: tuple[int, int] = (12, 48),
    estate_share: float = 0.12,
) -> SampleCity:
    """About three thousand addresses in 保定 and 34 landmarks, the same for the same seed."""
    rng = random.Random(seed)
    centres = _county_centres()
    addresses: list[SampleAddress] = []
    estates = [h + t for h in _ESTATE_HEADS for t in _ESTATE_TAILS]
    rng.shuffle(estates)
    shared_next: dict[str, int] = {}
    prefixes = {county: division_prefix(county) for county in ROADS}

    def add(
        county: str, road: str, number: str, lon: float, lat: float, **more: str | None
    ) -> None:
        record_id = len(addresses) + 1
        addresses.append(
            SampleAddress(
                id=record_id,
                code=f"BD{record_id:08d}",
                county_code=county,
                road=road,
                house_number=number,
                full_text=compose_full_text(prefixes[county], road, number, **more),
                lon=round(lon, 6),
                lat=round(lat, 6),
                **more,
            )
        )

    for county, roads in ROADS.items():
        centre_lon, centre_lat = centres.get(county, (115.46, 38.87))
        for road in roads:
            angle = rng.uniform(0, math.pi)
            start_lon = centre_lon + rng.uniform(-0.03, 0.03)
            start_lat = centre_lat + rng.uniform(-0.03, 0.03)
            first = shared_next.get(road, 1)
            count = rng.randint(*doorplates_per_road)
            for n in range(first, first + count):
                offset = (n - first) * 0.0008
                lon = start_lon + offset * math.cos(angle)
                lat = start_lat + offset * math.sin(angle)
                add(county, road, f"{n}号", lon, lat)
                if estates and rng.random() < estate_share:
                    _add_estate(rng, add, county, road, f"{n}号", estates.pop(), lon, lat)
            if road in SHARED_ROADS:
                shared_next[road] = first + count
    landmarks = _landmarks(rng, addresses)
    return SampleCity(addresses, landmarks)


def _add_estate(
    rng: random.Random,
    add: Callable[..., None],
    county: str,
    road: str,
    number: str,
    estate: str,
    lon: float,
    lat: float,
) -> None:
    for b in range(1, rng.randint(2, 7) + 1):
        b_lon, b_lat = lon + rng.uniform(-5e-4, 5e-4), lat + rng.uniform(-5e-4, 5e-4)
        for u in range(1, rng.randint(1, 3) + 1):
            add(
                county,
                road,
                number,
                b_lon,
                b_lat,
                estate=estate,
                building=f"{b}栋",
                unit_no=f"{u}单元",
            )
            if rng.random() < 0.25:
                for floor in range(1, rng.randint(2, 6) + 1):
                    for door in (1, 2):
                        room = f"{floor}0{door}"
                        add(
                            county,
                            road,
                            number,
                            b_lon,
                            b_lat,
                            estate=estate,
                            building=f"{b}栋",
                            unit_no=f"{u}单元",
                            room=room,
                        )


def _landmarks(rng: random.Random, addresses: list[SampleAddress]) -> list[SampleLandmark]:
    doorplates = [a for a in addresses if not a.building]
    by_county: dict[str, list[SampleAddress]] = {}
    for a in doorplates:
        by_county.setdefault(a.county_code, []).append(a)
    county_hint = {
        "满城": "130607",
        "清苑": "130608",
        "涿州": "130681",
        "定州": "130682",
        "高碑店": "130684",
        "容城": "130629",
        "徐水": "130609",
    }
    result = []
    for index, (name, aliases) in enumerate(LANDMARKS, 1):
        county = next((c for hint, c in county_hint.items() if hint in name), None)
        if county is None:
            county = rng.choice(("130602", "130606"))
        place = rng.choice(by_county[county])
        result.append(
            SampleLandmark(
                id=index,
                name=name,
                address_id=place.id,
                county_code=county,
                aliases=list(aliases),
                lon=place.lon,
                lat=place.lat,
            )
        )
    return result
