"""Reading transcript files: every problem reported with its file, line and field.

A file with problems is reported whole (every bad line, not just the first), so a team fixing
a recording sees everything at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from evals.assertions import ASSERTION_TAGS
from evals.format import Transcript


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a transcript file."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class TranscriptFileError(Exception):
    """One or more transcript files are invalid; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class Loaded:
    """A valid transcript and where it came from."""

    transcript: Transcript
    path: str
    line: int


def _field(location: tuple[int | str, ...]) -> str:
    """`turns[2].expect.intent` from pydantic's location tuple (discriminator tags dropped)."""
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _problems_of(error: ValidationError, path: str, line: int) -> list[Problem]:
    problems = []
    for detail in error.errors(include_url=False):
        location = detail["loc"]
        # A tagged union (the assertions) adds the tag after the list index; it is not a field.
        kept = tuple(
            part
            for index, part in enumerate(location)
            if not (index > 0 and isinstance(location[index - 1], int) and part in ASSERTION_TAGS)
        )
        problems.append(Problem(path, line, _field(kept), detail["msg"]))
    return problems


def parse_lines(lines: Iterable[str], path: str) -> tuple[list[Loaded], list[Problem]]:
    """The transcripts of a JSONL text and the problems found; blank lines are skipped."""
    loaded: list[Loaded] = []
    problems: list[Problem] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as error:
            problems.append(
                Problem(path, number, "", f"not JSON: {error.msg} (column {error.colno})")
            )
            continue
        if not isinstance(data, dict):
            problems.append(Problem(path, number, "", "a line must be one JSON object"))
            continue
        try:
            loaded.append(Loaded(Transcript.model_validate(data), path, number))
        except ValidationError as error:
            problems.extend(_problems_of(error, path, number))
    return loaded, problems


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.rglob("*.jsonl"))
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    return [path]


def load(paths: Iterable[Path]) -> list[Loaded]:
    """Every transcript of the files (folders: their `*.jsonl`, recursively), in order.

    Raises `TranscriptFileError` listing every problem of every file, and on duplicate ids.
    """
    loaded: list[Loaded] = []
    problems: list[Problem] = []
    for path in paths:
        for file in _files(path):
            with file.open(encoding="utf-8") as lines:
                found, wrong = parse_lines(lines, str(file))
            loaded.extend(found)
            problems.extend(wrong)
    seen: dict[str, Loaded] = {}
    for item in loaded:
        first = seen.setdefault(item.transcript.id, item)
        if first is not item:
            problems.append(
                Problem(
                    item.path,
                    item.line,
                    "id",
                    f"duplicate id {item.transcript.id!r} (first at {first.path}:{first.line})",
                )
            )
    if problems:
        raise TranscriptFileError(problems)
    if not loaded:
        where = ", ".join(str(path) for path in paths) or "-"
        raise TranscriptFileError([Problem(where, 0, "", "no transcripts found")])
    return loaded


def bundled_suite() -> Path:
    """The folder of the bundled suite (installed with the package)."""
    return Path(str(resources.files("evals") / "suite"))
