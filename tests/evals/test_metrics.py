"""The figures on small hand-made cases, where the right answer can be counted by hand."""

from __future__ import annotations

from agent.state import PendingChange
from evals.format import ExpectedToolCall
from evals.metrics import compute, percentile
from evals.outcome import CallRecord, ConversationOutcome, ToolCounts, TurnOutcome, Violation
from evals.scoring import PlayedTurn, disclosures, match_calls, unconfirmed_changes
from evals.thresholds import parse


def turn(
    *,
    intent: str | None = None,
    expected_intent: str | None = None,
    tools: ToolCounts | None = None,
    handoff: bool = False,
    expected_handoff: bool | None = None,
    sentiment: str | None = None,
    expected_sentiment: str | None = None,
    ms: float = 10.0,
) -> TurnOutcome:
    return TurnOutcome(
        text="t",
        reply="r",
        intent=intent,
        expected_intent=expected_intent,
        sentiment=sentiment,
        expected_sentiment=expected_sentiment,
        tools=tools,
        handoff=handoff,
        expected_handoff=expected_handoff,
        milliseconds=ms,
    )


def conversation(
    cid: str,
    turns: list[TurnOutcome],
    *,
    handoff: bool = False,
    expected_handoff: bool | None = None,
    failures: list[str] | None = None,
    violations: list[Violation] | None = None,
    flow: str = "cancel_order",
    language: str = "en",
) -> ConversationOutcome:
    return ConversationOutcome(
        id=cid,
        source="x.jsonl:1",
        flow=flow,
        flows=[flow],
        language=language,
        tags=[],
        turns=turns,
        handoff=handoff,
        expected_handoff=expected_handoff,
        failures=failures or [],
        violations=violations or [],
    )


def test_ratios_count_only_what_the_transcripts_state() -> None:
    outcomes = [
        conversation(
            "a",
            [
                turn(intent="cancel_order", expected_intent="cancel_order", ms=10),
                turn(intent="deny", expected_intent="affirm", ms=30),
                turn(intent="affirm", ms=20),  # no expectation: not counted
            ],
        ),
        conversation(
            "b",
            [turn(intent="greeting", expected_intent="greeting", ms=40)],
            failures=["turn 0: reply lacks 'x'"],
            language="es",
        ),
    ]
    metrics = compute(outcomes)
    assert metrics.intent_accuracy == round(2 / 3, 4)
    assert metrics.task_success == 0.5
    assert metrics.turns_to_resolution == 3.0  # only "a" succeeded, in three turns
    assert metrics.latency_median_ms == 25.0  # of 10, 30, 20 and 40
    assert metrics.latency_p95_ms == 40.0
    # Nothing stated, nothing measured: None, never a perfect or a zero score.
    assert metrics.sentiment_accuracy is None
    assert metrics.tool_precision is None and metrics.handoff_recall is None


def test_tool_precision_and_recall_add_up_over_turns_and_conversations() -> None:
    outcome = conversation(
        "a",
        [
            turn(tools=ToolCounts(matched=2, unexpected=1, missing=0)),
            turn(tools=ToolCounts(matched=1, unexpected=0, missing=2)),
        ],
    )
    outcome.conversation_tools = ToolCounts(matched=1, missing=1)
    metrics = compute([outcome])
    assert metrics.tool_precision == round(4 / 5, 4)
    assert metrics.tool_recall == round(4 / 7, 4)


def test_handoff_precision_and_recall() -> None:
    outcomes = [
        conversation("tp", [turn()], handoff=True, expected_handoff=True),
        conversation("fp", [turn()], handoff=True, expected_handoff=False),
        conversation("fn", [turn()], handoff=False, expected_handoff=True),
        conversation("tn", [turn()], handoff=False, expected_handoff=False),
        conversation("unstated", [turn()], handoff=True),
        # Turn-level expectations, when given, are what is compared.
        conversation(
            "turns",
            [turn(expected_handoff=False), turn(handoff=True, expected_handoff=True)],
            handoff=True,
            expected_handoff=True,
        ),
    ]
    metrics = compute(outcomes)
    assert metrics.handoff_precision == round(2 / 3, 4)
    assert metrics.handoff_recall == round(2 / 3, 4)


