"""Replaying transcripts through the real graph on the offline brain: the command's reports and
exit status, a deliberately broken flow failing its thresholds, the comparison of two runs, the
OpenAI-format importer, and the HTML report in a real headless Chromium."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from typer.testing import Result

from agent.offline import flows
from agent.offline.flows import FlowContext
from agent.state import JSON
from tests.evals.conftest import run_cli, write_suite_subset

SUBSET = (
    "cancel-en-olivia-email-0",
    "cancel-es-diego-email-0",
    "cancel-es-maria-session-0",
    "order-status-es-maria-session-0",
    "knowledge-en-0",
    "human-es-maria-session-0",
    "injection-en-2",
    "other-customer-es-cus-000001-ord-100007",
)
CANCELLATIONS = {"cancel-en-olivia-email-0", "cancel-es-diego-email-0", "cancel-es-maria-session-0"}


def cancel_that_never_cancels(ctx: FlowContext, args: Mapping[str, JSON]) -> str:
    """A broken finisher: tells the customer the order is cancelled and changes nothing."""
    return ctx.say("cancel.done", order_id=str(args["order_id"]), refund="", channel="")


@pytest.fixture(scope="module")
def runs(eval_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The same transcripts replayed twice: as the assistant is, and with a broken cancel."""
    folder = tmp_path_factory.mktemp("runs")
    transcripts = write_suite_subset(folder / "subset.jsonl", *SUBSET)
    good = run_cli(eval_data_dir, "eval", str(transcripts), "--report", str(folder / "good"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(flows.FINISHERS, "cancel_order", cancel_that_never_cancels)
        broken = run_cli(
            eval_data_dir, "eval", str(transcripts), "--report", str(folder / "broken")
        )
    yield {"folder": folder, "good": good, "broken": broken}


def report(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "report.json").read_text("utf-8"))
    return data


def test_a_run_prints_the_metrics_and_writes_both_reports(runs: dict[str, Any]) -> None:
    result: Result = runs["good"]
    assert result.exit_code == 0, result.output
    assert "Task success" in result.output and "100.0%" in result.output
    written = report(runs["folder"] / "good")
    assert written["overall"]["conversations"] == len(SUBSET)
    assert written["overall"]["task_success"] == 1.0
    assert written["overall"]["policy_violations"] == 0
    assert written["overall"]["latency_p95_ms"] > 0
    assert set(written["by_language"]) == {"en", "es"}
    assert {"cancel_order", "talk_to_human", "knowledge_question"} <= set(written["by_flow"])
    cancelled = next(c for c in written["conversations"] if c["id"] == "cancel-en-olivia-email-0")
    assert [c["tool"] for c in cancelled["turns"][2]["calls"]] == [
        "logistics.cancel_order",
        "crm.get_profile",
        "messaging.send",
    ]
    assert (
        (runs["folder"] / "good" / "report.html").read_text("utf-8").startswith("<!doctype html>")
    )


def test_a_broken_flow_fails_its_thresholds_naming_the_metric(runs: dict[str, Any]) -> None:
    result: Result = runs["broken"]
    assert result.exit_code == 1
    assert "Below threshold: task_success" in result.output
    assert "Traceback" not in result.output
    written = report(runs["folder"] / "broken")
    failed = {c["id"]: c["failures"] for c in written["conversations"] if c["failures"]}
    assert set(failed) == CANCELLATIONS
    assert any("is pending, expected cancelled" in f for f in failed["cancel-en-olivia-email-0"])
    assert written["run"]["breaches"][0].startswith("task_success ")


def test_compare_names_what_got_worse_and_the_conversations_that_flipped(
    runs: dict[str, Any], eval_data_dir: Path
) -> None:
    folder: Path = runs["folder"]
    page = folder / "compare.html"
    result = run_cli(
        eval_data_dir,
        "eval",
        "compare",
        str(folder / "good"),
        str(folder / "broken"),
        "--html",
        str(page),
    )
    assert result.exit_code == 0, result.output
    text = result.output
    worse = text[text.index("Worse:") : text.index("Flipped conversations")]
    assert "task_success: 1 -> 0.625" in worse
    assert "Flipped conversations: 3" in text
    for cid in CANCELLATIONS:
        assert f"{cid} (cancel_order," in text and "now fails" in text
    assert "knowledge-en-0" not in text
    html = page.read_text("utf-8")
    assert "cancel-es-diego-email-0" in html and "now fails" in html
    back = run_cli(eval_data_dir, "eval", "compare", str(folder / "broken"), str(folder / "good"))
    assert "task_success: 0.625 -> 1" in back.output[back.output.index("Better:") :]


def test_compare_refuses_a_folder_without_a_report(
    runs: dict[str, Any], eval_data_dir: Path, tmp_path: Path
) -> None:
    result = run_cli(eval_data_dir, "eval", "compare", str(tmp_path), str(runs["folder"] / "good"))
    assert result.exit_code == 1 and "no such report" in result.output


# --- an OpenAI-format recording, imported and replayed -------------------------------------------


def tool_call(call_id: str, name: str, **arguments: Any) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


RECORDING = {
    "id": "recorded-cancel",
    "messages": [
        {"role": "system", "content": "You are the shop's support assistant."},
        {"role": "user", "content": "Hi, I want to cancel my order"},
        {"role": "assistant", "content": "Sure. What is your email address?"},
        {"role": "user", "content": "it's olivia.bennett@example.com"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                tool_call("c1", "identify_customer", email="olivia.bennett@example.com"),
                tool_call("c2", "list_orders"),
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": '{"customer": "CUS-000002"}'},
        {"role": "tool", "tool_call_id": "c2", "content": '[{"id": "ORD-100007"}]'},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [tool_call("c3", "cancel_order", order_id="ORD-100007", reason="x")],
        },
        {"role": "tool", "tool_call_id": "c3", "content": '{"proposed": true}'},
        {"role": "assistant", "content": "Shall I cancel ORD-100007?"},
        {"role": "user", "content": "yes please"},
        {"role": "assistant", "content": "Done."},
        {"role": "user", "content": "Thanks! Can I talk to a human now?"},
        {"role": "assistant", "tool_calls": [tool_call("c4", "transfer_to_human", reason="asked")]},
    ],
}


def test_an_openai_recording_is_imported_replayed_and_scored(
    tmp_path: Path, eval_data_dir: Path
) -> None:
    recording = tmp_path / "recorded.json"
    recording.write_text(json.dumps(RECORDING), "utf-8")
    imported = tmp_path / "imported.jsonl"
    done = run_cli(
        eval_data_dir,
        "eval",
        "import-openai",
        str(recording),
        "-o",
        str(imported),
        "--flow",
        "cancel_order",
    )
    assert done.exit_code == 0, done.output
    (line,) = imported.read_text("utf-8").splitlines()
    transcript = json.loads(line)
    assert [t["text"] for t in transcript["turns"]] == [
        "Hi, I want to cancel my order",
        "it's olivia.bennett@example.com",
        "yes please",
        "Thanks! Can I talk to a human now?",
    ]
    assert transcript["turns"][1]["expect"]["tool_calls"] == [
        {"name": "crm.find_customer_by_email", "args": {"email": "olivia.bennett@example.com"}},
        {"name": "logistics.list_orders", "args": {}},
    ]
    assert transcript["expect"]["tool_calls"] == [
        {"name": "logistics.cancel_order", "args": {"order_id": "ORD-100007"}}
    ]
    assert transcript["turns"][3]["expect"]["handoff"] is True

    assert "tool_calls" not in transcript["turns"][0]["expect"]  # the recording called none
    gate = tmp_path / "thresholds.yaml"
    gate.write_text("min:\n  task_success: 1.0\n  tool_recall: 1.0\n", "utf-8")
    replayed = run_cli(
        eval_data_dir,
        "eval",
        str(imported),
        "--report",
        str(tmp_path / "run"),
        "--thresholds",
        str(gate),
    )
    assert replayed.exit_code == 0, replayed.output
    scored = report(tmp_path / "run")
    assert scored["overall"]["task_success"] == 1.0
    assert scored["overall"]["tool_recall"] == 1.0
    # Cerebro also looked the order up on turn 1, which the recording did not: 3 of 4 expected.
    assert scored["overall"]["tool_precision"] == 0.75
    assert scored["overall"]["handoff_recall"] == 1.0
    assert scored["by_flow"]["cancel_order"]["conversations"] == 1


def test_a_recording_that_is_not_chat_messages_is_a_one_line_error(
    tmp_path: Path, eval_data_dir: Path
) -> None:
    recording = tmp_path / "bad.jsonl"
    recording.write_text(
        json.dumps({"messages": [{"role": "user", "content": "hi"}]})
        + "\n"
        + json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "tool_calls": [tool_call("c", "get_order")]},
                ]
            }
        ).replace('"{}"', '"{not json"')
        + "\n",
        "utf-8",
    )
    result = run_cli(
        eval_data_dir, "eval", "import-openai", str(recording), "-o", str(tmp_path / "o.jsonl")
    )
    assert result.exit_code == 1
    assert (
        f"{recording}:2: messages[1].tool_calls[0]: arguments are not a JSON object"
        in result.output
    )
    assert not (tmp_path / "o.jsonl").exists()


