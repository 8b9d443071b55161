"""The reports for people: one self-contained HTML page per run, and one per comparison.

Charts are inline SVG, styles inline CSS: the pages open from a file, offline, with nothing
fetched from anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from evals.metrics import RATIOS, Metrics
from evals.report import Comparison, Report

STYLE = (
    "body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;"
    "color:#1d2433;padding:0 1rem}"
    "h1{font-size:1.5rem}"
    "h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde;padding-bottom:.3rem}"
    "table{border-collapse:collapse;margin:.5rem 0}"
    "td,th{padding:.3rem .7rem;border-bottom:1px solid #eef;text-align:left}"
    "th{background:#f4f6fb}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".pass{color:#137333}.fail{color:#b3261e}.muted{color:#667}"
    ".cards{display:flex;flex-wrap:wrap;gap:.8rem}"
    ".card{border:1px solid #dde;border-radius:8px;padding:.6rem 1rem;min-width:150px}"
    ".card b{display:block;font-size:1.4rem}.charts{display:flex;flex-wrap:wrap;gap:2rem}"
    "details{margin:.3rem 0}summary{cursor:pointer}code{background:#f4f6fb;padding:0 .25rem}"
    ".breach{background:#fdecea;border:1px solid #f5c2c0;padding:.6rem 1rem;border-radius:6px}"
)

LABELS = {
    "task_success": "Task success",
    "intent_accuracy": "Intent accuracy",
    "tool_precision": "Tool-call precision",
    "tool_recall": "Tool-call recall",
    "handoff_precision": "Handoff precision",
    "handoff_recall": "Handoff recall",
    "sentiment_accuracy": "Sentiment accuracy",
    "turns_to_resolution": "Turns to resolution",
    "policy_violations": "Policy violations",
    "latency_median_ms": "Latency median (ms)",
    "latency_p95_ms": "Latency p95 (ms)",
}


def _fmt(value: float | int | None, ratio: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if ratio else f"{value:g}"


def bar_chart(name: str, title: str, values: Mapping[str, float | None], scale: float = 1.0) -> str:
    """A horizontal bar chart: one bar per label, `scale` is the full-width value."""
    row, label_width, width = 22, 150, 260
    height = row * len(values) + 30
    bars = []
    for index, (label, value) in enumerate(values.items()):
        y = 24 + index * row
        length = 0.0 if value is None else max(0.0, min(1.0, value / scale)) * width
        shown = _fmt(value, ratio=scale == 1.0)
        bars.append(
            f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end" font-size="12">'
            f"{escape(label)}</text>"
            f'<rect class="bar" x="{label_width}" y="{y + 2}" width="{length:.1f}" height="15" '
            f'fill="#4a6cf7" data-label="{escape(label)}" data-value="{shown}"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 13}" font-size="11">{shown}</text>'
        )
    return (
        f'<svg class="chart" data-chart="{escape(name)}" role="img" aria-label="{escape(title)}" '
        f'width="{label_width + width + 60}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f'<text x="0" y="14" font-size="13" font-weight="600">{escape(title)}</text>'
        + "".join(bars)
        + "</svg>"
    )


def latency_histogram(latencies: Sequence[float]) -> str:
    """How many turns took how long, in ten buckets up to the slowest turn."""
    if not latencies:
        return ""
    top = max(latencies) or 1.0
    buckets = [0] * 10
    for value in latencies:
        buckets[min(9, int(value / top * 10))] += 1
    tallest = max(buckets)
    width, height = 400, 140
    bars = "".join(
        f'<rect class="bar" x="{10 + i * 38}" y="{120 - count / tallest * 95:.1f}" width="32" '
        f'height="{count / tallest * 95:.1f}" fill="#7a5af8" data-value="{count}">'
        f"<title>{i * top / 10:.0f}-{(i + 1) * top / 10:.0f} ms: {count} turns</title></rect>"
        for i, count in enumerate(buckets)
    )
    return (
        f'<svg class="chart" data-chart="latency" role="img" aria-label="Latency per turn" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f'<text x="0" y="14" font-size="13" font-weight="600">Latency per turn (ms)</text>'
        f"{bars}"
        f'<text x="10" y="135" font-size="11">0</text>'
        f'<text x="390" y="135" font-size="11" text-anchor="end">{top:.0f}</text></svg>'
    )


def _metrics_table(groups: Mapping[str, Metrics], first: str) -> str:
    names = [*RATIOS, "turns_to_resolution", "policy_violations", "latency_p95_ms"]
    head = "".join(f"<th>{LABELS[n]}</th>" for n in names)
    rows = "".join(
        f"<tr><th>{escape(group)}</th><td class=num>{m.conversations}</td>"
        + "".join(f"<td class=num>{_fmt(getattr(m, n), n in RATIOS)}</td>" for n in names)
        + "</tr>"
        for group, m in groups.items()
    )
    return f"<table><tr><th>{first}</th><th>Conversations</th>{head}</tr>{rows}</table>"


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )


def report_html(report: Report) -> str:
    overall, run = report.overall, report.run
    cards = "".join(
        f'<div class="card" data-metric="{name}">{LABELS[name]}'
        f"<b>{_fmt(getattr(overall, name), name in RATIOS)}</b></div>"
        for name in LABELS
    )
    verdict = (
        '<p class="breach fail" id="breaches"><b>Below thresholds:</b> '
        + "; ".join(escape(b) for b in run.breaches)
        + "</p>"
        if run.breaches
        else '<p class="pass" id="breaches">All thresholds met.</p>'
    )
    charts = "".join(
        [
            bar_chart(
                "task-success-by-flow",
                "Task success per flow",
                {flow: m.task_success for flow, m in report.by_flow.items()},
            ),
            bar_chart(
                "task-success-by-language",
                "Task success per language",
                {lang: m.task_success for lang, m in report.by_language.items()},
            ),
            bar_chart(
                "overall",
                "Overall ratios",
                {LABELS[n]: getattr(overall, n) for n in RATIOS},
            ),
            latency_histogram([t.milliseconds for c in report.conversations for t in c.turns]),
        ]
    )
    failed = [c for c in report.conversations if not c.success]
    failures = "".join(
        f"<details><summary><code>{escape(c.id)}</code> ({escape(c.flow)}, {c.language}) "
        f'<span class="muted">{escape(c.source)}</span></summary><ul>'
        + "".join(f"<li>{escape(f)}</li>" for f in c.failures)
        + "".join(f"<li class=fail>{escape(v.kind)}: {escape(v.detail)}</li>" for v in c.violations)
        + "</ul></details>"
        for c in failed
    )
    conversations = "".join(
        f"<tr><td><code>{escape(c.id)}</code></td><td>{escape(c.flow)}</td><td>{c.language}</td>"
        f"<td>{escape(', '.join(c.tags))}</td><td class=num>{len(c.turns)}</td>"
        f'<td class="{"pass" if c.success else "fail"}">{"pass" if c.success else "fail"}</td></tr>'
        for c in report.conversations
    )
    body = (
        f"<h1>Cerebro eval: {overall.conversations} conversations, {run.brain} brain</h1>"
        f'<p class="muted">{run.started_at:%Y-%m-%d %H:%M:%S %Z}, {run.seconds:.1f} s, '
        f"{run.workers} workers, {overall.turns} turns; {escape(', '.join(run.sources))}</p>"
        f"{verdict}<div class=cards id=metrics>{cards}</div>"
        f"<h2>Charts</h2><div class=charts>{charts}</div>"
        f"<h2>Per flow</h2>{_metrics_table(report.by_flow, 'Flow')}"
        f"<h2>Per language</h2>{_metrics_table(report.by_language, 'Language')}"
        f'<h2>Failed conversations ({len(failed)})</h2><div id="failures">'
        f"{failures or '<p class=pass>None.</p>'}</div>"
        f"<h2>All conversations</h2><table id=conversations><tr><th>Id</th><th>Flow</th>"
        f"<th>Language</th><th>Tags</th><th>Turns</th><th>Result</th></tr>{conversations}</table>"
    )
    return _page(f"Cerebro eval: {run.brain}", body)


VERDICT_CLASS = {"better": "pass", "worse": "fail"}


def comparison_html(comparison: Comparison) -> str:
    rows = "".join(
        f'<tr class="{c.verdict.replace(" ", "-")}"><td>{LABELS[c.metric]}</td>'
        f"<td class=num>{_fmt(c.before, c.metric in RATIOS)}</td>"
        f"<td class=num>{_fmt(c.after, c.metric in RATIOS)}</td>"
        f'<td class="{VERDICT_CLASS.get(c.verdict, "muted")}">{c.verdict}</td></tr>'
        for c in comparison.metrics
    )
    flips = "".join(
        f"<tr><td><code>{escape(f.id)}</code></td><td>{escape(f.flow)}</td><td>{f.language}</td>"
        f'<td class="{"pass" if f.now == "passes" else "fail"}">now {f.now}</td>'
        f"<td>{escape(f.failures[0]) if f.failures else ''}</td></tr>"
        for f in comparison.flips
    )
    flows = "".join(
        f"<tr><th>{escape(flow)}</th><td>{LABELS[c.metric]}</td>"
        f"<td class=num>{_fmt(c.before, True)}</td><td class=num>{_fmt(c.after, True)}</td>"
        f'<td class="{VERDICT_CLASS.get(c.verdict, "muted")}">{c.verdict}</td></tr>'
        for flow, changes in comparison.by_flow.items()
        for c in changes
    )
    unmatched = "".join(
        f"<p class=muted>Only in {escape(name)}: {escape(', '.join(ids))}</p>"
        for name, ids in (
            (comparison.before, comparison.only_before),
            (comparison.after, comparison.only_after),
        )
        if ids
    )
    body = (
        f"<h1>Cerebro eval: {escape(comparison.before)} → {escape(comparison.after)}</h1>"
        f"<p>{len(comparison.better)} better, {len(comparison.worse)} worse, "
        f"{len(comparison.flips)} conversations flipped.</p>"
        f"<h2>Metrics</h2><table id=changes><tr><th>Metric</th><th>Before</th><th>After</th>"
        f"<th>Verdict</th></tr>{rows}</table>"
        f"<h2>Flipped conversations</h2><table id=flips><tr><th>Id</th><th>Flow</th>"
        f"<th>Language</th><th>Now</th><th>Why</th></tr>{flips}</table>{unmatched}"
        f"<h2>Per flow</h2><table id=flows><tr><th>Flow</th><th>Metric</th><th>Before</th>"
        f"<th>After</th><th>Verdict</th></tr>{flows}</table>"
    )
    return _page("Cerebro eval comparison", body)
