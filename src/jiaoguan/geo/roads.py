"""Road classes (OSM `highway=*` values), their default speeds and who may use them."""

from __future__ import annotations

# Default speed limits, km/h, for roads without a usable maxspeed (Chinese urban practice:
# 道路交通安全法实施条例 §45 gives 30/50 km/h for unmarked urban roads; expressways 100).
DEFAULT_SPEED_KMH: dict[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 40.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 40.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "living_street": 15.0,
    "service": 20.0,
    "road": 30.0,
    "pedestrian": 5.0,
    "footway": 5.0,
    "path": 5.0,
    "steps": 5.0,
    "track": 15.0,
}

DRIVABLE: frozenset[str] = frozenset(
    c for c in DEFAULT_SPEED_KMH if c not in {"pedestrian", "footway", "path", "steps"}
)
# Walking uses every class but the grade-separated roads pedestrians may not enter.
WALKABLE: frozenset[str] = frozenset(
    c for c in DEFAULT_SPEED_KMH if c not in {"motorway", "motorway_link", "trunk", "trunk_link"}
)
ROAD_CLASSES: tuple[str, ...] = tuple(DEFAULT_SPEED_KMH)
WALK_SPEED_KMH = 5.0

ROAD_CLASS_LABELS: dict[str, str] = {
    "motorway": "高速公路",
    "motorway_link": "高速匝道",
    "trunk": "快速路/国道",
    "trunk_link": "快速路匝道",
    "primary": "主干路",
    "primary_link": "主干路连接线",
    "secondary": "次干路",
    "secondary_link": "次干路连接线",
    "tertiary": "支路",
    "tertiary_link": "支路连接线",
    "unclassified": "其他道路",
    "residential": "街巷",
    "living_street": "生活街道",
    "service": "内部道路",
    "road": "道路",
    "pedestrian": "步行街",
    "footway": "人行道",
    "path": "小路",
    "steps": "台阶",
    "track": "机耕路",
}

_PEAK_HOURS = frozenset({7, 8, 17, 18})
_SHOULDER_HOURS = frozenset({9, 16, 19})
_CONGESTIBLE = frozenset(
    {"trunk", "primary", "secondary", "tertiary", "trunk_link", "primary_link", "secondary_link"}
)


def default_speed_factor(road_class: str, hour: int) -> float:
    """Built-in profile used where the speed_profile table has no row: urban arterials slow to 60%
    of the limit in the rush hours, 80% on their shoulders; other roads keep 90% all day."""
    if road_class in _CONGESTIBLE:
        if hour in _PEAK_HOURS:
            return 0.6
        if hour in _SHOULDER_HOURS:
            return 0.8
    return 0.9
