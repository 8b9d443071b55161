"""What replaying one transcript gave: per turn and per conversation, with every check that
failed. These records are what report.json stores and what `cerebro eval compare` reads back."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class CallRecord(BaseModel):
    tool: str
    args: dict[str, Any]
    ok: bool


class Violation(BaseModel):
    """A breach of a rule the assistant must keep, whatever the transcript expects."""

    kind: str
    """`unconfirmed_change`, `disclosure` or `promotion_during_critical_ticket`."""
    turn: int | None
    detail: str


class ToolCounts(BaseModel):
    """Tool calls matched (true positives), made but not expected, expected but not made."""

    matched: int = 0
    unexpected: int = 0
    missing: int = 0

    def add(self, other: ToolCounts) -> ToolCounts:
        return ToolCounts(
            matched=self.matched + other.matched,
            unexpected=self.unexpected + other.unexpected,
            missing=self.missing + other.missing,
        )


class TurnOutcome(BaseModel):
    text: str
    reply: str
    intent: str | None
    expected_intent: str | None = None
    sentiment: str | None
    expected_sentiment: str | None = None
    calls: list[CallRecord] = Field(default_factory=list)
    tools: ToolCounts | None = None
    """None when the transcript states no tool calls for this turn."""
    handoff: bool = False
    expected_handoff: bool | None = None
    milliseconds: float
    failures: list[str] = Field(default_factory=list)


class ConversationOutcome(BaseModel):
    id: str
    source: str
    """`file:line` of the transcript."""
    flow: str
    flows: list[str]
    language: str
    tags: list[str]
    turns: list[TurnOutcome] = Field(default_factory=list)
    handoff: bool = False
    expected_handoff: bool | None = None
    conversation_tools: ToolCounts = Field(default_factory=ToolCounts)
    """Conversation-level expected tool calls (matched at any turn)."""
    violations: list[Violation] = Field(default_factory=list)
    failures: list[str] = Field(default_factory=list)
    """Every failed expectation and assertion, and the error if the replay crashed."""
    error: str | None = None

    @property
    def success(self) -> bool:
        return not self.failures and not self.violations and self.error is None