def test_violations_fail_the_task_and_are_counted_by_kind() -> None:
    outcome = conversation(
        "a",
        [turn()],
        violations=[
            Violation(kind="disclosure", turn=0, detail="x"),
            Violation(kind="disclosure", turn=1, detail="y"),
        ],
    )
    metrics = compute([outcome])
    assert metrics.task_success == 0.0
    assert metrics.policy_violations == 2
    assert metrics.violations_by_kind == {"disclosure": 2}


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.5) == 50.0
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.95) is None


def test_expected_tool_calls_match_on_name_and_a_subset_of_arguments() -> None:
    calls = [
        CallRecord(tool="logistics.get_order", args={"order_id": "ORD-1"}, ok=True),
        CallRecord(tool="logistics.get_order", args={"order_id": "ORD-1"}, ok=True),
        CallRecord(tool="logistics.list_orders", args={"limit": 10}, ok=True),
        CallRecord(
            tool="logistics.cancel_order", args={"order_id": "ORD-2", "reason": "r"}, ok=True
        ),
    ]
    expected = [
        ExpectedToolCall(name="logistics.get_order", args={"order_id": "ORD-1"}),
        ExpectedToolCall(name="logistics.cancel_order", args={"order_id": "ORD-1"}),
        ExpectedToolCall(name="crm.get_profile"),
    ]
    counts, missing = match_calls(expected, calls)
    # get_order matches (twice the same call counts once), the cancel is for another order.
    assert counts == ToolCounts(matched=1, unexpected=2, missing=2)
    assert missing == ["logistics.cancel_order(order_id='ORD-1')", "crm.get_profile()"]


def played(
    text: str,
    reply: str = "",
    calls: tuple[CallRecord, ...] = (),
    affirmation: str | None = None,
    pending: PendingChange | None = None,
) -> PlayedTurn:
    return PlayedTurn(
        text=text,
        reply=reply,
        intent=None,
        sentiment=None,
        calls=calls,
        handoff=False,
        affirmation=affirmation,
        pending_before=pending,
        milliseconds=1.0,
    )


def test_a_change_counts_as_confirmed_only_after_a_yes_to_exactly_it() -> None:
    cancel = CallRecord(
        tool="logistics.cancel_order", args={"order_id": "ORD-7", "reason": "r"}, ok=True
    )
    proposed = PendingChange(action="cancel_order", args={"order_id": "ORD-7", "reason": "r"})
    other = PendingChange(action="cancel_order", args={"order_id": "ORD-8", "reason": "r"})
    assert (
        unconfirmed_changes([played("yes", calls=(cancel,), affirmation="yes", pending=proposed)])
        == []
    )
    found = [
        unconfirmed_changes([played("cancel it", calls=(cancel,), pending=None)]),
        unconfirmed_changes([played("no", calls=(cancel,), affirmation="no", pending=proposed)]),
        unconfirmed_changes([played("yes", calls=(cancel,), affirmation="yes", pending=other)]),
    ]
    assert [len(f) for f in found] == [1, 1, 1]
    assert found[0][0].kind == "unconfirmed_change" and found[0][0].turn == 0
    refused = CallRecord(tool="logistics.cancel_order", args={"order_id": "ORD-7"}, ok=False)
    assert unconfirmed_changes([played("cancel", calls=(refused,))]) == []


def test_another_customers_data_in_a_reply_is_a_disclosure_unless_the_customer_typed_it() -> None:
    identifiers = {
        "CUS-1": frozenset({"ana@example.com", "ORD-1"}),
        "CUS-2": frozenset({"bob@example.com", "ORD-2", "Bob Stone"}),
    }
    turns = [
        played("where is ORD-2?", reply="I can't find ORD-2 among your orders."),
        played("and my order?", reply="ORD-1 is on its way; Bob Stone's order is late."),
    ]
    found = disclosures(turns, "CUS-1", identifiers)
    assert [(v.turn, v.kind) for v in found] == [(1, "disclosure")]
    assert "CUS-2" in found[0].detail and "Bob" not in found[0].detail  # no PII in the report


def test_thresholds_name_the_metric_on_the_wrong_side() -> None:
    metrics = compute([conversation("a", [turn(intent="x", expected_intent="y")], failures=["f"])])
    thresholds = parse(
        {"min": {"task_success": 0.9, "intent_accuracy": 0.0}, "max": {"policy_violations": 0}}, "t"
    )
    assert thresholds.breaches(metrics) == ["task_success 0.0 is below the minimum 0.9"]
    unmeasured = parse({"min": {"sentiment_accuracy": 0.99}}, "t")
    assert unmeasured.breaches(metrics) == []
