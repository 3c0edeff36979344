// WGS-84 → GCJ-02 for display on a GCJ-02 tile server (data stay WGS-84). Our own implementation of
// the published offset formula; outside China coordinates pass through unchanged.
(function () {
  "use strict";
  const A = 6378245.0;
  const EE = 0.00669342162296594323;
  function outside(lon, lat) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  function dLat(x, y) {
    let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    return r;
  }
  function dLon(x, y) {
    let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    return r;
  }
  function toGcj02(lon, lat) {
    if (outside(lon, lat)) return [lon, lat];
    const radLat = lat / 180.0 * Math.PI;
    let magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    const sqrtMagic = Math.sqrt(magic);
    const la = (dLat(lon - 105.0, lat - 35.0) * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI);
    const lo = (dLon(lon - 105.0, lat - 35.0) * 180.0) / (A / sqrtMagic * Math.cos(radLat) * Math.PI);
    return [lon + lo, lat + la];
  }
  function toWgs84(lon, lat) {
    // Inverse by fixed-point iteration: a few steps reach far below a metre.
    let x = lon, y = lat;
    for (let i = 0; i < 6; i++) {
      const g = toGcj02(x, y);
      x += lon - g[0];
      y += lat - g[1];
    }
    return [x, y];
  }
  window.jiaoguan = window.jiaoguan || {};
  window.jiaoguan.coords = { toGcj02: toGcj02, toWgs84: toWgs84 };
})();
