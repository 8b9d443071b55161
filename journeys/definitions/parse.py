"""From YAML text to a checked `Journey`, with errors that name the path at fault."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from journeys.definitions.model import END, Journey

MAX_SOURCE_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class DefinitionIssue:
    """One problem: where (`steps[2].wait.duration`, empty for the whole document) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class JourneyDefinitionError(ValueError):
    """A journey definition that cannot be used; `issues` lists every problem found."""

    def __init__(self, issues: list[DefinitionIssue]) -> None:
        super().__init__("\n".join(str(issue) for issue in issues))
        self.issues = issues


def parse_journey(source: str) -> Journey:
    """The journey a YAML (or JSON) document defines; raises `JourneyDefinitionError`."""
    if len(source.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise JourneyDefinitionError(
            [DefinitionIssue("", f"the document is larger than {MAX_SOURCE_BYTES // 1024} KiB")]
        )
    try:
        document = yaml.safe_load(source)
    except yaml.YAMLError as error:
        raise JourneyDefinitionError([DefinitionIssue("", _yaml_problem(error))]) from None
    if not isinstance(document, dict):
        raise JourneyDefinitionError(
            [DefinitionIssue("", "the document must be a mapping (id, name, trigger, steps...)")]
        )
    try:
        journey = Journey.model_validate(document)
    except ValidationError as error:
        raise JourneyDefinitionError(_pydantic_issues(error)) from None
    issues = _flow_issues(journey)
    if issues:
        raise JourneyDefinitionError(issues)
    return journey


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is not None:
        return f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return f"invalid YAML: {problem}"


def format_path(location: tuple[int | str, ...] | list[Any]) -> str:
    """`('steps', 2, 'wait', 'duration')` -> `steps[2].wait.duration`."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


_MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "required",
}


def _pydantic_issues(error: ValidationError) -> list[DefinitionIssue]:
    found = error.errors(include_url=False)
    paths = [format_path(item["loc"]) for item in found]
    issues = []
    for item, path in zip(found, paths, strict=True):
        inside = any(other.startswith(f"{path}[") for other in paths)
        if item["type"] == "too_short" and inside:
            continue  # "steps: at least 1 item" when every step was invalid: noise
        message = _MESSAGES.get(item["type"], str(item["msg"]).removeprefix("Value error, "))
        issues.append(DefinitionIssue(path, message))
    return issues


def _flow_issues(journey: Journey) -> list[DefinitionIssue]:
    """Step ids unique and not `end`; every jump lands on a step; no loop without a wait."""
    issues: list[DefinitionIssue] = []
    seen: dict[str, int] = {}
    for index, step in enumerate(journey.steps):
        if step.id is None:
            continue
        if step.id == END:
            issues.append(
                DefinitionIssue(f"steps[{index}].id", f"'{END}' is reserved (it ends the journey)")
            )
        elif step.id in seen:
            issues.append(
                DefinitionIssue(
                    f"steps[{index}].id",
                    f"duplicate step id '{step.id}' (also steps[{seen[step.id]}])",
                )
            )
        else:
            seen[step.id] = index
    known = set(journey.step_ids) | {END}
    for index, step in enumerate(journey.steps):
        jumps = [("next", step.next)]
        if step.branch is not None:
            jumps += [("branch.then", step.branch.then), ("branch.else", step.branch.else_)]
        if step.wait is not None:
            jumps.append(("wait.on_timeout", step.wait.on_timeout))
        for where, target in jumps:
            if target is not None and target not in known:
                issues.append(DefinitionIssue(f"steps[{index}].{where}", f"no step '{target}'"))
    if issues:
        return issues  # the step graph is not well defined: no loop check
    loop = _loop_without_wait(journey)
    if loop:
        issues.append(
            DefinitionIssue(
                f"steps[{journey.position(loop[0])}]",
                "these steps loop without a wait: " + " -> ".join([*loop, loop[0]]),
            )
        )
    return issues


def _successors(journey: Journey, step_id: str) -> list[str]:
    step = journey.step(step_id)
    if step.wait is not None:
        return []  # a wait always lets time pass: a loop through it is fine
    if step.branch is not None:
        return [step.branch.then, step.branch.else_]
    return [journey.following(step_id)]


def _loop_without_wait(journey: Journey) -> list[str]:
    """A cycle of steps none of which waits, or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(step_id: str) -> list[str]:
        state[step_id] = 1
        path.append(step_id)
        for target in _successors(journey, step_id):
            if target == END or target not in journey.step_ids:
                continue
            if state.get(target) == 1:
                return path[path.index(target) :]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[step_id] = 2
        return []

    for step_id in journey.step_ids:
        if step_id not in state:
            found = visit(step_id)
            if found:
                return found
    return []
