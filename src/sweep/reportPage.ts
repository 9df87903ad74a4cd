/**
 * The static parts of the self-contained HTML report: style and script inline, a Content-Security-Policy
 * that forbids every fetch, and data placed in `<script type="application/json">` elements by the writer.
 * The script inserts data with textContent only, never as HTML.
 */
export const REPORT_PAGE_HEAD = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>akv-rotator compliance report</title>
<style>
  :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1f24; background: #f6f8fa; }
  body { margin: 0; padding: 24px 32px; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  .meta { color: #57606a; font-size: 13px; margin-bottom: 16px; }
  .cards { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 18px; }
  .card { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 10px 14px; min-width: 110px; cursor: pointer; }
  .card .n { font-size: 24px; font-weight: 600; }
  .card .l { font-size: 12px; color: #57606a; }
  .panel { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 14px; margin-bottom: 18px; }
  .panel h2 { font-size: 15px; margin: 0 0 10px; }
  .controls { display: flex; gap: 8px; margin-bottom: 10px; align-items: center; font-size: 13px; }
  .controls input { flex: 1; padding: 6px 8px; border: 1px solid #d0d7de; border-radius: 6px; }
  .controls select { padding: 6px; border: 1px solid #d0d7de; border-radius: 6px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
  th { background: #f6f8fa; position: sticky; top: 0; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; color: #fff; white-space: nowrap; }
  .detail { color: #57606a; max-width: 520px; }
  svg text { font-size: 11px; fill: #57606a; }
  .pass { color: #1a7f37; font-weight: 600; } .fail { color: #cf222e; font-weight: 600; } .na, .unknown { color: #8c959f; }
  .fix { color: #57606a; font-size: 12px; }
  .policy-card .n { color: #cf222e; }
</style>
</head>
<body>
<h1>akv-rotator compliance report</h1>
<div class="meta" id="meta"></div>
<div class="panel" id="posture-panel" data-testid="posture"><h2>Vault posture (Azure Policy)</h2><div id="posture"></div></div>
<div class="cards" id="cards"></div>
<div class="cards" id="policy-cards" data-testid="policy-cards"></div>
<div class="panel"><h2>Expiry timeline (next 26 weeks)</h2><svg id="timeline" data-testid="timeline" width="100%" height="220" viewBox="0 0 1000 220" preserveAspectRatio="none" role="img" aria-label="expiry timeline"></svg></div>
<div class="panel"><h2>Secrets</h2>
<div class="controls"><input id="filter" type="search" placeholder="Filter by vault, secret, state, rotator or detail" aria-label="filter">
<select id="state" aria-label="state"><option value="">all states</option></select>
<select id="policy" aria-label="policy"><option value="">all policies</option></select><span id="shown"></span></div>
<table><thead><tr id="head-row"><th>vault</th><th>secret</th><th>state</th><th>enabled</th><th>expires</th><th>due</th><th>rotator</th><th>owner</th><th>action</th><th>detail</th></tr></thead><tbody id="rows-body"></tbody></table>
</div>
`;

export const REPORT_PAGE_SCRIPT = `
(function () {
  var COLORS = { "ok": "#1a7f37", "near-expiry": "#bf8700", "expired": "#cf222e", "no-expiry": "#6e7781", "overdue": "#a40e26", "unmanaged": "#8c959f", "misconfigured": "#8250df", "pending-stuck": "#bc4c00" };
  var STATES = Object.keys(COLORS);
  function data(id) { return JSON.parse(document.getElementById(id).textContent); }
  var header = data("header"), rows = data("rows"), summary = data("summary");
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  var day = function (iso) { return iso ? iso.slice(0, 10) : ""; };
  document.getElementById("meta").textContent =
    "Generated " + header.generatedAt + " by " + header.trigger + (header.dryRun ? " (dry run)" : "") +
    " for " + header.vaults.map(function (v) { return v.name; }).join(", ") + ". " + summary.total + " secrets; " +
    summary.rotated + " rotated, " + summary.failed + " failed" + (summary.wouldRotate ? ", " + summary.wouldRotate + " due" : "") + ".";
  // Vault posture: each vault's checks against the Azure Policy definitions, failing ones with what to change.
  var posture = header.posture || [], postureBox = document.getElementById("posture");
  if (!posture.length) document.getElementById("posture-panel").style.display = "none";
  posture.forEach(function (v) {
    postureBox.appendChild(el("h3", { style: "font-size:14px;margin:8px 0 4px" }, v.vault + (v.resourceId ? "" : " (no resource ID: KEYVAULT_RESOURCE_IDS)")));
    if (v.error) postureBox.appendChild(el("div", { "class": "fail", "data-testid": "posture-error" }, v.error));
    var table = el("table"), tb = el("tbody");
    (v.checks || []).forEach(function (c) {
      var tr = el("tr", { "data-testid": "posture-check", "data-vault": v.vault, "data-check": c.name, "data-status": c.status });
      tr.appendChild(el("td", {}, c.title));
      tr.appendChild(el("td", { "class": c.status }, c.status === "pass" ? "\u2713 pass" : c.status === "fail" ? "\u2717 fail" : "? " + c.status));
      tr.appendChild(el("td", { "class": "detail" }, c.detail));
      tr.appendChild(el("td", { "class": "fix" }, c.status === "fail" && c.fix ? c.fix : ""));
      tr.appendChild(el("td", { "class": "fix" }, c.definitionIds.join(", ")));
      tb.appendChild(tr);
    });
    table.appendChild(tb); postureBox.appendChild(table);
  });
  // Azure Policy definitions for secrets: one column each, and a card with each one's non-compliant count.
  var policies = header.policies || [], headRow = document.getElementById("head-row"), policySelect = document.getElementById("policy");
  var policyCards = document.getElementById("policy-cards"), nonCompliant = summary.policyNonCompliant || {};
  policies.forEach(function (p, i) {
    headRow.insertBefore(el("th", { title: p.displayName + " (" + p.definitionId + ")", "data-testid": "policy-column" }, "P" + (i + 1)), headRow.children[3 + i]);
    var card = el("div", { "class": "card policy-card", "data-testid": "policy-card-" + p.name, title: p.displayName + " (" + p.definitionId + ")" });
    card.appendChild(el("div", { "class": "n" }, String(nonCompliant[p.name] || 0)));
    card.appendChild(el("div", { "class": "l" }, "P" + (i + 1) + " non-compliant: " + p.displayName));
    card.addEventListener("click", function () { policySelect.value = p.name; render(); });
    policyCards.appendChild(card);
    policySelect.appendChild(el("option", { value: p.name }, "P" + (i + 1) + " fails: " + p.name));
  });
  var cards = document.getElementById("cards"), select = document.getElementById("state");
  STATES.forEach(function (s) {
    var card = el("div", { "class": "card", "data-testid": "card-" + s });
    card.appendChild(el("div", { "class": "n", style: "color:" + COLORS[s] }, String(summary.byState[s] || 0)));
    card.appendChild(el("div", { "class": "l" }, s));
    card.addEventListener("click", function () { select.value = s; render(); });
    cards.appendChild(card);
    select.appendChild(el("option", { value: s }, s));
  });

  // Timeline: one bar per week of expiries, stacked by state; expired first.
  var chart = document.getElementById("timeline"), now = Date.parse(summary.completedAt), WEEK = 7 * 864e5, WEEKS = 26;
  var buckets = []; for (var i = 0; i <= WEEKS; i++) buckets.push({});
  rows.forEach(function (r) {
    if (!r.expiresOn) return;
    var w = Math.floor((Date.parse(r.expiresOn) - now) / WEEK);
    var b = w < 0 ? 0 : w + 1;
    if (b > WEEKS) return;
    buckets[b][r.state] = (buckets[b][r.state] || 0) + 1;
  });
  var max = 1; buckets.forEach(function (b) { var t = 0; for (var k in b) t += b[k]; if (t > max) max = t; });
  var width = 1000 / (WEEKS + 1), top = 10, height = 180;
  buckets.forEach(function (b, i) {
    var y = top + height;
    STATES.forEach(function (s) {
      if (!b[s]) return;
      var h = Math.max(1, (b[s] / max) * height); y -= h;
      var rect = svg("rect", { x: String(i * width + 2), y: String(y), width: String(width - 4), height: String(h), fill: COLORS[s], "data-testid": "timeline-bar" });
      var title = svg("title", {}); title.textContent = (i === 0 ? "expired" : "week " + i) + ": " + b[s] + " " + s; rect.appendChild(title);
      chart.appendChild(rect);
    });
    if (i % 4 === 0) {
      var label = svg("text", { x: String(i * width + 2), y: "210" });
      label.textContent = i === 0 ? "expired" : day(new Date(now + (i - 1) * WEEK).toISOString());
      chart.appendChild(label);
    }
  });
  chart.appendChild(svg("line", { x1: String(width), x2: String(width), y1: "5", y2: "195", stroke: "#57606a", "stroke-dasharray": "4 3" }));

  var input = document.getElementById("filter"), body = document.getElementById("rows-body"), shown = document.getElementById("shown");
  var LIMIT = 1000;
  function render() {
    var q = input.value.trim().toLowerCase(), s = select.value, pf = policySelect.value, n = 0, out = document.createDocumentFragment();
    rows.forEach(function (r) {
      if (s && r.state !== s) return;
      if (pf && !(r.policy && r.policy[pf] === "fail")) return;
      if (q && [r.vault, r.secret, r.state, r.rotator || "", r.owner || "", r.detail].join(" ").toLowerCase().indexOf(q) < 0) return;
      n++;
      if (n > LIMIT) return;
      var tr = el("tr", { "data-testid": "row" });
      tr.appendChild(el("td", {}, r.vault));
      tr.appendChild(el("td", {}, r.secret));
      var td = el("td"); td.appendChild(el("span", { "class": "badge", style: "background:" + COLORS[r.state] }, r.state)); tr.appendChild(td);
      policies.forEach(function (p) {
        var result = r.policy ? r.policy[p.name] : "n/a";
        tr.appendChild(el("td", { "class": result === "n/a" ? "na" : result, "data-testid": "policy-cell", "data-policy": p.name, "data-result": result, title: p.displayName }, result === "pass" ? "\u2713" : result === "fail" ? "\u2717" : "\u2013"));
      });
      tr.appendChild(el("td", {}, r.enabled === false ? "no" : "yes"));
      tr.appendChild(el("td", {}, day(r.expiresOn)));
      tr.appendChild(el("td", {}, day(r.dueAt)));
      tr.appendChild(el("td", {}, r.rotator || ""));
      tr.appendChild(el("td", {}, r.owner || ""));
      tr.appendChild(el("td", {}, r.action + (r.outcome && r.outcome.error ? " (" + r.outcome.error.code + ")" : "")));
      var consumers = (r.consumers || []).map(function (c) { return c.consumer + (c.state ? " (" + c.state + (c.version ? " " + c.version.slice(0, 8) : "") + ")" : ""); }).join(", ");
      tr.appendChild(el("td", { "class": "detail" }, (r.outcome && r.outcome.error ? r.outcome.error.message : r.detail) + (consumers ? " · consumers: " + consumers : "") + (r.consumerProblem ? " · " + r.consumerProblem : "") + (r.lockoutRisk ? " · lockout risk: " + r.lockoutRisk : "")));
      out.appendChild(tr);
    });
    body.replaceChildren(out);
    shown.textContent = "showing " + Math.min(n, LIMIT) + " of " + n + (n === rows.length ? "" : " (" + rows.length + " in all)");
  }
  input.addEventListener("input", render);
  select.addEventListener("change", render);
  policySelect.addEventListener("change", render);
  render();
})();
`;
