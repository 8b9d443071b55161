"""The LLM brain replayed by `cerebro eval --brain llm` against the local OpenAI protocol server:
the same transcript format, the same scoring, the model reached through OPENAI_BASE_URL."""

from __future__ import annotations

import json
from pathlib import Path

from tests.agent_llm.scripting import classify, is_acting, is_classification
from tests.evals.conftest import run_cli
from tests.llm_server import Script, call, say, serve_openai

TRANSCRIPT = {
    "id": "llm-order-status",
    "language": "en",
    "flows": ["order_status"],
    "logged_in_as": "CUS-000002",
    "turns": [
        {
            "text": "Has my order ORD-100007 shipped yet?",
            "expect": {
                "intent": "order_status",
                "tool_calls": [{"name": "logistics.get_order", "args": {"order_id": "ORD-100007"}}],
                "reply_contains": ["hasn't left the warehouse"],
            },
        }
    ],
    "expect": {"handoff": False, "assertions": [{"type": "nothing_changed"}]},
}


def test_the_llm_brain_is_replayed_through_the_configured_endpoint(
    tmp_path: Path, eval_data_dir: Path
) -> None:
    transcripts = tmp_path / "llm.jsonl"
    transcripts.write_text(json.dumps(TRANSCRIPT) + "\n", "utf-8")
    script = (
        Script()
        .then(classify("order_status", order_id="ORD-100007"), when=is_classification)
        .then(call("get_order", order_id="ORD-100007"), when=is_acting)
        .then(say("Order ORD-100007 hasn't left the warehouse yet."), when=is_acting)
    )
    with serve_openai(script) as server:
        result = run_cli(
            eval_data_dir,
            "eval",
            str(transcripts),
            "--brain",
            "llm",
            "--report",
            str(tmp_path / "run"),
            environment={"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "test-key"},
        )
    assert result.exit_code == 0, result.output
    script.assert_done()
    assert server.invalid == []
    report = json.loads((tmp_path / "run" / "report.json").read_text("utf-8"))
    assert report["run"]["brain"] == "llm"
    assert report["overall"]["task_success"] == 1.0
    (turn,) = report["conversations"][0]["turns"]
    assert "hasn't left the warehouse yet" in turn["reply"]
    assert [call["tool"] for call in turn["calls"]] == ["logistics.get_order"]


def test_the_llm_brain_without_an_endpoint_is_a_one_line_error(
    tmp_path: Path, eval_data_dir: Path
) -> None:
    transcripts = tmp_path / "llm.jsonl"
    transcripts.write_text(json.dumps(TRANSCRIPT) + "\n", "utf-8")
    result = run_cli(eval_data_dir, "eval", str(transcripts), "--brain", "llm")
    assert result.exit_code == 1
    assert "OPENAI_BASE_URL" in result.output and "Traceback" not in result.output
