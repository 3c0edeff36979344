// The header bell: recent notifications, then live ones over server-sent events (resumable by id).
(function () {
  "use strict";
  const bell = document.getElementById("jg-bell");
  if (!bell || !window.EventSource) return;
  const list = document.getElementById("jg-bell-list");
  const badge = document.getElementById("jg-bell-count");
  const status = document.getElementById("jg-bell-status");
  const toasts = document.getElementById("jg-toasts");
  const zone = (document.querySelector('meta[name="timezone"]') || {}).content || "Asia/Shanghai";
  const tones = { info: "azure", success: "green", warning: "yellow", danger: "red" };
  let newest = 0;
  let unread = 0;

  function setUnread(value) {
    unread = Math.max(0, value);
    badge.textContent = unread > 99 ? "99+" : String(unread);
    badge.classList.toggle("d-none", unread === 0);
  }

  function entry(item) {
    const row = document.createElement(item.link ? "a" : "div");
    row.className = "list-group-item jg-bell-item";
    if (item.link) row.href = item.link;
    const time = new Date(item.created_at).toLocaleString("zh-CN", { hour12: false, timeZone: zone });
    const dot = document.createElement("span");
    dot.className = "status-dot status-" + (tones[item.level] || "azure") + " me-2";
    const title = document.createElement("span");
    title.className = "fw-bold";
    title.textContent = item.title;
    const body = document.createElement("div");
    body.className = "text-secondary small";
    body.textContent = (item.body ? item.body + " · " : "") + time;
    row.append(dot, title, body);
    return row;
  }

  function add(item, live) {
    if (item.id <= newest && live) return;
    const empty = list.querySelector(".jg-bell-empty");
    if (empty) empty.remove();
    if (live) list.prepend(entry(item)); else list.append(entry(item));
    while (list.querySelectorAll(".jg-bell-item").length > 30) list.lastElementChild.remove();
    newest = Math.max(newest, item.id);
  }

  const MAX_TOASTS = 3;

  function toast(item) {
    if (!toasts) return;
    const box = document.createElement("div");
    box.className = "alert alert-" + ({ danger: "danger", warning: "warning", success: "success" }[item.level] || "info") + " shadow-sm";
    box.setAttribute("role", "status");
    box.textContent = item.title;
    toasts.append(box);
    // A busy command centre gets many steps a minute: keep the newest few, the bell has all.
    while (toasts.children.length > MAX_TOASTS) toasts.firstElementChild.remove();
    setTimeout(function () { box.remove(); }, 6000);
  }

  function connect() {
    const source = new EventSource("/api/v1/push/stream?last_event_id=" + newest);
    source.onopen = function () { status.textContent = "已连接"; };
    source.onerror = function () { status.textContent = "已断开，正在重连…"; };
    source.addEventListener("notification", function (event) {
      const item = JSON.parse(event.data);
      if (item.id <= newest) return;
      add(item, true);
      setUnread(unread + 1);
      toast(item);
    });
  }

  bell.addEventListener("shown.bs.dropdown", function () {
    if (!unread) return;
    setUnread(0);
    window.jiaoguan.fetch("/api/v1/push/seen", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ last_seen_id: newest }),
    });
  });

  window.jiaoguan.fetch("/api/v1/push/notifications?limit=20")
    .then(function (response) { return response.ok ? response.json() : { items: [], unread: 0 }; })
    .then(function (page) {
      page.items.forEach(function (item) { add(item, false); });
      setUnread(page.unread);
    })
    .catch(function () { status.textContent = "通知加载失败"; })
    .finally(connect);
})();
