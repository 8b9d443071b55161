"""Helpers the nodes share: timestamps, the current customer turn, the brain's request."""

from __future__ import annotations

from agent.brain import HistoryLine, TurnRequest, Understanding
from agent.state import ConversationState, Perception, Turn, UnderstandingRecord
from cerebro.clock import Clock


def now_iso(clock: Clock) -> str:
    return clock.now().isoformat()


def current_turn(state: ConversationState) -> Turn:
    """The customer turn being played (the last customer turn of the transcript)."""
    for turn in reversed(state.get("turns") or []):
        if turn["source"] == "customer":
            return turn
    raise ValueError("no customer turn to play")


def perception_of(state: ConversationState) -> Perception:
    perception = state.get("perception")
    if perception is None:
        raise ValueError("the turn was not perceived")
    return perception


def turn_request(state: ConversationState, history_lines: int) -> TurnRequest:
    """What the brain is told about the customer turn being played."""
    turn = current_turn(state)
    perception = perception_of(state)
    earlier = [
        HistoryLine(source=t["source"], text=t["text"])
        for t in state.get("turns") or []
        if t["kind"] == "message" and t["offset"] < turn["offset"]
    ]
    return TurnRequest(
        conversation_id=state["conversation_id"],
        text=turn["text"],
        language=perception["language"],
        customer=state.get("customer"),
        flow=state.get("flow"),
        pending_change=state.get("pending_change"),
        affirmation=perception["affirmation"],
        sentiment=perception["sentiment"],
        history=tuple(earlier[-history_lines:]) if history_lines else (),
    )


def understanding_of(record: UnderstandingRecord) -> Understanding:
    return Understanding(
        intent=record["intent"],
        confidence=record["confidence"],
        entities=tuple((kind, value) for kind, value in record["entities"]),
    )


def record_of(understanding: Understanding) -> UnderstandingRecord:
    return UnderstandingRecord(
        intent=understanding.intent,
        confidence=round(understanding.confidence, 4),
        entities=[[kind, value] for kind, value in understanding.entities],
        out_of_scope=understanding.out_of_scope,
    )
