"""The transcript format: the bundled suite, the schema file, and bad files reported with
their file, line and field."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import Result

from evals.assertions import from_dict
from evals.format import Transcript, transcript_json_schema
from evals.loading import TranscriptFileError, bundled_suite, load
from evals.suite.generate import FILES

SCHEMA_FILE = Path(__file__).parents[2] / "evals" / "schema" / "transcript.schema.json"
FLOWS = {
    "order_status",
    "cancel_order",
    "change_address",
    "return_items",
    "refund_status",
    "report_damaged",
    "report_late",
    "account_details",
    "knowledge_question",
    "talk_to_human",
}

GOOD = {
    "id": "ok-1",
    "language": "en",
    "flows": ["cancel_order"],
    "turns": [{"text": "cancel my order"}],
}


def test_the_checked_in_schema_is_the_models_schema() -> None:
    on_disk = json.loads(SCHEMA_FILE.read_text("utf-8"))
    assert on_disk == transcript_json_schema(), "run: cerebro eval schema " + str(SCHEMA_FILE)


def test_the_bundled_suite_covers_both_languages_every_flow_and_the_hard_cases() -> None:
    loaded = load([bundled_suite()])
    transcripts = [item.transcript for item in loaded]
    assert len(transcripts) >= 150
    languages = Counter(t.language for t in transcripts)
    assert languages["en"] >= 50 and languages["es"] >= 50
    assert {flow for t in transcripts for flow in t.flows} >= FLOWS
    tags = {tag for t in transcripts for tag in t.tags}
    assert {"correction", "topic_switch", "out_of_scope", "injection", "other_customer"} <= tags
    assert sum(t.expect.handoff is True for t in transcripts) >= 15
    # Every conversation asserts something about what happened, not only that it ran.
    assert all(t.expect.assertions or t.expect.handoff for t in transcripts)


def test_the_checked_in_suite_is_what_the_generator_writes() -> None:
    for name, scenarios in FILES.items():
        written = (bundled_suite() / name).read_text("utf-8")
        assert written == "".join(t.to_line() + "\n" for t in scenarios()), name


def test_a_transcript_round_trips_through_its_jsonl_line() -> None:
    (first,) = [item.transcript for item in load([bundled_suite() / "cancel_order.jsonl"])][:1]
    assert Transcript.model_validate_json(first.to_line()) == first


def test_every_problem_of_a_bad_file_is_reported_with_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    lines = [
        json.dumps(GOOD),
        json.dumps({**GOOD, "id": "two", "language": "fr"}),
        "",
        json.dumps(
            {
                **GOOD,
                "id": "four",
                "turns": [{"text": "hi", "expect": {"sentiment": "angry"}}],
                "expect": {"assertions": [{"type": "order_status", "order_id": "ORD-1"}]},
            }
        ),
        "{not json",
        json.dumps(GOOD),
    ]
    bad.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(TranscriptFileError) as caught:
        load([bad])
    found = {(p.line, p.field) for p in caught.value.problems}
    assert found == {
        (2, "language"),
        (4, "turns[0].expect.sentiment"),
        (4, "expect.assertions[0].status"),
        (5, ""),
        (6, "id"),  # a duplicate of line 1
    }
    assert all(p.path == str(bad) for p in caught.value.problems)


def test_the_command_reports_a_bad_file_one_line_per_problem(
    tmp_path: Path, cerebro: Callable[..., Result]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({**GOOD, "turns": []})
        + "\n"
        + json.dumps({**GOOD, "id": "x", "expect": {"assertions": [{"type": "teleport"}]}})
        + "\n",
        "utf-8",
    )
    result = cerebro("eval", str(bad), "--report", str(tmp_path / "report"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 2
    assert errors[0].startswith(f"Error: {bad}:1: turns: ")
    assert errors[1].startswith(f"Error: {bad}:2: expect.assertions[0]: ")
    assert not (tmp_path / "report" / "report.json").exists()


def test_a_missing_file_and_a_bad_thresholds_file_are_one_line_errors(
    tmp_path: Path, cerebro: Callable[..., Result]
) -> None:
    missing = cerebro("eval", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 1 and "nope.jsonl" in missing.output
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD) + "\n", "utf-8")
    thresholds = tmp_path / "t.yaml"
    thresholds.write_text("min:\n  happiness: 0.9\n", "utf-8")
    wrong = cerebro("eval", str(good), "--thresholds", str(thresholds))
    assert wrong.exit_code == 1
    assert "min.happiness: not a metric with a minimum" in wrong.output
    assert "Traceback" not in wrong.output


def test_assertions_are_typed_by_their_tag() -> None:
    assertion = from_dict({"type": "ticket_opened", "severity": "critical"})
    assert assertion.type == "ticket_opened"
    with pytest.raises(ValidationError):
        from_dict({"type": "ticket_opened", "severity": "apocalyptic"})
    with pytest.raises(ValidationError):
        from_dict({"type": "no_such_assertion"})


def test_the_example_in_the_documentation_is_a_valid_transcript() -> None:
    page = (Path(__file__).parents[2] / "docs" / "evals.md").read_text("utf-8")
    start = page.index("```json\n") + len("```json\n")
    example = json.loads(page[start : page.index("```", start)])
    transcript = Transcript.model_validate(example)
    assert transcript.expect.assertions[0].type == "order_status"
