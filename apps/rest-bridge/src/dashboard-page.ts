/**
 * The spend dashboard's page and script. The script draws what /dashboard/events sends (one
 * snapshot per change) with DOM calls only (text, never HTML), and the chart with chart.js, which
 * the bridge serves from its npm package: the page loads nothing from another host.
 */
export const DASHBOARD_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MCP Orchestrator · spend</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1f24; background: #f6f7f9; }
h1 { font-size: 1.3rem; margin: 0 0 .2rem; } h2 { font-size: 1rem; margin: 0 0 .5rem; }
.muted { color: #59636e; } .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 1rem; margin: 1rem 0; }
.card { background: #fff; border: 1px solid #d8dee4; border-radius: 8px; padding: .8rem 1rem; }
.big { font-size: 1.6rem; font-weight: 600; } .bar { height: 8px; background: #e6e9ed; border-radius: 4px; overflow: hidden; margin-top: .4rem; }
.bar > div { height: 100%; background: #2f81f7; } .bar.hot > div { background: #cf222e; }
table { width: 100%; border-collapse: collapse; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eaeef2; font-variant-numeric: tabular-nums; }
th { font-weight: 600; color: #59636e; } #status.live { color: #1a7f37; } #status.down { color: #cf222e; }
</style></head>
<body>
<h1>MCP Orchestrator · spend</h1>
<div class="muted">Updated <span id="updated">—</span> · <span id="status">connecting…</span></div>
<div class="grid">
  <div class="card"><h2>Today <span class="muted" id="day"></span></h2><div class="big" id="today-spent">—</div>
    <div class="muted" id="today-detail"></div><div class="bar" id="today-bar"><div></div></div></div>
  <div class="card"><h2>This month <span class="muted" id="month"></span></h2><div class="big" id="month-spent">—</div><div class="muted" id="calls"></div></div>
  <div class="card"><h2>In flight</h2><div class="big" id="in-flight">—</div><div class="muted">model calls queued, running or awaiting a retry</div></div>
  <div class="card"><h2>Queues</h2><table><thead><tr><th>queue</th><th>waiting</th><th>active</th><th>delayed</th><th>oldest wait</th></tr></thead><tbody id="queues"></tbody></table></div>
</div>
<div class="grid">
  <div class="card" style="grid-column: span 2"><h2>By day (last 31 days)</h2><canvas id="by-day" height="110"></canvas></div>
  <div class="card"><h2>By model (today)</h2><table><tbody id="by-model"></tbody></table></div>
  <div class="card"><h2>By key (today)</h2><table><thead><tr><th>key</th><th>spent</th><th>daily budget</th></tr></thead><tbody id="by-key"></tbody></table></div>
</div>
<div class="card"><h2>Latest requests</h2>
  <table><thead><tr><th>finished</th><th>request</th><th>tool</th><th>caller</th><th>models</th><th>status</th><th>cost</th><th>tokens in / out</th><th>latency</th></tr></thead><tbody id="latest"></tbody></table></div>
<script src="/dashboard/chart.js"></script>
<script src="/dashboard/app.js"></script>
</body></html>`;

export const DASHBOARD_JS = `'use strict';
(function () {
  var usd = function (n) { return '$' + Number(n || 0).toFixed(4); };
  var $ = function (id) { return document.getElementById(id); };
  var text = function (id, t) { $(id).textContent = t; };
  function rows(id, list) {
    var body = $(id);
    body.replaceChildren.apply(body, list.map(function (cells) {
      var tr = document.createElement('tr');
      cells.forEach(function (c) { var td = document.createElement('td'); td.textContent = c; tr.appendChild(td); });
      return tr;
    }));
  }
  function bar(id, used, limit) {
    var pct = limit > 0 ? Math.min(100, (used / limit) * 100) : 0;
    $(id).firstElementChild.style.width = pct + '%';
    $(id).classList.toggle('hot', pct >= 80);
  }
  var chart = null;
  function draw(s) {
    text('updated', new Date(s.at).toLocaleTimeString());
    text('day', s.today.day + ' (' + s.today.timeZone + ')');
    text('today-spent', usd(s.today.spentUsd) + ' of ' + usd(s.today.dailyLimitUsd));
    text('today-detail', usd(s.today.reservedUsd) + ' reserved by calls in flight · ' + usd(Math.max(0, s.today.dailyLimitUsd - s.today.spentUsd - s.today.reservedUsd)) + ' left · per request ' + usd(s.today.perRequestLimitUsd) + ' · resets ' + new Date(s.today.resetsAt).toLocaleString());
    bar('today-bar', s.today.spentUsd + s.today.reservedUsd, s.today.dailyLimitUsd);
    text('month', s.month.month);
    text('month-spent', usd(s.month.spentUsd));
    text('calls', s.today.calls + ' billed calls today');
    text('in-flight', String(s.inFlight));
    rows('queues', Object.keys(s.queues).map(function (q) { var x = s.queues[q]; return [q, x.waiting + x.prioritized, x.active, x.delayed, x.oldestWaitingSeconds.toFixed(1) + ' s']; }));
    rows('by-model', Object.keys(s.byModel).map(function (m) { return [m, usd(s.byModel[m])]; }));
    rows('by-key', s.byKey.map(function (k) { return [k.name + (k.revoked ? ' (revoked)' : ''), usd(k.spentUsd), k.dailyUsd !== undefined ? usd(k.dailyUsd) : '—']; }));
    rows('latest', s.latest.map(function (r) {
      return [new Date(r.finishedAt).toLocaleTimeString(), '…' + r.requestId.slice(-10), r.tool, r.caller, r.models.join(', '), r.status, usd(r.costUsd), r.promptTokens + ' / ' + r.completionTokens, r.seconds === null ? '…' : r.seconds.toFixed(2) + ' s'];
    }));
    if (window.Chart) {
      var labels = s.byDay.map(function (d) { return d.day.slice(5); });
      var data = s.byDay.map(function (d) { return d.spentUsd; });
      if (!chart) {
        chart = new window.Chart($('by-day'), { type: 'bar', data: { labels: labels, datasets: [{ label: 'USD', data: data, backgroundColor: '#2f81f7' }] }, options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } } });
      } else {
        chart.data.labels = labels;
        chart.data.datasets[0].data = data;
        chart.update();
      }
      document.body.dataset.chart = String(chart.data.labels.length);
    }
    document.body.dataset.snapshot = s.at;
  }
  var events = new EventSource('/dashboard/events');
  events.addEventListener('snapshot', function (e) { draw(JSON.parse(e.data)); });
  events.onopen = function () { $('status').className = 'live'; text('status', 'live'); };
  events.onerror = function () { $('status').className = 'down'; text('status', 'reconnecting…'); };
})();
`;
