// Jiaoguan page glue: CSRF header for htmx and fetch; the notification bell lives in push.js.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";
  document.body.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrf;
  });
  window.jiaoguan = window.jiaoguan || {};
  window.jiaoguan.csrf = csrf;
  window.jiaoguan.fetch = function (url, options) {
    const opts = Object.assign({ credentials: "same-origin" }, options || {});
    opts.headers = Object.assign({ "X-CSRF-Token": csrf, Accept: "application/json" }, opts.headers || {});
    return fetch(url, opts);
  };
})();
