"""`cerebro eval`: replay transcripts, score them, write the reports, gate on thresholds.

```
cerebro eval [PATH...] [--brain offline|llm] [--report DIR] [--workers N] [--thresholds FILE]
cerebro eval compare RUN_A RUN_B [--html FILE]
cerebro eval import-openai FILE -o OUT.jsonl
cerebro eval schema [FILE]
```

`cerebro eval` with no sub-command runs the transcripts (the bundled suite when no PATH is
given). The heavy modules (models, graph) are imported only when a run starts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from cerebro.settings import Settings
from evals.format import transcript_json_schema
from evals.loading import Loaded, TranscriptFileError, bundled_suite, load
from evals.openai_import import RecordingError, import_file
from evals.outcome import ConversationOutcome
from evals.report import Report, ReportError, compare, comparison_text, read_report
from evals.thresholds import ThresholdError, Thresholds, bundled_thresholds, load_thresholds

console = Console(stderr=True)
out = Console()


class RunByDefault(TyperGroup):
    """A group whose first argument, when it is not a sub-command, starts a run: `cerebro eval
    a.jsonl` is `cerebro eval run a.jsonl`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=RunByDefault,
    help=(
        "Offline evaluation of recorded transcripts (docs/evals.md). "
        "`cerebro eval [PATH...]` is short for `cerebro eval run [PATH...]`."
    ),
    add_completion=False,
)


def _fail(message: str, code: int = 1) -> NoReturn:
    console.print(f"[red]Error:[/] {escape(message)}", soft_wrap=True, highlight=False)
    raise typer.Exit(code)


@contextmanager
def _clean_errors() -> Iterator[None]:
    """Bad input ends the command with a one-line message per problem and exit code 1."""
    try:
        yield
    except TranscriptFileError as error:
        for problem in error.problems:
            console.print(f"[red]Error:[/] {escape(str(problem))}", soft_wrap=True, highlight=False)
        raise typer.Exit(1) from None
    except (ThresholdError, ReportError, RecordingError, ValueError) as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"{error.strerror}: {error.filename}" if error.filename else str(error))


def _print_metrics(report: Report) -> None:
    from evals.html import LABELS
    from evals.metrics import RATIOS

    table = Table(title=f"{report.overall.conversations} conversations, {report.run.brain} brain")
    table.add_column("metric")
    table.add_column("overall", justify="right")
    languages = list(report.by_language)
    for language in languages:
        table.add_column(language, justify="right")

    def shown(value: float | None, ratio: bool) -> str:
        return "-" if value is None else f"{value:.1%}" if ratio else f"{value:g}"

    for name, label in LABELS.items():
        ratio = name in RATIOS
        table.add_row(
            label,
            shown(getattr(report.overall, name), ratio),
            *(shown(getattr(report.by_language[lang], name), ratio) for lang in languages),
        )
    out.print(table)
    failed = [c for c in report.conversations if not c.success]
    for conversation in failed[:20]:
        first = (conversation.failures or [v.detail for v in conversation.violations])[0]
        out.print(
            f"[red]FAIL[/] {escape(conversation.id)}: {escape(first)}",
            highlight=False,
            soft_wrap=True,
        )
    if len(failed) > 20:
        out.print(f"... and {len(failed) - 20} more (see the report)")