# --- the HTML report in a real browser -----------------------------------------------------------


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    opened = context.new_page()
    yield opened
    context.close()


def test_the_html_report_shows_the_metrics_charts_and_failures(
    runs: dict[str, Any], page: Page
) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto((runs["folder"] / "broken" / "report.html").as_uri())
    expect(page.get_by_role("heading", level=1)).to_contain_text("8 conversations, offline brain")
    expect(page.locator('[data-metric="task_success"] b')).to_have_text("62.5%")
    expect(page.locator("#breaches")).to_contain_text("task_success 0.625 is below the minimum")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(4)
    by_flow = page.locator('svg[data-chart="task-success-by-flow"] rect.bar')
    expect(by_flow).to_have_count(4)  # cancel, order status, knowledge, human
    cancel_bar = page.locator(
        'svg[data-chart="task-success-by-flow"] rect[data-label="cancel_order"]'
    )
    # Three broken cancellations and the injection (tagged cancel_order) that changed nothing.
    expect(cancel_bar).to_have_attribute("data-value", "25.0%")
    box = page.locator(
        'svg[data-chart="task-success-by-flow"] rect[data-label="talk_to_human"]'
    ).bounding_box()
    assert box is not None and box["width"] > 200  # 100%: the full bar is drawn
    failures = page.locator("#failures details")
    expect(failures).to_have_count(3)
    failures.first.locator("summary").click()
    expect(failures.first).to_contain_text("expected cancelled")
    assert all(url.startswith("file://") for url in requests)  # nothing fetched from anywhere


def test_the_comparison_page_lists_the_flips(
    runs: dict[str, Any], eval_data_dir: Path, page: Page
) -> None:
    folder: Path = runs["folder"]
    target = folder / "compare-browser.html"
    run_cli(
        eval_data_dir,
        "eval",
        "compare",
        str(folder / "good"),
        str(folder / "broken"),
        "--html",
        str(target),
    )
    page.goto(target.as_uri())
    expect(page.locator("#flips tr")).to_have_count(4)  # header and three conversations
    expect(page.locator("#changes tr.worse").first).to_contain_text("Task success")
    expect(page.locator("#flows")).to_contain_text("cancel_order")
