// Smart command pages: API forms and buttons, the command map (officers by status with fix age,
// open incidents, rings and the recommended route of the selected incident), the intake form's
// address match and map pick, the statistics charts and the officer's phone page.
// Everything talks to our own API; nothing leaves the server.
(function () {
  "use strict";
  const jg = window.jiaoguan || {};
  const api = jg.fetch;
  const zone = (document.querySelector('meta[name="timezone"]') || {}).content || "Asia/Shanghai";

  function escape(text) {
    return String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const s = Math.round(seconds), m = Math.floor(s / 60);
    return m ? m + "分" + String(s % 60).padStart(2, "0") + "秒" : s + "秒";
  }
  function clock(iso) {
    return iso ? new Date(iso).toLocaleTimeString("zh-CN", { hour12: false, timeZone: zone }) : "—";
  }
  function messages(body) {
    const detail = body && body.detail;
    if (Array.isArray(detail)) return detail.map(function (d) { return d.msg; }).join("；");
    return typeof detail === "string" ? detail : "操作失败";
  }
  // POST JSON; resolves with the body, rejects with the Chinese message.
  function post(url, body) {
    return api(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) throw new Error(messages(data));
          return data;
        });
      });
  }
  jg.command = { post: post, escape: escape, duration: duration, clock: clock };

  // --- API forms: <form data-jg-api="/api/..." data-done="reload|detail|<url>"> -----------------
  function formBody(form) {
    const body = {};
    form.querySelectorAll("[name]").forEach(function (el) {
      if (el.name === "csrf_token" || el.disabled) return;
      if (el.type === "checkbox") { if (el.checked) body[el.name] = true; return; }
      let value = el.value.trim();
      if (value === "") return;
      if (el.dataset.type === "number") value = Number(value);
      // datetime-local has no zone: the user typed Beijing time, as every time in the UI is.
      if (el.dataset.type === "datetime") value = (value.length === 16 ? value + ":00" : value) + "+08:00";
      body[el.name] = value;
    });
    return body;
  }
  function showError(form, text) {
    let box = form.querySelector(".jg-form-error");
    if (!box) { box = document.createElement("div"); box.className = "alert alert-danger jg-form-error mt-2"; form.append(box); }
    box.textContent = text;
    box.classList.toggle("d-none", !text);
  }
  function done(target, data) {
    // "none": stay; the page redraws itself on the jg:done event (the phone page does).
    if (target === "none") { document.dispatchEvent(new CustomEvent("jg:done", { detail: data })); return; }
    if (!target || target === "reload") { location.reload(); return; }
    if (target === "detail") { location.href = "/command/incidents/" + data.id; return; }
    location.href = target;
  }
  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-jg-api]");
    if (!form) return;
    event.preventDefault();
    if (form.dataset.confirm && !confirm(form.dataset.confirm)) return;
    const button = form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    showError(form, "");
    let body = formBody(form);
    if (form.dataset.shape === "dispatch") {
      body = { officers: [{ officer_id: body.officer_id, note: "指定派警" }], override_reason: body.override_reason };
    }
    post(form.dataset.jgApi, body)
      .then(function (data) { done(form.dataset.done, data); })
      .catch(function (error) { showError(form, error.message); })
      .finally(function () { if (button) button.disabled = false; });
  });
  // Buttons: <button data-jg-post="/api/..." data-body='{"...":...}' data-confirm="...">
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-jg-post]");
    if (!button) return;
    event.preventDefault();
    if (button.dataset.confirm && !confirm(button.dataset.confirm)) return;
    button.disabled = true;
    const out = document.getElementById(button.dataset.errors || "jg-action-error");
    post(button.dataset.jgPost, button.dataset.body ? JSON.parse(button.dataset.body) : {})
      .then(function (data) { done(button.dataset.done, data); })
      .catch(function (error) {
        button.disabled = false;
        if (out) { out.textContent = error.message; out.classList.remove("d-none"); } else { alert(error.message); }
      });
  });

  // --- the command map --------------------------------------------------------------------------
  const STATUS_COLOURS = { available: "#16a34a", on_duty: "#0d9488", dispatched: "#ea580c", en_route: "#0ea5e9", on_scene: "#2563eb", off_duty: "#94a3b8" };
  const STATE_COLOURS = { received: "#dc2626", dispatched: "#ea580c", accepted: "#ca8a04", en_route: "#0ea5e9", on_scene: "#2563eb", handled: "#16a34a" };

  function commandMap(box) {
    if (!window.L) return null;
    const map = L.map(box, { preferCanvas: true }).setView([Number(box.dataset.lat || 38.87), Number(box.dataset.lon || 115.46)], Number(box.dataset.zoom || 14));
    if (box.dataset.tiles) L.tileLayer(box.dataset.tiles, { maxZoom: 19, attribution: "PGIS" }).addTo(map);
    const roads = L.geoJSON(null, { style: { color: "#94a3b8", weight: 1.5, opacity: 0.8 }, interactive: false }).addTo(map);
    const officers = L.layerGroup().addTo(map);
    const incidents = L.layerGroup().addTo(map);
    const overlay = L.layerGroup().addTo(map);
    // The incident page's map always shows its incident, open or not.
    if (box.dataset.incident && box.dataset.lon) L.marker([Number(box.dataset.lat), Number(box.dataset.lon)]).addTo(map);
    function loadRoads() {
      if (box.dataset.tiles || map.getZoom() < 13) { roads.clearLayers(); return; }
      const b = map.getBounds();
      const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
      api("/api/v1/geo/network?limit=8000&bbox=" + bbox).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { roads.clearLayers(); roads.addData(data); } });
    }
    map.on("moveend", loadRoads);
    loadRoads();
    function loadOfficers() {
      api("/api/v1/command/geojson/officers").then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
        if (!data) return;
        officers.clearLayers();
        data.features.forEach(function (f) {
          const p = f.properties, c = f.geometry.coordinates;
          L.circleMarker([c[1], c[0]], {
            radius: 6, weight: 2, color: p.stale ? "#64748b" : "#fff", dashArray: p.stale ? "2 2" : null,
            fillColor: STATUS_COLOURS[p.status] || "#64748b", fillOpacity: p.stale ? 0.35 : 0.95,
          }).bindTooltip(escape(p.name) + " · " + escape(p["状态"]) + " · 定位" + escape(p["定位"])).addTo(officers);
        });
      });
    }
    function loadIncidents(onClick) {
      api("/api/v1/command/geojson/incidents").then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
        if (!data) return;
        incidents.clearLayers();
        data.features.forEach(function (f) {
          const p = f.properties, c = f.geometry.coordinates;
          const marker = L.circleMarker([c[1], c[0]], {
            radius: 6 + 2 * p.level, color: "#7f1d1d", weight: 2, fillColor: STATE_COLOURS[p.state] || "#dc2626", fillOpacity: 0.85,
          }).bindTooltip(escape(p.name) + " · " + escape(p["状态"]) + " · " + escape(p["地点"])).addTo(incidents);
          if (onClick) marker.on("click", function () { onClick(p.id); });
        });
      });
    }
    return { map: map, overlay: overlay, loadOfficers: loadOfficers, loadIncidents: loadIncidents };
  }

  // The recommendation of one incident: rings, the best pick's route, picks with dispatch buttons.
  function showRecommendation(view, incidentId, panel, canDispatch) {
    panel.innerHTML = "<div class='text-secondary p-3'>计算推荐中…</div>";
    return api("/api/v1/command/incidents/" + incidentId + "/recommend").then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error(messages(body)); return body; });
    }).then(function (rec) {
      view.overlay.clearLayers();
      const centre = [rec.lat, rec.lon];
      rec.rings_m.slice().reverse().forEach(function (m, i) {
        L.circle(centre, { radius: m, color: ["#f59e0b", "#f97316", "#dc2626"][i] || "#dc2626", weight: 1.5, fill: false, dashArray: "6 4", interactive: false }).addTo(view.overlay);
      });
      L.marker(centre).addTo(view.overlay);
      rec.picks.forEach(function (p, i) {
        if (p.lon === null) return;
        L.circleMarker([p.lat, p.lon], { radius: 9, color: "#1d4ed8", weight: 3, fill: false }).bindTooltip("推荐" + (i + 1) + "：" + escape(p.name)).addTo(view.overlay);
      });
      if (rec.picks.length && rec.picks[0].route.length) {
        L.polyline(rec.picks[0].route.map(function (c) { return [c[1], c[0]]; }), { color: "#1d4ed8", weight: 5, opacity: 0.8 }).addTo(view.overlay);
      }
      view.map.setView(centre, Math.max(view.map.getZoom(), 15));
      let html = "";
      if (rec.gaps.length) html += "<div class='alert alert-warning m-2 small jg-gaps'>" + rec.gaps.map(escape).join("<br>") + "</div>";
      if (!rec.picks.length) html += "<div class='text-secondary p-3'>暂无可推荐警力</div>";
      html += rec.picks.map(function (p, i) {
        const button = canDispatch ? "<button class='btn btn-sm btn-primary jg-dispatch' data-jg-post='/api/v1/command/incidents/" + incidentId +
          "/dispatch' data-body='" + escape(JSON.stringify({ officers: [{ officer_id: p.officer_id, note: "推荐：" + p.reason }] })) +
          "' data-errors='jg-recommend-error'>派警</button>" : "";
        return "<div class='list-group-item jg-pick' data-officer='" + p.officer_id + "'><div class='d-flex align-items-center gap-2'>" +
          "<span class='badge bg-blue-lt'>" + (i + 1) + "</span><div class='flex-fill'><div class='fw-bold'>" + escape(p.name) +
          " <span class='text-secondary small'>" + escape(p.code) + " · " + escape(p.unit_name) + "</span></div>" +
          "<div class='small'>" + escape(p.reason) + "</div><div class='small text-secondary'>直线 " + Math.round(p.straight_m) + " 米 · 道路 " +
          duration(p.eta_s) + " · 定位 " + (p.fix_age_s === null ? "—" : Math.round(p.fix_age_s) + "秒前") + "</div></div>" + button + "</div></div>";
      }).join("");
      html += "<div class='small text-secondary p-2'>圈内考察 " + rec.considered + " 人；忙碌 " + rec.busy + " 人；定位超时 " + rec.stale + " 人</div>";
      html += "<div class='alert alert-danger d-none m-2' id='jg-recommend-error'></div>";
      panel.innerHTML = "<div class='list-group list-group-flush'>" + html + "</div>";
    }).catch(function (error) { panel.innerHTML = "<div class='text-danger p-3'>" + escape(error.message) + "</div>"; });
  }

  const mapBox = document.getElementById("jg-command-map");
  if (mapBox) {
    const view = commandMap(mapBox);
    const panel = document.getElementById("jg-recommend");
    const canDispatch = mapBox.dataset.canDispatch === "true";
    let selected = mapBox.dataset.incident || "";
    function select(id) {
      selected = String(id);
      document.querySelectorAll("[data-select-incident]").forEach(function (el) { el.classList.toggle("active", el.dataset.selectIncident === selected); });
      const title = document.getElementById("jg-selected-title");
      const row = document.querySelector("[data-select-incident='" + selected + "']");
      if (title && row) title.textContent = row.dataset.title || "";
      const link = document.getElementById("jg-selected-link");
      if (link) { link.href = "/command/incidents/" + selected; link.classList.remove("d-none"); }
      if (panel && view) showRecommendation(view, selected, panel, canDispatch);
    }
    if (view) {
      view.loadOfficers();
      view.loadIncidents(mapBox.dataset.board === "true" ? select : null);
      setInterval(view.loadOfficers, 5000);
      if (mapBox.dataset.board === "true") setInterval(function () { view.loadIncidents(select); }, 10000);
      if (selected && panel) select(selected);
    }
    document.querySelectorAll("[data-select-incident]").forEach(function (el) {
      el.addEventListener("click", function (event) { event.preventDefault(); select(el.dataset.selectIncident); });
    });
  }

  // --- intake: address match and map pick -------------------------------------------------------
  const pickBox = document.getElementById("jg-pick-map");
  if (pickBox && window.L) {
    const view = commandMap(pickBox);
    const form = pickBox.closest("form") || document.getElementById("jg-intake");
    const lon = document.getElementById("jg-lon"), lat = document.getElementById("jg-lat"), addr = document.getElementById("jg-address-id");
    const where = document.getElementById("jg-where");
    const marker = L.marker([0, 0]);
    function place(x, y, text, addressId) {
      lon.value = x.toFixed(6); lat.value = y.toFixed(6); addr.value = addressId || "";
      marker.setLatLng([y, x]).addTo(view.map);
      view.map.setView([y, x], Math.max(view.map.getZoom(), 16));
      where.textContent = text + "（" + x.toFixed(5) + ", " + y.toFixed(5) + "）";
    }
    view.map.on("click", function (event) { place(event.latlng.lng, event.latlng.lat, "地图点选", null); });
    view.loadOfficers();
    const out = document.getElementById("jg-match-results");
    document.getElementById("jg-match").addEventListener("click", function () {
      const text = form.querySelector("[name=place]").value.trim();
      if (!text) { out.innerHTML = "<div class='text-danger small'>请先填写地点</div>"; return; }
      out.innerHTML = "<div class='text-secondary small'>匹配中…</div>";
      post("/api/v1/address-match", { text: text }).then(function (body) {
        const found = body.best ? [body.best] : (body.ambiguous.length ? body.ambiguous : body.candidates);
        out.innerHTML = (body.best ? "" : body.ambiguous.length ? "<div class='text-warning small'>地址有歧义，请选择：</div>" : "") +
          (found.length ? "" : "<div class='text-secondary small'>未匹配到标准地址，请在地图上点选位置</div>");
        found.slice(0, 6).forEach(function (c) {
          const a = document.createElement("a");
          a.href = "#"; a.className = "list-group-item list-group-item-action small jg-candidate";
          a.innerHTML = escape(c.text) + " <span class='text-secondary'>得分 " + c.score.toFixed(2) + "</span>";
          a.addEventListener("click", function (e) { e.preventDefault(); if (c.lon !== null) place(c.lon, c.lat, c.text, c.address_id); });
          out.append(a);
        });
        if (body.best && body.best.lon !== null) place(body.best.lon, body.best.lat, body.best.text, body.best.address_id);
      }).catch(function (error) { out.innerHTML = "<div class='text-danger small'>" + escape(error.message) + "</div>"; });
    });
  }

  // --- statistics charts ------------------------------------------------------------------------
  const chartBox = document.getElementById("jg-stats-chart");
  if (chartBox && window.echarts) {
    const data = JSON.parse(chartBox.dataset.chart);
    const chart = window.echarts.init(chartBox);
    chart.setOption({
      animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 48, right: 48, top: 36, bottom: 48 },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } },
      yAxis: [{ type: "value", name: "警情数", minInterval: 1 }, { type: "value", name: "分钟" }],
      series: [
        { name: "警情数", type: "bar", data: data.counts, itemStyle: { color: "#206bc4" } },
        { name: "平均到场用时", type: "line", yAxisIndex: 1, data: data.arrive },
        { name: "平均结案用时", type: "line", yAxisIndex: 1, data: data.total },
      ],
    });
    const dayBox = document.getElementById("jg-stats-daily");
    const daily = dayBox ? window.echarts.init(dayBox) : null;
    if (daily) daily.setOption({
      animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 48, right: 48, top: 36, bottom: 32 },
      xAxis: { type: "category", data: data.days },
      yAxis: [{ type: "value", name: "警情数", minInterval: 1 }, { type: "value", name: "分钟" }],
      series: [
        { name: "每日警情", type: "bar", data: data.day_counts, itemStyle: { color: "#74b816" } },
        { name: "到场用时90分位", type: "line", yAxisIndex: 1, data: data.day_arrive_p90 },
      ],
    });
    window.addEventListener("resize", function () { chart.resize(); if (daily) daily.resize(); });
  }

  // --- the officer's phone page -----------------------------------------------------------------
  const phone = document.getElementById("jg-officer");
  if (phone) {
    const list = document.getElementById("jg-tasks");
    const state = document.getElementById("jg-officer-status");
    const gps = document.getElementById("jg-gps");
    const STEP_LABELS = { accept: "签收", depart: "出警", arrive: "到场", handle: "处置完毕", close: "反馈结束" };
    const STEP_TONES = { accept: "btn-danger", depart: "btn-warning", arrive: "btn-primary", handle: "btn-success", close: "btn-secondary" };
    function card(d, incident) {
      const steps = d.actions.map(function (a) {
        if (a === "handle") {
          return "<form class='mt-2' data-jg-api='/api/v1/command/dispatches/" + d.id + "/handle' data-done='none'>" +
            "<textarea class='form-control mb-2' name='result' rows='2' placeholder='处置结果，如：已拍照取证，双方协商撤离' required></textarea>" +
            "<button class='btn btn-success btn-lg w-100 jg-step' data-step='handle' type='submit'>处置完毕</button></form>";
        }
        if (a === "close") {
          return "<form class='mt-2' data-jg-api='/api/v1/command/dispatches/" + d.id + "/close' data-done='none'>" +
            "<input class='form-control mb-2' name='feedback' placeholder='反馈（可空）'>" +
            "<button class='btn btn-secondary btn-lg w-100 jg-step' data-step='close' type='submit'>反馈结束</button></form>";
        }
        return "<button class='btn " + STEP_TONES[a] + " btn-lg w-100 mt-2 jg-step' data-step='" + a + "' data-jg-post='/api/v1/command/dispatches/" +
          d.id + "/" + a + "' data-done='none'>" + (a === "depart" && d.state === "dispatched" ? "签收并出警" : STEP_LABELS[a]) + "</button>";
      }).join("");
      const times = [["派警", d.dispatched_at], ["签收", d.accepted_at], ["出警", d.departed_at], ["到场", d.arrived_at], ["处置", d.handled_at], ["结束", d.closed_at]]
        .filter(function (t) { return t[1]; }).map(function (t) { return t[0] + " " + clock(t[1]); }).join(" · ");
      return "<div class='card mb-3 jg-task' data-dispatch='" + d.id + "' data-state='" + d.state + "'><div class='card-body'>" +
        "<div class='d-flex justify-content-between'><strong>" + escape(incident ? incident.kind_label : "") + "</strong><span class='badge bg-blue-lt jg-task-state'>" + escape(d.state_label) + "</span></div>" +
        "<div class='fs-3 my-1'>" + escape(incident ? incident.place : "") + "</div>" +
        "<div class='small text-secondary'>" + escape(incident ? incident.number + " · " + incident.level_label + " · " + (incident.summary || "") : "") + "</div>" +
        (d.arrived_auto ? "<div class='small text-success'>已根据定位自动确认到场</div>" : "") +
        (d.result ? "<div class='small mt-1'>处置：" + escape(d.result) + "</div>" : "") +
        "<div class='small text-secondary mt-1'>" + times + "</div>" +
        (incident ? "<a class='small' href='/command/incidents/" + incident.id + "'>警情详情</a>" : "") + steps + "</div></div>";
    }
    function refresh() {
      return api("/api/v1/command/me").then(function (r) { return r.json(); }).then(function (me) {
        if (!me.officer) { list.innerHTML = "<div class='alert alert-warning'>您的账号未关联警力档案，请联系指挥中心。</div>"; return; }
        state.textContent = (phone.dataset.labels ? JSON.parse(phone.dataset.labels)[me.officer.status] : me.officer.status) || me.officer.status;
        state.dataset.status = me.officer.status;
        // On an incident the status follows the steps: no manual buttons meanwhile.
        const manual = document.getElementById("jg-status-buttons");
        if (manual) manual.classList.toggle("d-none", ["dispatched", "en_route", "on_scene"].indexOf(me.officer.status) >= 0);
        const incidents = {};
        me.incidents.forEach(function (i) { incidents[i.id] = i; });
        list.innerHTML = me.dispatches.length ? me.dispatches.map(function (d) { return card(d, incidents[d.incident_id]); }).join("") :
          "<div class='text-secondary text-center p-4'>暂无出警任务</div>";
      });
    }
    document.addEventListener("jg:done", refresh);
    refresh();
    // Live: every command notification for me redraws the list.
    if (window.EventSource) {
      const source = new EventSource("/api/v1/push/stream");
      const live = document.getElementById("jg-live");
      source.onopen = function () { if (live) { live.textContent = "实时连接"; live.className = "badge bg-green-lt"; } };
      source.onerror = function () { if (live) { live.textContent = "重连中"; live.className = "badge bg-yellow-lt"; } };
      source.addEventListener("notification", function (event) {
        const item = JSON.parse(event.data);
        if (item.kind === "command") {
          refresh();
          if (item.level === "danger" && navigator.vibrate) navigator.vibrate([300, 100, 300]);
        }
      });
    }
    // Position from the browser, when the officer allows it: at most one fix every 10 s.
    let lastSent = 0;
    function sendFix(position) {
      const now = Date.now();
      if (now - lastSent < 10000) return;
      lastSent = now;
      const c = position.coords;
      post("/api/v1/command/me/positions", [{
        at: new Date(position.timestamp || now).toISOString(), lon: c.longitude, lat: c.latitude,
        accuracy_m: c.accuracy, speed_mps: c.speed === null ? null : Math.max(0, c.speed),
      }]).then(function (report) {
        gps.textContent = report.accepted ? "定位已上报 " + clock(new Date().toISOString()) : "定位未采用：" + Object.keys(report.rejected).join("、");
        if (report.arrivals) refresh();
      }).catch(function (error) { gps.textContent = "定位上报失败：" + error.message; });
    }
    if (navigator.geolocation) {
      navigator.geolocation.watchPosition(sendFix, function (error) { gps.textContent = "未获取定位（" + error.message + "）"; },
        { enableHighAccuracy: true, maximumAge: 10000, timeout: 20000 });
    } else {
      gps.textContent = "此设备不支持定位";
    }
  }
})();
