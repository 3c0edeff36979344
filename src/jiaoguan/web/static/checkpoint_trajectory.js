// Trajectory of a plate: the checkpoints it passed, numbered in time order and joined by a line.
// Roads come from our own network layer unless an intranet tile server is configured.
(function () {
  "use strict";
  const box = document.getElementById("jg-trajectory");
  if (!box || !window.L) return;
  const points = JSON.parse(box.dataset.points || "[]");
  const tiles = box.dataset.tiles;
  const gcj = Boolean(tiles) && box.dataset.crs === "gcj02";
  const coords = (window.jiaoguan || {}).coords;
  function show(lon, lat) {
    if (gcj && coords) { const p = coords.toGcj02(lon, lat); return L.latLng(p[1], p[0]); }
    return L.latLng(lat, lon);
  }
  const map = L.map(box, { preferCanvas: true });
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, attribution: "PGIS" }).addTo(map);
  } else {
    box.classList.add("jg-onemap-plain");
  }
  const line = points.map(function (p) { return show(p.lon, p.lat); });
  if (!line.length) { map.setView(show(115.47, 38.87), 12); return; }
  L.polyline(line, { color: "#d63939", weight: 3, opacity: 0.8 }).addTo(map);
  points.forEach(function (p, i) {
    const marker = L.circleMarker(line[i], { radius: 7, color: "#d63939", weight: 2, fillColor: "#fff", fillOpacity: 1 });
    marker.bindTooltip(String(i + 1), { permanent: true, direction: "center", className: "jg-trajectory-label" });
    const text = document.createElement("span");
    text.textContent = (i + 1) + ". " + p.name + " " + p.at;
    marker.bindPopup(text);
    marker.addTo(map);
  });
  map.fitBounds(L.latLngBounds(line).pad(0.2));
  if (!tiles) {
    // Context: the road network in view, drawn under the trajectory.
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
    fetch("/api/v1/geo/network?bbox=" + bbox, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        L.geoJSON(data, { coordsToLatLng: function (c) { return show(c[0], c[1]); }, style: { color: "#94a3b8", weight: 2, opacity: 0.7 } }).addTo(map).bringToBack();
      });
  }
})();
