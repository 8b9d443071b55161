// The KPI dashboard: fetches GET /v1/kpis with the admin token and draws it as inline SVG.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const TOKEN_KEY = "cerebro.adminToken";

function percent(value) {
  return value === null ? "n/a" : (value * 100).toFixed(1) + "%";
}

function money(cents, currency) {
  return cents === null ? "n/a" : currency + " " + (cents / 100).toFixed(2);
}

function hours(seconds) {
  return seconds === null ? "n/a" : (seconds / 3600).toFixed(1) + " h";
}

function setKpi(name, value, text) {
  const node = document.querySelector(`[data-kpi="${name}"]`);
  node.dataset.value = value === null ? "" : String(value);
  node.textContent = text;
}

// A horizontal bar chart: one labelled bar per item ({label, value, text}).
function barChart(container, items, description) {
  container.replaceChildren();
  if (items.length === 0) {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = "Nothing in this period.";
    container.append(empty);
    return;
  }
  const rowHeight = 26, labelWidth = 190, barWidth = 260, valueWidth = 90;
  const width = labelWidth + barWidth + valueWidth;
  const max = Math.max(...items.map((item) => item.value), 0);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${items.length * rowHeight}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", description);
  items.forEach((item, index) => {
    const y = index * rowHeight;
    const group = document.createElementNS(SVG, "g");
    group.setAttribute("class", "row");
    group.dataset.label = item.label;
    group.dataset.value = String(item.value);
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", "0");
    label.setAttribute("y", String(y + 17));
    label.textContent = item.label;
    const bar = document.createElementNS(SVG, "rect");
    bar.setAttribute("class", "bar");
    bar.setAttribute("x", String(labelWidth));
    bar.setAttribute("y", String(y + 5));
    bar.setAttribute("height", String(rowHeight - 10));
    bar.setAttribute("width", String(max > 0 ? Math.max(1, (item.value / max) * barWidth) : 1));
    const value = document.createElementNS(SVG, "text");
    value.setAttribute("x", String(labelWidth + barWidth + 6));
    value.setAttribute("y", String(y + 17));
    value.textContent = item.text;
    group.append(label, bar, value);
    svg.append(group);
  });
  container.append(svg);
}

function render(kpis) {
  const currency = kpis.cost.currency;
  const totals = kpis.totals;
  document.getElementById("period").textContent =
    `From ${kpis.since} to ${kpis.until}`;
  setKpi("entered", totals.entered, String(totals.entered));
  setKpi("completion_rate", totals.completion_rate, percent(totals.completion_rate));
  setKpi("avg_time_to_completion", totals.avg_time_to_completion_seconds,
         hours(totals.avg_time_to_completion_seconds));
  setKpi("repeat_contact_rate", kpis.repeat_contacts.rate, percent(kpis.repeat_contacts.rate));
  setKpi("suppressed", kpis.suppressed.total, String(kpis.suppressed.total));
  setKpi("revenue", kpis.revenue.attributed_cents,
         money(kpis.revenue.attributed_cents, currency));
  setKpi("cost_per_service", kpis.cost.per_service_cents,
         money(kpis.cost.per_service_cents, currency));

  const journeys = kpis.journeys;
  barChart(document.getElementById("chart-completion"),
    journeys.filter((j) => j.completion_rate !== null).map((j) => (
      { label: j.journey_id, value: j.completion_rate, text: percent(j.completion_rate) })),
    "Completion rate by journey");
  barChart(document.getElementById("chart-time"),
    journeys.filter((j) => j.avg_time_to_completion_seconds !== null).map((j) => ({
      label: j.journey_id, value: j.avg_time_to_completion_seconds,
      text: hours(j.avg_time_to_completion_seconds) })),
    "Average time to completion by journey");
  barChart(document.getElementById("chart-suppressed"),
    Object.entries(kpis.suppressed.by_policy).map(([policy, count]) => (
      { label: policy, value: count, text: String(count) })),
    "Messages suppressed by policy");
  barChart(document.getElementById("chart-revenue"),
    journeys.filter((j) => j.revenue_cents > 0).map((j) => (
      { label: j.journey_id, value: j.revenue_cents, text: money(j.revenue_cents, currency) })),
    "Revenue attributed by journey");
  const costs = Object.entries(kpis.cost.by_channel)
    .filter(([, item]) => item.cents > 0)
    .map(([channel, item]) => ({ label: channel, value: item.cents,
                                 text: money(item.cents, currency) }));
  if (kpis.cost.agent_cents > 0) {
    costs.push({ label: "agent time", value: kpis.cost.agent_cents,
                 text: money(kpis.cost.agent_cents, currency) });
  }
  barChart(document.getElementById("chart-cost"), costs, "Cost by channel and agent time");

  const body = document.querySelector("#journeys tbody");
  body.replaceChildren(...journeys.map((j) => {
    const row = document.createElement("tr");
    row.dataset.journey = j.journey_id;
    const cells = [j.journey_id, j.entered, j.completed, j.exited, j.failed,
                   percent(j.completion_rate), j.messages_sent,
                   money(j.revenue_cents, currency)];
    row.replaceChildren(...cells.map((value) => {
      const cell = document.createElement("td");
      cell.textContent = String(value);
      return cell;
    }));
    return row;
  }));
  document.getElementById("report").hidden = false;
}

async function load() {
  const status = document.getElementById("status");
  const token = document.getElementById("token").value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
  const days = Number(document.getElementById("days").value);
  status.className = "muted";
  status.textContent = "Loading…";
  const clock = await fetch("/v1/admin/clock", { headers: { Authorization: `Bearer ${token}` } });
  if (!clock.ok) {
    status.className = "error";
    status.textContent = (await clock.json()).detail;
    document.getElementById("report").hidden = true;
    return;
  }
  // The period ends now (the engine's clock, which may be simulated); the server picks the end.
  const now = new Date((await clock.json()).now);
  const since = new Date(now.getTime() - days * 86400000);
  const query = new URLSearchParams({ since: since.toISOString() });
  const answer = await fetch(`/v1/kpis?${query}`,
                             { headers: { Authorization: `Bearer ${token}` } });
  const body = await answer.json();
  if (!answer.ok) {
    status.className = "error";
    status.textContent = body.detail;
    return;
  }
  render(body);
  status.textContent = "";
}

function show() {
  load().catch((error) => {
    const status = document.getElementById("status");
    status.className = "error";
    status.textContent = `Could not load the KPIs: ${error}`;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("controls").addEventListener("submit", (event) => {
    event.preventDefault();
    show();
  });
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) {
    document.getElementById("token").value = saved;
    show();
  }
});
