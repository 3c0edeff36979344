"""The one map in a real browser: vector roads drawn from our own data, layers, search, a route."""

from __future__ import annotations

from tests.e2e.conftest import Watched


def _layer_note(watched: Watched, key: str) -> str:
    row = watched.page.locator(f"input[data-layer='{key}']").locator("xpath=..")
    return row.locator(".jg-layer-note").inner_text()


def test_the_one_map_draws_roads_and_areas_without_tiles(watched: Watched) -> None:
    watched.login("dispatcher")
    page = watched.page
    page.goto("/map")
    assert page.locator(".page-title").inner_text() == "一张图"
    page.wait_for_function(
        "document.querySelector(\"input[data-layer='roads']\").parentElement"
        ".querySelector('.jg-layer-note').textContent.endsWith('个')"
    )
    assert int(_layer_note(watched, "roads").removesuffix(" 个")) > 0
    # Vector roads are canvas paths; no tile images were requested from anywhere.
    assert page.locator("#jg-onemap canvas").count() >= 1
    assert page.locator("#jg-onemap img.leaflet-tile").count() == 0
    page.locator("input[data-layer='area-grid']").check()
    page.wait_for_function(
        "document.querySelector(\"input[data-layer='area-grid']\").parentElement"
        ".querySelector('.jg-layer-note').textContent.endsWith('个')"
    )
    watched.shot("map")


def test_a_route_is_measured_on_the_road_network(watched: Watched) -> None:
    watched.login("dispatcher")
    page = watched.page
    page.goto("/map")
    page.wait_for_function(
        "document.querySelector(\"input[data-layer='roads']\").parentElement"
        ".querySelector('.jg-layer-note').textContent.endsWith('个')"
    )
    page.locator("#jg-route-start").click()
    box = page.locator("#jg-onemap").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.35)
    page.wait_for_function(
        "document.getElementById('jg-route-result').textContent === '请点选终点'"
    )
    # Apart in time, as a person clicks: two quick clicks are a double-click (zoom) to Leaflet.
    page.wait_for_timeout(600)
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.65)
    result = page.locator("#jg-route-result")
    page.wait_for_function(
        "!['测算中…', '请点选终点'].includes(document.getElementById('jg-route-result').textContent)"
    )
    text = result.inner_text()
    assert "公里" in text and "直线" in text, text
    watched.shot("map-route")
