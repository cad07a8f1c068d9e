// The status page served at / on the metrics listener: one self-contained HTML document (no build
// step, no external asset) that reads /status.json every few seconds and draws it. Every value is
// put in with textContent or as an SVG attribute, never as markup: pair names and paths are data.

/** What /status.json answers (src/sync/metrics-endpoint.ts builds it). */
export interface PageData {
  /** When the daemon answered, ms since the epoch. */
  now: number;
  pairs: PagePair[];
  transfers: { pair: string; rel: string; bytes: number; sent: number }[];
  /** Newest first. */
  errors: { at: number; pair: string | null; rel: string | null; code: string; message: string }[];
  /** Bytes sent per minute over the last hour, oldest first; the last is the current minute. */
  throughput: { minuteStart: number; bytes: number[] };
}

interface PagePair {
  pair: string;
  state: string;
  reason: string;
  /** The recovery-point watermark, ms; null: none yet. */
  syncedThrough: number | null;
  pendingFiles: number;
  pendingBytes: number;
}

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>s3mirror</title>
<link rel="icon" href="data:,">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #fafbfc; }
  h1 { font-size: 1.3rem; margin: 0 0 .2rem; }
  h2 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e3e6eb; vertical-align: top; }
  th { font-weight: 600; background: #f1f3f6; }
  .state { font-weight: 600; padding: .05rem .45rem; border-radius: .6rem; background: #e3e6eb; }
  .in-sync { background: #d5f2dc; color: #15602b; }
  .syncing, .never-synced { background: #dbe8fb; color: #1b4f9c; }
  .paused { background: #eee; color: #555; }
  .held, .degraded, .offline { background: #fde9c9; color: #7a4a00; }
  .error { background: #fbd5d5; color: #8a1c1c; }
  .muted { color: #6b7385; }
  #chart { width: 100%; height: 140px; background: #fff; border: 1px solid #e3e6eb; }
  #chart rect { fill: #4d7fd6; }
</style>
</head>
<body>
<h1>s3mirror</h1>
<div class="muted" id="updated">loading…</div>
<h2>Pairs</h2>
<table><thead><tr><th>pair</th><th>state</th><th>synced through</th><th>pending</th></tr></thead>
<tbody id="pairs"></tbody></table>
<h2>Throughput, last hour</h2>
<svg id="chart" viewBox="0 0 600 140" preserveAspectRatio="none" role="img" aria-label="bytes sent per minute"></svg>
<div class="muted" id="chart-label"></div>
<h2>Transfers under way</h2>
<table><thead><tr><th>pair</th><th>file</th><th>progress</th></tr></thead><tbody id="inflight"></tbody></table>
<h2>Recent errors</h2>
<table><thead><tr><th>when</th><th>pair</th><th>file</th><th>error</th></tr></thead><tbody id="errors"></tbody></table>
<script>
"use strict";
var asked = Number(new URLSearchParams(location.search).get("every"));
var REFRESH_MS = asked >= 500 ? asked : 5000;
function bytes(n) {
  var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(n)) + " " + u[i];
}
function when(ms, now) {
  if (ms === null) return "never";
  var s = Math.max(0, Math.round((now - ms) / 1000));
  var ago = s < 60 ? s + " s" : s < 3600 ? Math.round(s / 60) + " min" : Math.round(s / 3600) + " h";
  return new Date(ms).toLocaleTimeString() + " (" + ago + " ago)";
}
function row(cells) {
  var tr = document.createElement("tr");
  cells.forEach(function (c) {
    var td = document.createElement("td");
    if (c instanceof Node) td.appendChild(c); else td.textContent = String(c);
    tr.appendChild(td);
  });
  return tr;
}
function fill(id, rows, empty, cols) {
  var body = document.getElementById(id);
  body.replaceChildren();
  if (!rows.length) {
    var tr = row([empty]);
    tr.firstChild.colSpan = cols;
    tr.firstChild.className = "muted";
    body.appendChild(tr);
  }
  rows.forEach(function (r) { body.appendChild(r); });
}
function chart(t) {
  var svg = document.getElementById("chart"), ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  var max = Math.max.apply(null, t.bytes.concat([1])), w = 600 / Math.max(t.bytes.length, 1);
  t.bytes.forEach(function (b, i) {
    var h = (b / max) * 130, r = document.createElementNS(ns, "rect");
    r.setAttribute("x", String(i * w + 1));
    r.setAttribute("width", String(Math.max(w - 2, 1)));
    r.setAttribute("y", String(140 - h));
    r.setAttribute("height", String(h));
    svg.appendChild(r);
  });
  var total = t.bytes.reduce(function (a, b) { return a + b; }, 0);
  document.getElementById("chart-label").textContent =
    bytes(total) + " sent in the last hour; busiest minute " + bytes(max === 1 && total === 0 ? 0 : max);
}
function draw(d) {
  document.getElementById("updated").textContent = "updated " + new Date(d.now).toLocaleTimeString();
  fill("pairs", d.pairs.map(function (p) {
    var s = document.createElement("span");
    s.className = "state " + p.state;
    s.textContent = p.state;
    s.title = p.reason;
    return row([p.pair, s, when(p.syncedThrough, d.now), p.pendingFiles + " files, " + bytes(p.pendingBytes)]);
  }), "no pairs", 4);
  chart(d.throughput);
  fill("inflight", d.transfers.map(function (f) {
    var pct = f.bytes ? Math.floor((100 * f.sent) / f.bytes) : 100;
    return row([f.pair, f.rel, pct + " % of " + bytes(f.bytes)]);
  }), "none", 3);
  fill("errors", d.errors.map(function (e) {
    return row([when(e.at, d.now), e.pair || "", e.rel || "", e.code + ": " + e.message]);
  }), "none", 4);
}
function refresh() {
  fetch("/status.json", { cache: "no-store" })
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then(draw)
    .catch(function (e) { document.getElementById("updated").textContent = "cannot reach the daemon: " + e.message; })
    .finally(function () { setTimeout(refresh, REFRESH_MS); });
}
refresh();
</script>
</body>
</html>
`;
