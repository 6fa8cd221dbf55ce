/// The console served at `/` (README "Console"): one page, its style and script inline, nothing fetched from
/// elsewhere. It reads `/console/state` once, then follows `/console/events`; the chart is plain SVG.
enum ConsolePage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mqbridge console</title>
<style>
:root { --bg:#f6f7f9; --card:#fff; --ink:#1c2330; --dim:#6b7484; --line:#e2e5ea; --ok:#1f9d55; --bad:#d6453d;
        --outflow:#2f6fdf; --delivered:#1f9d55; --inflow:#b260d6; --rejected:#d6453d; }
* { box-sizing:border-box; }
body { margin:0; font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; background:var(--bg); color:var(--ink); }
header { display:flex; align-items:center; gap:16px; padding:12px 20px; background:#1c2330; color:#fff; }
header h1 { font-size:18px; margin:0; font-weight:600; }
header .dim { color:#aab2c0; }
#live { margin-left:auto; padding:2px 10px; border-radius:10px; background:#555; font-size:12px; }
#live.on { background:var(--ok); } #live.off { background:var(--bad); }
main { display:grid; grid-template-columns:repeat(auto-fit,minmax(460px,1fr)); gap:16px; padding:16px 20px; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 16px; min-width:0; }
section.wide { grid-column:1/-1; }
h2 { font-size:15px; margin:0 0 8px; }
table { width:100%; border-collapse:collapse; font-size:13px; }
th, td { text-align:left; padding:4px 6px; border-bottom:1px solid var(--line); vertical-align:top; word-break:break-all; }
th { color:var(--dim); font-weight:500; }
td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; word-break:normal; }
.stats { display:flex; flex-wrap:wrap; gap:18px; margin:4px 0 10px; }
.stat b { display:block; font-size:20px; font-variant-numeric:tabular-nums; }
.stat span { color:var(--dim); font-size:12px; }
.badge { display:inline-block; padding:1px 8px; border-radius:9px; font-size:12px; color:#fff; background:var(--dim); }
.badge.ok { background:var(--ok); } .badge.bad { background:var(--bad); }
.dim { color:var(--dim); }
svg { width:100%; height:180px; display:block; }
.legend span { margin-right:14px; font-size:12px; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:-1px; }
form { display:grid; grid-template-columns:110px 1fr; gap:6px 10px; align-items:center; }
form label { color:var(--dim); font-size:12px; }
input, select, textarea { font:inherit; padding:4px 6px; border:1px solid var(--line); border-radius:4px; width:100%; }
textarea { min-height:48px; font-family:ui-monospace,monospace; font-size:12px; }
button { font:inherit; padding:5px 14px; border:0; border-radius:4px; background:var(--outflow); color:#fff; cursor:pointer; }
pre { background:#f0f2f5; padding:8px; border-radius:4px; overflow:auto; font-size:12px; max-height:260px; margin:8px 0 0; white-space:pre-wrap; word-break:break-all; }
ul.events { list-style:none; margin:0; padding:0; max-height:220px; overflow:auto; font-size:12px; }
ul.events li { padding:3px 0; border-bottom:1px solid var(--line); font-family:ui-monospace,monospace; }
.inflow-only { display:none; } form.inflow .inflow-only { display:block; } form.inflow .outflow-only { display:none; }
</style>
</head>
<body>
<header>
  <h1>mqbridge</h1>
  <span class="dim" id="uptime"></span>
  <span id="health"></span>
  <span id="live">connecting…</span>
</header>
<main>
  <section class="wide">
    <h2>Rates</h2>
    <div class="stats">
      <div class="stat"><b id="rate-outflow">0</b><span>outflow msg/s</span></div>
      <div class="stat"><b id="rate-delivered">0</b><span>delivered msg/s</span></div>
      <div class="stat"><b id="rate-inflow">0</b><span>inflow msg/s</span></div>
      <div class="stat"><b id="rate-rejected">0</b><span>rejected msg/s</span></div>
      <div class="stat"><b id="total-outflow">0</b><span>outflow total</span></div>
      <div class="stat"><b id="total-delivered">0</b><span>delivered total</span></div>
      <div class="stat"><b id="total-inflow">0</b><span>inflow total</span></div>
      <div class="stat"><b id="total-rejected">0</b><span>rejected total</span></div>
    </div>
    <svg id="chart" viewBox="0 0 1000 180" preserveAspectRatio="none"><text x="500" y="95" text-anchor="middle" fill="#6b7484" font-size="14">the chart starts with the second update</text></svg>
    <div class="legend"><span><i style="background:var(--outflow)"></i>outflow</span><span><i style="background:var(--delivered)"></i>delivered</span><span><i style="background:var(--inflow)"></i>inflow</span><span><i style="background:var(--rejected)"></i>rejected</span><span class="dim" id="chart-scale"></span></div>
  </section>
  <section>
    <h2>Rules</h2>
    <div class="dim" id="reload">rules as loaded at start</div>
    <table id="rules"><thead><tr><th>kind</th><th>rule</th><th>from → to</th><th class="n">total</th><th class="n">msg/s</th><th>last minutes</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Connected</h2>
    <table id="checks"><tbody></tbody></table>
    <div class="stats" id="queue"></div>
    <table id="peers"><thead><tr><th>kind</th><th>name</th><th>subscription</th><th class="n">window</th><th class="n">in flight</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Client status</h2>
    <div class="stats">
      <div class="stat"><b id="online-count">–</b><span>online clients</span></div>
      <div class="stat"><b id="tracked-count">–</b><span>tracked clients</span></div>
    </div>
    <form id="lookup" onsubmit="return lookup(event)"><label for="lookup-id">client ID</label><input id="lookup-id" placeholder="QuerySessionByClientId"></form>
    <pre id="lookup-result" hidden></pre>
    <h2 style="margin-top:10px">Latest status events</h2>
    <ul class="events" id="status-events"></ul>
  </section>
  <section>
    <h2>Try a message</h2>
    <form id="try" onsubmit="return tryMessage(event)">
      <label>direction</label><select id="try-direction" onchange="document.getElementById('try').className=this.value"><option value="outflow">MQTT → queue</option><option value="inflow">queue → MQTT</option></select>
      <label>topic</label><input id="try-topic" placeholder="MQTT topic, or queue topic for queue → MQTT">
      <label class="outflow-only">payload</label><textarea class="outflow-only" id="try-payload"></textarea>
      <label class="outflow-only">user properties</label><textarea class="outflow-only" id="try-properties" placeholder="key=value, one a line"></textarea>
      <label class="outflow-only">client ID</label><input class="outflow-only" id="try-client">
      <label class="outflow-only">QoS</label><select class="outflow-only" id="try-qos"><option>0</option><option>1</option><option>2</option></select>
      <label class="inflow-only">tag</label><input class="inflow-only" id="try-tag">
      <label class="inflow-only">keys</label><input class="inflow-only" id="try-keys" placeholder="space-separated">
      <label class="inflow-only">properties</label><textarea class="inflow-only" id="try-qprops" placeholder="name=value, one a line (e.g. mqttSecondTopic=…)"></textarea>
      <label class="inflow-only">body</label><textarea class="inflow-only" id="try-body"></textarea>
      <span></span><button type="submit">Translate</button>
    </form>
    <pre id="try-result" hidden></pre>
  </section>
  <section class="wide">
    <h2>Recent rejections</h2>
    <div class="dim" id="reasons"></div>
    <table id="rejections"><thead><tr><th>time</th><th>direction</th><th>reason</th><th>topic</th><th>detail</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<script>
"use strict";
const token = new URLSearchParams(location.search).get("token");
const authHeaders = token ? { "Authorization": "Bearer " + token } : {};
const series = ["outflow", "delivered", "inflow", "rejected"];
const windowSeconds = 300;
let history = [];          // {t, outflow, delivered, inflow, rejected} rates, per second
let ruleHistory = {};      // "kind/id" -> [{t, rate}]
let previous = null;       // the state before the latest
let updates = 0;

function el(id) { return document.getElementById(id); }
function text(tag, value, cls) { const e = document.createElement(tag); e.textContent = value; if (cls) e.className = cls; return e; }
function row(cells) { const tr = document.createElement("tr"); for (const c of cells) tr.appendChild(c instanceof Node ? c : text("td", String(c))); return tr; }
function num(value) { return text("td", String(value), "n"); }
function fmt(rate) { return rate >= 100 ? Math.round(rate).toLocaleString() : rate.toFixed(1); }
function time(ms) { return new Date(ms).toLocaleTimeString(); }
function replaceRows(table, rows) { const body = el(table).tBodies[0]; body.replaceChildren(...rows); }

function rate(now, before, pick) {
  if (!before) return 0;
  const seconds = (now.time - before.time) / 1000;
  return seconds > 0 ? Math.max(0, (pick(now) - pick(before)) / seconds) : 0;
}

function apply(state) {
  updates += 1;
  document.body.dataset.updates = String(updates);
  const rates = { t: state.time };
  for (const name of series) rates[name] = rate(state, previous, s => s.totals[name]);
  if (previous) history.push(rates);
  history = history.filter(r => r.t > state.time - windowSeconds * 1000);
  for (const name of series) {
    el("rate-" + name).textContent = fmt(rates[name]);
    el("total-" + name).textContent = state.totals[name].toLocaleString();
  }
  el("uptime").textContent = "up " + Math.round((state.time - state.startedAt) / 1000) + " s";
  drawChart(state.time);
  showRules(state);
  showConnections(state);
  showStatus(state.status);
  showRejections(state);
  previous = state;
}

function drawChart(now) {
  const svg = el("chart");
  const max = Math.max(1, ...history.flatMap(r => series.map(n => r[n])));
  // The chart spans what there is, from 30 s up to the whole window.
  const span = Math.min(windowSeconds * 1000, Math.max(30000, history.length ? now - history[0].t : 0));
  const x = t => 1000 - (now - t) / span * 1000;
  const y = v => 175 - v / max * 165;
  let shapes = "";
  for (const name of series) {
    if (history.length < 1) break;
    const points = history.map(r => x(r.t).toFixed(1) + "," + y(r[name]).toFixed(1)).join(" ");
    shapes += '<polyline fill="none" stroke-width="2" stroke="var(--' + name + ')" points="' + points + '"/>';
  }
  svg.innerHTML = '<line x1="0" y1="175" x2="1000" y2="175" stroke="#e2e5ea"/>' + shapes;
  el("chart-scale").textContent = "last " + Math.round(span / 1000) + " s, top " + fmt(max) + " msg/s";
}

function showRules(state) {
  const rows = [];
  const kinds = [["outflow", r => r.mqttFilter + " → " + r.queueTopic],
                 ["inflow", r => r.queueTopic + " [" + r.tags + "] → " + r.mqttParent],
                 ["status", r => "status → " + r.queueTopic + " (" + r.groupId + ")"]];
  for (const [kind, describe] of kinds) {
    for (const rule of state.rules[kind]) {
      const before = previous && previous.rules[kind].find(r => r.id === rule.id);
      const perSecond = before ? rate({ time: state.time, c: rule.count }, { time: previous.time, c: before.count }, s => s.c) : 0;
      const key = kind + "/" + rule.id;
      if (previous) (ruleHistory[key] = ruleHistory[key] || []).push({ t: state.time, rate: perSecond });
      ruleHistory[key] = (ruleHistory[key] || []).filter(p => p.t > state.time - windowSeconds * 1000);
      const spark = document.createElement("td");
      spark.innerHTML = sparkline(ruleHistory[key], state.time);
      const tr = row([kind, rule.id, describe(rule), num(rule.count.toLocaleString()), num(fmt(perSecond)), spark]);
      tr.dataset.rule = rule.id;
      rows.push(tr);
    }
  }
  replaceRows("rules", rows);
  const reload = state.lastReload;
  el("reload").textContent = reload ? "last reload " + time(reload.time) + ": " + (reload.ok ? "ok, " : "REFUSED, ") + reload.detail
                                    : "rules as loaded at start (" + time(state.startedAt) + ")";
}

function sparkline(points, now) {
  if (points.length < 2) return "";
  const max = Math.max(1, ...points.map(p => p.rate));
  const span = Math.max(30000, now - points[0].t);
  const xy = points.map(p => (100 - (now - p.t) / span * 100).toFixed(1) + "," + (19 - p.rate / max * 17).toFixed(1)).join(" ");
  return '<svg viewBox="0 0 100 20" preserveAspectRatio="none" style="height:20px;width:100px"><polyline fill="none" stroke="var(--outflow)" stroke-width="1.5" points="' + xy + '"/></svg>';
}

function showConnections(state) {
  el("checks").tBodies[0].replaceChildren(...state.health.map(check => {
    const badge = text("span", check.ok ? "ok" : "down", "badge " + (check.ok ? "ok" : "bad"));
    const cell = document.createElement("td"); cell.appendChild(badge);
    return row([check.name, cell, check.detail]);
  }));
  el("health").replaceChildren(...state.health.map(check => text("span", check.name, "badge " + (check.ok ? "ok" : "bad"))));
  const q = state.queue;
  const items = [["in flight", q.inFlight], ["durable backlog", q.durableBacklog], ["held for engine", q.heldForEngine],
                 ["spool bytes", q.spoolBytes === null ? "–" : q.spoolBytes], ["spool messages", q.spoolMessages === null ? "–" : q.spoolMessages]];
  el("queue").replaceChildren(...items.map(([label, value]) => {
    const d = document.createElement("div"); d.className = "stat";
    d.append(text("b", String(value)), text("span", label));
    return d;
  }));
  replaceRows("peers", state.peers.map(p => {
    const sub = p.topic !== undefined ? p.topic + " [" + p.tags + "]" + (p.group ? " group " + p.group + (p.durable ? " (durable)" : "") : "") : "";
    return row([p.kind, p.name, sub, num(p.window ?? "–"), num(p.inFlight)]);
  }));
}

function showStatus(status) {
  if (!status) {
    el("online-count").textContent = "–";
    el("tracked-count").textContent = "–";
    el("status-events").replaceChildren(text("li", "no status.source in the mapping file", "dim"));
    return;
  }
  el("online-count").textContent = String(status.online);
  el("tracked-count").textContent = String(status.tracked);
  el("status-events").replaceChildren(...status.recent.map(e =>
    text("li", time(e.time) + "  " + e.eventType.padEnd(11) + e.clientId + "  " + e.clientIp + "  " + e.channelId)));
}

function showRejections(state) {
  el("reasons").textContent = Object.entries(state.rejectedByReason).map(([reason, count]) => reason + ": " + count).join(" · ") || "none so far";
  replaceRows("rejections", state.recentRejections.map(r => row([time(r.time), r.direction, r.reason, r.topic, r.detail])));
}

async function lookup(event) {
  event.preventDefault();
  const id = el("lookup-id").value;
  if (!id) return false;
  const out = el("lookup-result");
  out.hidden = false;
  const online = await fetch("/?Action=QuerySessionByClientId&ClientId=" + encodeURIComponent(id), { headers: authHeaders }).then(r => r.json());
  const details = await fetch("/v1/clients/" + encodeURIComponent(id), { headers: authHeaders }).then(r => r.json());
  out.textContent = JSON.stringify(online, null, 2) + "\n" + JSON.stringify(details, null, 2);
  return false;
}

function pairs(textValue) {
  return textValue.split("\n").map(line => line.trim()).filter(Boolean).map(line => {
    const at = line.indexOf("=");
    return at < 0 ? [line, ""] : [line.slice(0, at), line.slice(at + 1)];
  });
}

async function tryMessage(event) {
  event.preventDefault();
  const direction = el("try-direction").value;
  const request = { direction, topic: el("try-topic").value };
  if (direction === "outflow") {
    request.payload = el("try-payload").value;
    request.qos = Number(el("try-qos").value);
    request.clientId = el("try-client").value;
    request.userProperties = pairs(el("try-properties").value).map(([key, value]) => ({ key, value }));
  } else {
    request.tag = el("try-tag").value;
    request.keys = el("try-keys").value.split(/\s+/).filter(Boolean);
    request.properties = Object.fromEntries(pairs(el("try-qprops").value));
    request.body = el("try-body").value;
  }
  const out = el("try-result");
  out.hidden = false;
  const response = await fetch("/console/translate", { method: "POST", headers: { ...authHeaders, "Content-Type": "application/json" }, body: JSON.stringify(request) });
  const answer = await response.json();
  out.textContent = answer.result === "translated" ? answer.messages.map(m => "rule " + m.rule + ":\n" + JSON.stringify(m.message, null, 2)).join("\n")
                  : answer.result + (answer.reason ? " (" + answer.reason + ")" : "") + ": " + answer.message;
  out.dataset.result = answer.result;
  return false;
}

function follow() {
  const source = new EventSource("/console/events" + (token ? "?token=" + encodeURIComponent(token) : ""));
  source.addEventListener("state", e => { el("live").textContent = "live"; el("live").className = "on"; apply(JSON.parse(e.data)); });
  source.addEventListener("unavailable", e => { el("live").textContent = "hub not answering"; el("live").className = "off"; });
  source.onerror = () => { el("live").textContent = "disconnected, retrying"; el("live").className = "off"; };
}

follow();
</script>
</body>
</html>
"""#
}
