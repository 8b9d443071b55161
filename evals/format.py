"""The transcript format: JSONL, one conversation per line (docs/evals.md).

A transcript says how the conversation starts (language, an anonymous visitor or a logged-in
demo customer, the time), what the customer writes turn by turn, and what should happen: per
turn the intent, the tool calls (name and a subset of the arguments), whether the conversation
goes to a human on that turn, the sentiment label; per conversation whether it is handed off,
tool calls made at any turn, and assertions on the final state (`evals.assertions`).

`evals/schema/transcript.schema.json` is generated from these models (`cerebro eval schema`)
and kept in step by a test.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from agent.state import HandoffReason, SentimentLabel
from evals.assertions import Assertion
from memory.vocabulary import Language


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExpectedToolCall(_Model):
    """A tool call the assistant should make: the recorded tool name (`logistics.get_order`)
    and the arguments that must match (a subset: arguments not listed may have any value)."""

    name: str = Field(min_length=1)
    args: dict[str, Any] = Field(default_factory=dict)

    def matches(self, tool: str, args: dict[str, Any]) -> bool:
        return tool == self.name and all(
            key in args and args[key] == value for key, value in self.args.items()
        )


class TurnExpectations(_Model):
    """What should happen on one customer turn; anything left out is not checked."""

    intent: str | None = None
    """The intent the brain should understand (e.g. `cancel_order`, `affirm`, `provide_info`)."""
    tool_calls: list[ExpectedToolCall] | None = None
    """Every tool call the turn should make, in any order: extra calls count against
    precision, missing ones against recall. `[]` means no tool call at all."""
    handoff: bool | None = None
    """Whether the conversation goes to a human on this turn."""
    sentiment: SentimentLabel | None = None
    reply_contains: list[str] = Field(default_factory=list)
    """Texts the reply to this turn must contain."""


class CustomerTurn(_Model):
    text: str = Field(min_length=1, max_length=4000)
    expect: TurnExpectations = Field(default_factory=TurnExpectations)


class ConversationExpectations(_Model):
    handoff: bool | None = None
    """Whether the conversation ends up with a human (None: not checked)."""
    handoff_reason: HandoffReason | None = None
    tool_calls: list[ExpectedToolCall] = Field(default_factory=list)
    """Calls that must be made at some turn (e.g. a change made a turn after it was asked)."""
    assertions: list[Assertion] = Field(default_factory=list)


class Transcript(_Model):
    """One conversation to replay."""

    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")
    language: Language
    """The conversation's language, fixed at creation like the widget does."""
    flows: list[str] = Field(min_length=1)
    """Flow tags for the per-flow figures; the first is the conversation's main flow."""
    tags: list[str] = Field(default_factory=list)
    """Free labels (`correction`, `topic_switch`, `injection`...), kept in the report."""
    logged_in_as: str | None = Field(default=None, pattern=r"^CUS-\d{6}$")
    """A demo customer id: the conversation starts verified, as for a logged-in widget.
    None: an anonymous visitor, who must identify themselves."""
    now: AwareDatetime | None = None
    """The time of the conversation (default: the demo data's "now", 2026-11-01T12:00Z)."""
    turns: list[CustomerTurn] = Field(min_length=1)
    expect: ConversationExpectations = Field(default_factory=ConversationExpectations)

    @property
    def flow(self) -> str:
        return self.flows[0]

    def start(self, default: datetime) -> datetime:
        return self.now or default

    def to_line(self) -> str:
        """The transcript as one JSONL line (fields never set left out)."""
        data = self.model_dump(mode="json", exclude_unset=True)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def transcript_json_schema() -> dict[str, Any]:
    """The JSON Schema of one transcript line."""
    schema = Transcript.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