@eval_app.command("run")
def run_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Transcript files or folders (default: the bundled suite)."),
    ] = None,
    brain: Annotated[
        str, typer.Option(help="offline, or llm (OPENAI_BASE_URL / OPENAI_API_KEY).")
    ] = "offline",
    report_dir: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Folder for report.json and report.html (default: $CEREBRO_DATA_DIR/eval-report).",
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Conversations at a time.")] = 2,
    thresholds: Annotated[
        Path | None,
        typer.Option(help="YAML thresholds (default: the bundled evals/thresholds.yaml)."),
    ] = None,
) -> None:
    """Replay transcripts, print the metrics, write the reports; exit 1 below the thresholds."""
    from cerebro.cli import load_settings

    if brain not in ("offline", "llm"):
        _fail(f"--brain must be offline or llm, not {brain!r}", 2)
    chosen: Literal["offline", "llm"] = "llm" if brain == "llm" else "offline"
    with _clean_errors():
        sources = list(paths or [bundled_suite()])
        transcripts = load(sources)
        gate = load_thresholds(thresholds or bundled_thresholds())
        settings = load_settings()
        report_dir = report_dir or settings.data_dir / "eval-report"
        report_dir.mkdir(parents=True, exist_ok=True)
        report = _run(transcripts, settings, chosen, workers, [str(s) for s in sources], gate)
        from evals.html import report_html

        (report_dir / "report.json").write_text(report.model_dump_json(indent=1), "utf-8")
        (report_dir / "report.html").write_text(report_html(report), "utf-8")
    _print_metrics(report)
    out.print(f"Reports: {report_dir / 'report.json'}, {report_dir / 'report.html'}")
    if report.run.breaches:
        for breach in report.run.breaches:
            console.print(f"[red]Below threshold:[/] {escape(breach)}", highlight=False)
        raise typer.Exit(1)


def _run(
    transcripts: list[Loaded],
    settings: Settings,
    brain: Literal["offline", "llm"],
    workers: int,
    sources: list[str],
    gate: Thresholds,
) -> Report:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from evals.report import RunInfo, build_report
    from evals.runner import run
    from evals.world import Machinery

    started = datetime.now(UTC)
    with console.status("Loading the models and the knowledge base..."):
        machinery = Machinery.load(settings, brain, settings.data_dir / "cache" / "eval-knowledge")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("Replaying", total=len(transcripts), failed=0)
        failed = 0

        def advance(outcome: ConversationOutcome) -> None:
            nonlocal failed
            failed += not outcome.success
            progress.update(task, advance=1, failed=failed)

        result = run(transcripts, machinery, workers=workers, progress=advance)
    info = RunInfo(
        brain=brain,
        started_at=started,
        seconds=round(result.seconds, 2),
        workers=workers,
        sources=sources,
    )
    report = build_report(result.outcomes, info)
    report.run.breaches = gate.breaches(report.overall)
    return report


@eval_app.command("compare")
def compare_command(
    before: Annotated[Path, typer.Argument(help="The earlier run's report folder or JSON.")],
    after: Annotated[Path, typer.Argument(help="The later run's report folder or JSON.")],
    html: Annotated[
        Path | None, typer.Option(help="Also write the comparison as an HTML page.")
    ] = None,
) -> None:
    """What got better, what got worse, and which conversations flipped between two runs."""
    from evals.html import comparison_html

    with _clean_errors():
        comparison = compare(read_report(before), read_report(after), str(before), str(after))
        if html is not None:
            html.write_text(comparison_html(comparison), "utf-8")
    out.print(comparison_text(comparison), highlight=False, markup=False, soft_wrap=True)


@eval_app.command("import-openai")
def import_openai(
    file: Annotated[Path, typer.Argument(help="A recording in the OpenAI chat-messages format.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The transcript file to write.")],
    language: Annotated[str, typer.Option(help="Language of the conversations (en, es).")] = "en",
    flow: Annotated[str, typer.Option(help="Flow tag for the per-flow figures.")] = "imported",
    logged_in_as: Annotated[
        str | None, typer.Option(help="Replay as this logged-in demo customer (CUS-...).")
    ] = None,
) -> None:
    """Convert recorded chats into replayable transcripts (JSONL)."""
    with _clean_errors():
        transcripts = import_file(file, language=language, flows=[flow], logged_in_as=logged_in_as)
        output.write_text("".join(t.to_line() + "\n" for t in transcripts), "utf-8")
    console.print(f"{len(transcripts)} conversation(s) written to {escape(str(output))}")


@eval_app.command("schema")
def schema_command(
    file: Annotated[Path | None, typer.Argument(help="Write here instead of printing.")] = None,
) -> None:
    """The JSON Schema of a transcript line."""
    text = json.dumps(transcript_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if file is None:
        out.print(text, highlight=False, markup=False, end="")
    else:
        with _clean_errors():
            file.write_text(text, "utf-8")
