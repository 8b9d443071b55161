"""The machine-readable report of a run (`report.json`) and the comparison of two runs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from evals.metrics import LOWER_IS_BETTER, RATIOS, Metrics, compute, grouped
from evals.outcome import ConversationOutcome

REPORT_VERSION = 1


class RunInfo(BaseModel):
    brain: str
    started_at: datetime
    seconds: float
    workers: int
    sources: list[str]
    breaches: list[str] = Field(default_factory=list)
    """The thresholds the run fell below (empty: it passed them)."""


class Report(BaseModel):
    version: int = REPORT_VERSION
    run: RunInfo
    overall: Metrics
    by_flow: dict[str, Metrics]
    by_language: dict[str, Metrics]
    conversations: list[ConversationOutcome]


class ReportError(Exception):
    """A report that cannot be read; the message says which and why."""


def build_report(outcomes: list[ConversationOutcome], run: RunInfo) -> Report:
    return Report(
        run=run,
        overall=compute(outcomes),
        by_flow=grouped(outcomes, lambda o: o.flow),
        by_language=grouped(outcomes, lambda o: o.language),
        conversations=outcomes,
    )


def read_report(path: Path) -> Report:
    """A run's report: `path` is its report.json or the folder holding it."""
    file = path / "report.json" if path.is_dir() else path
    try:
        return Report.model_validate_json(file.read_bytes())
    except FileNotFoundError:
        raise ReportError(f"{file}: no such report") from None
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ReportError(f"{file}: not a Cerebro eval report ({field}: {first['msg']})") from None


class MetricChange(BaseModel):
    metric: str
    before: float | None
    after: float | None
    verdict: str
    """`better`, `worse`, `same` or `not comparable`."""


class Flip(BaseModel):
    id: str
    flow: str
    language: str
    now: str
    """`passes` (it failed before) or `fails` (it passed before)."""
    failures: list[str]
    """Why it fails now (empty when it passes)."""


class Comparison(BaseModel):
    before: str
    after: str
    metrics: list[MetricChange]
    by_flow: dict[str, list[MetricChange]]
    flips: list[Flip]
    only_before: list[str]
    only_after: list[str]

    @property
    def better(self) -> list[MetricChange]:
        return [m for m in self.metrics if m.verdict == "better"]

    @property
    def worse(self) -> list[MetricChange]:
        return [m for m in self.metrics if m.verdict == "worse"]


COMPARED = (*RATIOS, *LOWER_IS_BETTER)
LATENCY_NOISE = 0.10
"""Latency changes smaller than this fraction are noise, not better or worse."""


def _change(metric: str, before: Metrics, after: Metrics) -> MetricChange:
    old, new = getattr(before, metric), getattr(after, metric)
    if old is None or new is None:
        verdict = "not comparable"
    elif new == old or (
        metric.startswith("latency") and abs(new - old) <= LATENCY_NOISE * max(old, 1e-9)
    ):
        verdict = "same"
    else:
        improved = new < old if metric in LOWER_IS_BETTER else new > old
        verdict = "better" if improved else "worse"
    return MetricChange(metric=metric, before=old, after=new, verdict=verdict)


def compare(before: Report, after: Report, before_name: str, after_name: str) -> Comparison:
    old = {c.id: c for c in before.conversations}
    new = {c.id: c for c in after.conversations}
    flips = [
        Flip(
            id=cid,
            flow=new[cid].flow,
            language=new[cid].language,
            now="passes" if new[cid].success else "fails",
            failures=[*new[cid].failures, *(v.detail for v in new[cid].violations)],
        )
        for cid in new
        if cid in old and old[cid].success != new[cid].success
    ]
    flows = sorted(set(before.by_flow) & set(after.by_flow))
    return Comparison(
        before=before_name,
        after=after_name,
        metrics=[_change(m, before.overall, after.overall) for m in COMPARED],
        by_flow={
            flow: [
                change
                for m in ("task_success", "intent_accuracy", "tool_recall")
                if (change := _change(m, before.by_flow[flow], after.by_flow[flow])).verdict
                in ("better", "worse")
            ]
            for flow in flows
        },
        flips=sorted(flips, key=lambda f: (f.now, f.id)),
        only_before=sorted(set(old) - set(new)),
        only_after=sorted(set(new) - set(old)),
    )


def _value(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def comparison_text(comparison: Comparison) -> str:
    """The comparison as plain text, for a terminal or a CI log."""
    lines = [f"{comparison.before} -> {comparison.after}", ""]
    for title, changes in (("Better", comparison.better), ("Worse", comparison.worse)):
        lines.append(f"{title}:")
        lines.extend(f"  {c.metric}: {_value(c.before)} -> {_value(c.after)}" for c in changes)
        if not changes:
            lines.append("  (none)")
    flows = {flow: changes for flow, changes in comparison.by_flow.items() if changes}
    if flows:
        lines.append("Per flow:")
        for flow, changes in flows.items():
            moved = ", ".join(
                f"{c.metric} {_value(c.before)} -> {_value(c.after)} ({c.verdict})" for c in changes
            )
            lines.append(f"  {flow}: {moved}")
    lines.append(f"Flipped conversations: {len(comparison.flips)}")
    for flip in comparison.flips:
        why = f": {flip.failures[0]}" if flip.failures else ""
        lines.append(f"  {flip.id} ({flip.flow}, {flip.language}) now {flip.now}{why}")
    if comparison.only_before:
        lines.append(f"Only in {comparison.before}: {', '.join(comparison.only_before)}")
    if comparison.only_after:
        lines.append(f"Only in {comparison.after}: {', '.join(comparison.only_after)}")
    return "\n".join(lines)
