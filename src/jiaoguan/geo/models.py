"""Road network (nodes, edges, time-of-day speed profiles) and areas, all stored in WGS-84 (lon, lat)."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jiaoguan.platform.db import Base, TimestampMixin


class RoadNode(Base):
    """A graph vertex: an intersection, a dead end or a way's end."""

    __tablename__ = "road_node"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    osm_id: Mapped[int | None] = mapped_column(BigInteger, index=True)


class RoadEdge(Base):
    """A road segment between two nodes. Drivable from `from_node_id` to `to_node_id`, and back too
    unless `oneway`; walking ignores `oneway`. `geometry` is a list of [lon, lat] from → to."""

    __tablename__ = "road_edge"
    # Ids never reused (SQLite AUTOINCREMENT; PostgreSQL sequences never are): the network's version
    # includes the highest edge id, which must grow when the network is replaced.
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(primary_key=True)
    from_node_id: Mapped[int] = mapped_column(ForeignKey("road_node.id"), index=True)
    to_node_id: Mapped[int] = mapped_column(ForeignKey("road_node.id"), index=True)
    road_class: Mapped[str] = mapped_column(String(24))
    lanes: Mapped[int | None] = mapped_column(Integer)
    speed_limit_kmh: Mapped[float] = mapped_column(Float)
    oneway: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str | None] = mapped_column(String(200))
    length_m: Mapped[float] = mapped_column(Float)
    geometry: Mapped[list[Any]] = mapped_column(JSON)
    osm_way_id: Mapped[int | None] = mapped_column(BigInteger)


class SpeedProfile(Base):
    """Time-of-day speed factor per road class: travel speed = speed limit × factor."""

    __tablename__ = "speed_profile"
    __table_args__ = (UniqueConstraint("road_class", "hour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    road_class: Mapped[str] = mapped_column(String(24))
    hour: Mapped[int] = mapped_column(Integer)
    factor: Mapped[float] = mapped_column(Float)


class AreaKind(enum.StrEnum):
    brigade_area = "brigade_area"
    police_district = "police_district"
    grid = "grid"
    block = "block"
    district = "district"
    water = "water"  # rivers and lakes: drawn on the map, crossed only on bridges


AREA_KIND_LABELS = {
    AreaKind.brigade_area: "大队辖区",
    AreaKind.police_district: "警务区",
    AreaKind.grid: "网格",
    AreaKind.block: "块",
    AreaKind.district: "行政区",
    AreaKind.water: "水系",
}


class Area(TimestampMixin, Base):
    """A polygon (GeoJSON Polygon or MultiPolygon); brigade areas, police districts and grids point
    at the org unit responsible for them."""

    __tablename__ = "area"
    __table_args__ = (UniqueConstraint("kind", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AreaKind] = mapped_column(Enum(AreaKind, native_enum=False, length=32))
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(64))
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    org_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_unit.id", ondelete="SET NULL"), index=True
    )
