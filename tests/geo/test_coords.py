"""WGS-84 ⇄ GCJ-02 and distances."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiaoguan.geo.coords import (
    LocalProjection,
    convert,
    gcj02_to_wgs84,
    haversine_m,
    outside_china,
    wgs84_to_gcj02,
)

china_lon = st.floats(min_value=73.0, max_value=135.0, allow_nan=False)
china_lat = st.floats(min_value=18.0, max_value=53.0, allow_nan=False)


@settings(max_examples=400, deadline=None)
@given(china_lon, china_lat)
def test_gcj02_round_trip_within_1e6_degrees(lon: float, lat: float) -> None:
    glon, glat = wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = gcj02_to_wgs84(glon, glat)
    assert abs(back_lon - lon) < 1e-6
    assert abs(back_lat - lat) < 1e-6


@settings(max_examples=200, deadline=None)
@given(china_lon, china_lat)
def test_gcj02_offset_is_a_few_hundred_metres(lon: float, lat: float) -> None:
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert 1 < haversine_m(lon, lat, glon, glat) < 1200


def test_known_point_in_beijing() -> None:
    # Tiananmen: the GCJ-02 offset there is about +0.0062° lon, +0.0014° lat (≈ 560 m).
    glon, glat = wgs84_to_gcj02(116.391349, 39.907375)
    assert glon - 116.391349 == pytest.approx(0.00624, abs=3e-4)
    assert glat - 39.907375 == pytest.approx(0.00140, abs=3e-4)


@pytest.mark.parametrize("point", [(2.35, 48.85), (-74.0, 40.7), (151.2, -33.9)])
def test_outside_china_passes_through(point: tuple[float, float]) -> None:
    assert outside_china(*point)
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point


def test_convert_same_crs_is_identity() -> None:
    assert convert(115.46, 38.87, "gcj02", "gcj02") == (115.46, 38.87)
    assert convert(115.46, 38.87, "wgs84", "gcj02") == wgs84_to_gcj02(115.46, 38.87)


def test_haversine_one_degree_of_latitude() -> None:
    assert haversine_m(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-4)
    assert haversine_m(115, 38, 115, 38) == 0


def test_local_projection_round_trip_and_scale() -> None:
    proj = LocalProjection(115.46, 38.87)
    xy = proj.forward(np.array([115.47]), np.array([38.88]))
    expected_x = haversine_m(115.46, 38.87, 115.47, 38.87)
    assert xy[0, 0] == pytest.approx(expected_x, rel=1e-3)
    back = proj.inverse(xy[:, 0], xy[:, 1])
    assert back[0, 0] == pytest.approx(115.47) and back[0, 1] == pytest.approx(38.88)
    assert math.isclose(proj.point(115.46, 38.87)[0], 0.0)
