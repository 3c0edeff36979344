// The one map: layers registered by the modules (GeoJSON, loaded once or for the visible box),
// address search and a road-route measure. No internet tiles: roads are drawn from our own data
// unless an intranet tile server is configured.
(function () {
  "use strict";
  const box = document.getElementById("jg-onemap");
  if (!box || !window.L) return;
  const api = window.jiaoguan.fetch;
  const coords = window.jiaoguan.coords;
  const layers = JSON.parse(box.dataset.layers || "[]");
  const tiles = box.dataset.tiles;
  const gcj = Boolean(tiles) && box.dataset.crs === "gcj02";
  // Data are WGS-84; a GCJ-02 tile server needs them shifted for display and clicks shifted back.
  const show = gcj ? function (lon, lat) { const p = coords.toGcj02(lon, lat); return L.latLng(p[1], p[0]); }
                   : function (lon, lat) { return L.latLng(lat, lon); };
  const data = gcj ? function (ll) { return coords.toWgs84(ll.lng, ll.lat); }
                   : function (ll) { return [ll.lng, ll.lat]; };

  const map = L.map(box, { preferCanvas: true, zoomControl: true }).setView(show(115.47, 38.87), 13);
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, attribution: "PGIS" }).addTo(map);
  } else {
    box.classList.add("jg-onemap-plain");
  }
  const roadWeights = { motorway: 5, trunk: 4.5, primary: 4, secondary: 3, tertiary: 2.5 };

  function popup(layer, props) {
    // Keys starting with "_" are styling hints for the map, not data to show.
    const rows = Object.keys(props || {}).filter(function (k) { return k[0] !== "_"; }).slice(0, 8).map(function (k) {
      const v = props[k];
      return v === null || v === undefined || typeof v === "object" ? "" :
        "<tr><td class='text-secondary pe-2'>" + escape(k) + "</td><td>" + escape(String(v)) + "</td></tr>";
    }).join("");
    const title = props && (props[layer.label_property] || props.name || props.title || "");
    return "<strong>" + escape(String(title)) + "</strong><table class='small mt-1'>" + rows + "</table>";
  }

  function escape(text) {
    return text.replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  }

  function geoLayer(layer) {
    return L.geoJSON(null, {
      coordsToLatLng: function (c) { return show(c[0], c[1]); },
      style: function (feature) {
        if (layer.style.heat) {
          // Heat grids: the fuller the cell (level 0..1 from the server), the stronger the fill.
          const level = (feature.properties || {}).level || 0;
          return { color: layer.style.color, weight: 0.5, fillColor: layer.style.color, fillOpacity: 0.08 + 0.72 * level };
        }
        if (layer.key !== "roads") return layer.style;
        const cls = (feature.properties || {}).road_class;
        return { color: layer.style.color, weight: roadWeights[cls] || 1.5, opacity: 0.85 };
      },
      pointToLayer: function (feature, latlng) {
        // A feature may carry its own colour and opacity (officers by status, stale fixes faded).
        const p = feature.properties || {};
        return L.circleMarker(latlng, { radius: p._radius || 5, color: p._color || layer.style.color || "#2563eb", weight: 1, fillOpacity: p._opacity || 0.7 });
      },
      onEachFeature: function (feature, leaflet) { leaflet.bindPopup(function () { return popup(layer, feature.properties); }); },
    });
  }

  const state = {};
  const panel = document.getElementById("jg-map-layers");
  let lastGroup = null;
  layers.forEach(function (layer) {
    const entry = { layer: layer, group: geoLayer(layer), loadedOnce: false, timer: null, note: null };
    state[layer.key] = entry;
    if (layer.group !== lastGroup) {
      const heading = document.createElement("div");
      heading.className = "subheader mt-2 mb-1";
      heading.textContent = layer.group;
      panel.append(heading);
      lastGroup = layer.group;
    }
    const label = document.createElement("label");
    label.className = "form-check mb-1";
    label.innerHTML = "<input class='form-check-input' type='checkbox'><span class='form-check-label'></span>" +
      "<span class='small text-secondary ms-1 jg-layer-note'></span>";
    const box = label.querySelector("input");
    box.checked = layer.visible;
    box.dataset.layer = layer.key;
    label.querySelector(".form-check-label").textContent = layer.title;
    entry.note = label.querySelector(".jg-layer-note");
    box.addEventListener("change", function () { toggle(entry, box.checked); });
    panel.append(label);
    if (layer.visible) toggle(entry, true);
  });

  function bboxParam() {
    const b = map.getBounds();
    const sw = data(b.getSouthWest()), ne = data(b.getNorthEast());
    return [sw[0], sw[1], ne[0], ne[1]].map(function (v) { return v.toFixed(6); }).join(",");
  }

  function load(entry) {
    const layer = entry.layer;
    if (map.getZoom() < layer.min_zoom) {
      entry.group.clearLayers();
      entry.note.textContent = "放大到 " + layer.min_zoom + " 级显示";
      return;
    }
    if (layer.loading === "once" && entry.loadedOnce && !layer.refresh_seconds) return;
    const url = layer.loading === "bbox" ? layer.url + (layer.url.includes("?") ? "&" : "?") + "bbox=" + bboxParam() : layer.url;
    entry.note.textContent = "加载中…";
    api(url).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (collection) {
      entry.group.clearLayers();
      entry.group.addData(collection);
      entry.loadedOnce = true;
      entry.note.textContent = (collection.features || []).length + " 个";
    }).catch(function (error) { entry.note.textContent = "加载失败（" + error.message + "）"; });
  }

  function toggle(entry, on) {
    if (on) {
      entry.group.addTo(map);
      load(entry);
      if (entry.layer.refresh_seconds) entry.timer = setInterval(function () { load(entry); }, entry.layer.refresh_seconds * 1000);
    } else {
      map.removeLayer(entry.group);
      clearInterval(entry.timer);
      entry.note.textContent = "";
    }
  }

  let moveTimer = null;
  map.on("moveend", function () {
    clearTimeout(moveTimer);
    moveTimer = setTimeout(function () {
      Object.values(state).forEach(function (entry) {
        if (map.hasLayer(entry.group) && (entry.layer.loading === "bbox" || !entry.loadedOnce)) load(entry);
      });
    }, 250);
  });

  // Centre on the city once its districts are known.
  const districts = state["area-district"];
  if (districts) {
    api(districts.layer.url).then(function (r) { return r.ok ? r.json() : null; }).then(function (collection) {
      if (collection && collection.features && collection.features.length) {
        map.fitBounds(L.geoJSON(collection, { coordsToLatLng: function (c) { return show(c[0], c[1]); } }).getBounds());
      }
    });
  }

  // Address search: ranked candidates, ambiguity shown as such.
  const results = document.getElementById("jg-map-results");
  const searchMarker = L.layerGroup().addTo(map);
  document.getElementById("jg-map-search").addEventListener("submit", function (event) {
    event.preventDefault();
    const text = new FormData(event.target).get("q").trim();
    if (!text) return;
    results.innerHTML = "<div class='list-group-item text-secondary'>匹配中…</div>";
    api("/api/v1/address-match", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text: text }) })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (answer) {
        results.innerHTML = "";
        if (!answer.ok) {
          results.innerHTML = "<div class='list-group-item text-danger'>" + escape((answer.body.detail || [{ msg: "匹配失败" }])[0].msg) + "</div>";
          return;
        }
        const found = answer.body.best ? [answer.body.best] : (answer.body.ambiguous.length ? answer.body.ambiguous : answer.body.candidates);
        if (!answer.body.best && answer.body.ambiguous.length) {
          results.insertAdjacentHTML("beforeend", "<div class='list-group-item text-warning small'>有歧义，请确认：</div>");
        }
        if (!found.length) results.innerHTML = "<div class='list-group-item text-secondary'>未找到匹配的标准地址</div>";
        found.slice(0, 8).forEach(function (c) {
          const row = document.createElement("a");
          row.href = "#";
          row.className = "list-group-item list-group-item-action";
          row.innerHTML = "<div>" + escape(c.text) + "</div><div class='small text-secondary'>" + escape(c.kind) + " · 得分 " + c.score.toFixed(2) + "</div>";
          row.addEventListener("click", function (e) {
            e.preventDefault();
            if (c.lon === null || c.lat === null) return;
            searchMarker.clearLayers();
            L.marker(show(c.lon, c.lat)).bindPopup(escape(c.text)).addTo(searchMarker).openPopup();
            map.setView(show(c.lon, c.lat), 17);
          });
          results.append(row);
        });
        const first = found[0];
        if (first && first.lon !== null) results.querySelector("a") && results.querySelector("a").click();
      });
  });

  // Route measure: two clicks, then the road path, its time and the straight line for comparison.
  const start = document.getElementById("jg-route-start");
  if (start) {
    const routeLayer = L.layerGroup().addTo(map);
    const out = document.getElementById("jg-route-result");
    let picks = null;
    start.addEventListener("click", function () { picks = []; routeLayer.clearLayers(); out.textContent = "请点选起点"; box.style.cursor = "crosshair"; });
    // "preclick" comes before any layer's click: a road or grid under the pointer would otherwise
    // open its popup and stop the click from reaching the map.
    map.on("preclick", function (event) {
      if (!picks) return;
      setTimeout(function () { map.closePopup(); }, 0);
      picks.push(data(event.latlng));
      L.circleMarker(event.latlng, { radius: 6, color: picks.length === 1 ? "#16a34a" : "#dc2626" }).addTo(routeLayer);
      if (picks.length === 1) { out.textContent = "请点选终点"; return; }
      const profile = document.querySelector("input[name=jg-profile]:checked").value;
      const q = "from_lon=" + picks[0][0] + "&from_lat=" + picks[0][1] + "&to_lon=" + picks[1][0] + "&to_lat=" + picks[1][1] + "&profile=" + profile;
      const line = [show(picks[0][0], picks[0][1]), show(picks[1][0], picks[1][1])];
      picks = null;
      box.style.cursor = "";
      out.textContent = "测算中…";
      api("/api/v1/geo/route?" + q).then(function (r) { return r.json(); }).then(function (route) {
        L.polyline(line, { color: "#94a3b8", dashArray: "4 6", weight: 2 }).addTo(routeLayer);
        if (!route.reachable) { out.textContent = "两点之间没有可达的道路（直线 " + Math.round(route.straight_line_m) + " 米）"; return; }
        L.geoJSON(route.path, { coordsToLatLng: function (c) { return show(c[0], c[1]); }, style: { color: "#2563eb", weight: 5 } }).addTo(routeLayer);
        out.innerHTML = "道路 <strong>" + (route.length_m / 1000).toFixed(2) + " 公里</strong>，约 <strong>" +
          (route.seconds / 60).toFixed(1) + " 分钟</strong>（" + (profile === "walking" ? "步行" : "驾车") + "）<br>直线 " +
          (route.straight_line_m / 1000).toFixed(2) + " 公里，绕行系数 " + (route.length_m / Math.max(route.straight_line_m, 1)).toFixed(2);
      }).catch(function () { out.textContent = "测算失败"; });
    });
  }
})();
