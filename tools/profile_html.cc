// The profile as one self-contained HTML page: the report's JSON inlined and
// drawn as inline SVG by inline JavaScript (no network references, no
// external files). When drawing has finished the script adds
// <div id="systole-rendered">, which the headless-Chromium test looks for.
#include <string>

#include "tools/profile.h"

namespace systole::profile {
namespace {

constexpr char kHead[] = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Systole profile</title>
<style>
body{font-family:sans-serif;margin:16px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:24px}
table{border-collapse:collapse;font-size:12px}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}
td.l,th.l{text-align:left}
.cpu{background:#fde2e2}.acc{background:#e2f0fd}.io{background:#eee}
.partial{color:#b00;font-weight:bold}
svg text{font-size:10px}
.legend span{display:inline-block;margin-right:12px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
</style></head><body>
<h1>Systole profile</h1>
<div id="summary"></div>
<h2>Cycles per layer (array work and stalls)</h2><div id="cycles"></div>
<h2>Array utilization per layer</h2><div id="util"></div>
<h2>Bytes per layer (link and on chip)</h2><div id="bytes"></div>
<h2>Roofline</h2><div id="roofline"></div>
<h2>Stall breakdown (whole model)</h2><div id="stalls"></div>
<h2>Partition map</h2><div id="partition"></div>
<script id="profile-data" type="application/json">
)HTML";

constexpr char kTail[] = R"HTML(
</script>
<script>
"use strict";
(function () {
  const P = JSON.parse(document.getElementById("profile-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const CAT = [["array", "#2b7bba"], ["link", "#e6550d"], ["dependencies", "#756bb1"],
               ["vector_unit", "#31a354"], ["weight_load", "#fdae6b"], ["pipeline", "#bdbdbd"]];
  function el(tag, attrs, parent, text) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function h(tag, parent, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    parent.appendChild(e);
    return e;
  }
  function fmt(v) { return Number(v).toLocaleString("en-US"); }
  function label(l) { return l.op_index >= 0 ? l.op + " #" + l.op_index : l.op; }
  const acc = P.layers.filter(l => l.kind !== "cpu");
  const T = P.total, C = P.config;

  const sum = document.getElementById("summary");
  if (P.partial) h("p", sum, "PARTIAL report: the profile was interrupted.", "partial");
  h("p", sum, "model " + P.model + "; configuration " + C.name + " (" + C.rows + "x" + C.cols + ", " +
    (C.clock_hz / 1e6) + " MHz, link " + C.link + "); backend " + P.backend);
  h("p", sum, "total " + fmt(T.cycles) + " cycles = " + T.latency_ms.toFixed(3) + " ms; " +
    T.inferences_per_s.toFixed(1) + " inferences/s; utilization " + (100 * T.utilization).toFixed(1) +
    " %; effective " + T.effective_tops.toFixed(3) + " TOPS of " + C.peak_tops.toFixed(3) + "; " +
    fmt(T.link_bytes) + " bytes over the link; " + P.accelerator_ops + " ops on the accelerator, " +
    P.cpu_ops + " on the CPU" + (T.error_pct !== undefined ? "; error against SystemC " +
    T.error_pct.toFixed(2) + " %" : ""));

  function legend(parent, cats) {
    const d = h("div", parent, undefined, "legend");
    for (const [name, color] of cats) {
      const s = h("span", d);
      const i = h("i", s); i.style.background = color;
      s.appendChild(document.createTextNode(name));
    }
  }
  // Horizontal bars, one per layer; segs(l) gives [[value, color, name]...].
  function bars(id, segs, unit, cats) {
    const host = document.getElementById(id);
    if (cats) legend(host, cats);
    const rowH = 14, left = 170, width = 620;
    let max = 0;
    for (const l of acc) max = Math.max(max, segs(l).reduce((a, s) => a + s[0], 0));
    if (max <= 0) max = 1;
    const svg = el("svg", {width: left + width + 90, height: acc.length * rowH + 20}, host);
    acc.forEach((l, i) => {
      const y = i * rowH + 4;
      el("text", {x: left - 4, y: y + 10, "text-anchor": "end"}, svg, label(l));
      let x = left, total = 0;
      for (const [v, color, name] of segs(l)) {
        const w = v / max * width;
        const r = el("rect", {x: x, y: y, width: Math.max(w, 0), height: rowH - 3, fill: color}, svg);
        el("title", {}, r, label(l) + " " + name + ": " + fmt(v) + " " + unit);
        x += w; total += v;
      }
      el("text", {x: x + 4, y: y + 10}, svg, unit === "%" ? total.toFixed(1) + " %" : fmt(total));
    });
  }
  bars("cycles", l => CAT.map(([k, c]) => [k === "array" ? l.array_cycles : l.stalls[k], c, k]), "cycles", CAT);
  bars("util", l => [[100 * l.utilization, "#2b7bba", "utilization"]], "%");
  bars("bytes", l => [[l.link_bytes, "#e6550d", "link"], [l.onchip_bytes, "#9ecae1", "on chip"]], "bytes",
       [["link", "#e6550d"], ["on chip", "#9ecae1"]]);

  // Roofline: attainable ops/s = min(peak, intensity * link bandwidth);
  // each layer at (2*MACs / link bytes, 2*MACs / its time).
  (function () {
    const host = document.getElementById("roofline");
    const W = 640, H = 360, L = 70, B = 40, peak = C.peak_tops * 1e12, bw = C.link_bytes_per_s;
    const pts = acc.filter(l => l.macs > 0 && l.cycles > 0).map(l => {
      const ops = 2 * l.macs, t = l.cycles / C.clock_hz;
      return {l: l, x: l.link_bytes > 0 ? ops / l.link_bytes : null, y: ops / t};
    });
    let xmax = 1e4;
    for (const p of pts) if (p.x !== null) xmax = Math.max(xmax, p.x * 4);
    const xmin = 0.1, ymin = Math.min(peak / 1e5, ...pts.map(p => p.y / 2)), ymax = peak * 2;
    const lx = v => L + (Math.log10(v) - Math.log10(xmin)) / (Math.log10(xmax) - Math.log10(xmin)) * (W - L - 10);
    const ly = v => H - B - (Math.log10(v) - Math.log10(ymin)) / (Math.log10(ymax) - Math.log10(ymin)) * (H - B - 10);
    const svg = el("svg", {width: W, height: H}, host);
    el("rect", {x: L, y: 10, width: W - L - 10, height: H - B - 10, fill: "none", stroke: "#999"}, svg);
    const ridge = peak / bw;
    const x0 = Math.max(xmin, ymin / bw);
    el("polyline", {points: lx(x0) + "," + ly(x0 * bw) + " " + lx(ridge) + "," + ly(peak) + " " + lx(xmax) + "," +
      ly(peak), fill: "none", stroke: "#333", "stroke-width": 2}, svg);
    el("text", {x: lx(ridge) + 4, y: ly(peak) - 4}, svg, "peak " + C.peak_tops.toFixed(2) + " TOPS");
    el("text", {x: L + 4, y: H - 6}, svg, "operational intensity (ops per link byte, log); layers without link " +
      "traffic on the right edge");
    el("text", {x: 12, y: 20}, svg, "ops/s (log)");
    for (const p of pts) {
      const cx = p.x === null ? W - 14 : lx(p.x);
      const c = el("circle", {cx: cx, cy: ly(p.y), r: 4, fill: p.x === null ? "#31a354" : "#2b7bba",
                              "fill-opacity": 0.7}, svg);
      el("title", {}, c, label(p.l) + ": " + (p.y / 1e9).toFixed(2) + " Gop/s, intensity " +
        (p.x === null ? "infinite (no link bytes)" : p.x.toFixed(1)));
    }
  })();

  (function () {
    const host = document.getElementById("stalls");
    legend(host, CAT);
    const svg = el("svg", {width: 820, height: 40}, host);
    let x = 0;
    for (const [k, c] of CAT) {
      const v = k === "array" ? T.array_cycles : T.stalls[k];
      const w = T.cycles > 0 ? v / T.cycles * 800 : 0;
      const r = el("rect", {x: x, y: 5, width: w, height: 24, fill: c}, svg);
      el("title", {}, r, k + ": " + fmt(v) + " cycles (" + (T.cycles ? (100 * v / T.cycles).toFixed(1) : 0) + " %)");
      x += w;
    }
  })();

  (function () {
    const host = document.getElementById("partition");
    const t = h("table", host);
    const hr = h("tr", t);
    for (const c of ["op", "operator", "where", "cycles", "utilization", "why (CPU ops)"]) h("th", hr, c, "l");
    for (const l of P.layers) {
      const cls = l.kind === "cpu" ? "cpu" : l.kind === "op" ? "acc" : "io";
      const r = h("tr", t, undefined, cls);
      h("td", r, l.op_index >= 0 ? String(l.op_index) : "-");
      h("td", r, l.op, "l");
      h("td", r, l.kind === "cpu" ? "CPU" : "partition " + l.partition, "l");
      h("td", r, l.cycles === null ? "" : fmt(l.cycles));
      h("td", r, l.utilization === null ? "" : (100 * l.utilization).toFixed(1) + " %");
      h("td", r, l.reason || "", "l");
    }
  })();

  const done = document.createElement("div");
  done.id = "systole-rendered";
  done.textContent = "rendered " + acc.length + " layers";
  document.body.appendChild(done);
})();
</script>
</body></html>
)HTML";

}  // namespace

std::string ToHtml(const Profile& p) {
  std::string json = ToJson(p);
  // Inside <script>, "</" could close the element: escape it.
  std::string safe;
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') {
      safe += "<\\/";
      ++i;
    } else {
      safe += json[i];
    }
  }
  return std::string(kHead) + safe + kTail;
}

}  // namespace systole::profile
