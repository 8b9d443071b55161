"""The state of one conversation, as the LangGraph checkpointer stores it.

Everything here is plain JSON (dicts, lists, strings, numbers, booleans, None), so both
checkpointers (SQLite and PostgreSQL) serialize it without custom types, and a checkpoint written
by one version of Cerebro reads back in the next.

The state keeps what the conversation needs to go on and nothing more:

- *conversation facts* that persist across turns: the language, the mode (`ai` or `human`), the
  verified customer, the brain's own flow memory, the change waiting for confirmation, the order
  facts seen so far, the handoff;
- the *transcript*: `turns`, one record per message or status change, in the style of Parlant's
  session events: each has an explicit `source` and a growing `offset`;
- *per-turn scratch* (`inbox`, `perception`, `understanding`, `escalation`, `reply`,
  `turn_tool_calls`): written by the nodes of the turn being played and overwritten by the next.

Reducers: `turns` merges by turn id (a node may annotate a turn appended earlier in the same run,
as `understand` does with the intent); `order_facts` merges by order id. Every other key is
last-value-wins.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypedDict

from memory.vocabulary import Language, OrderStatus, Tier
from tools.types import CustomerProfile

JSON = Any
"""A JSON value: dict, list, str, int, float, bool or None (typing cannot say it more precisely)."""

Source = Literal["customer", "ai_agent", "human_agent", "system"]
"""Who produced a turn: the customer, the assistant, a human agent, or Cerebro itself (status
changes such as a handoff or a hand-back)."""

TurnKind = Literal["message", "status"]
"""A `message` is text someone wrote; a `status` records a change (mode, handoff) in words."""

Mode = Literal["ai", "human"]
"""`ai`: the assistant answers. `human`: a human agent owns the conversation; the graph records
the customer's messages and answers nothing until an agent hands the conversation back."""

SentimentLabel = Literal["negative", "neutral", "positive"]

HandoffReason = Literal[
    "trigger_word",
    "customer_request",
    "negative_sentiment",
    "low_confidence",
    "tool_failure",
    "out_of_scope",
]
"""Why a conversation goes to a human; the routing tool receives it as the handoff `reason`."""

VerifiedBy = Literal["email", "phone", "name_zip", "session"]
"""How the customer was identified: a lookup in the CRM, or (`session`) the logged-in web session
whose backend created the conversation for them."""

ChangeAction = Literal[
    "cancel_order",
    "change_shipping_address",
    "return_items",
    "open_ticket",
]
"""The changes a customer must confirm before they are made (see `agent.customer_tools`)."""


class SentimentRecord(TypedDict):
    label: SentimentLabel
    score: float
    """From -1 (clearly negative) to 1 (clearly positive)."""


class ToolCallRecord(TypedDict):
    """One call through `agent.customer_tools.CustomerTools`, as the API and the summary show it."""

    tool: str
    """`<adapter>.<method>`, e.g. `logistics.cancel_order`, `crm.find_customer_by_email`."""
    args: dict[str, JSON]
    ok: bool
    error: str | None
    """The `tools.errors.ErrorCode` of a failed call (or `confirmation_required`,
    `identity_required`, `identity_locked` for calls the facade refused itself)."""
    outcome: str
    """One line: what the call found or did, or why it failed. Never another customer's data."""


class Turn(TypedDict):
    """One entry of the transcript."""

    id: str
    """`turn-<offset>`; unique within the conversation."""
    offset: int
    """0, 1, 2, ... in the order the turns happened."""
    source: Source
    kind: TurnKind
    text: str
    at: str
    """When it happened: ISO 8601, UTC."""
    language: Language | None
    intent: str | None
    """Customer turns: the understood intent (None in human mode, where nothing is understood)."""
    confidence: float | None
    sentiment: SentimentRecord | None
    """Customer turns only."""
    mode: Mode
    """The mode once this turn was played."""
    tool_calls: list[ToolCallRecord]
    """Assistant turns: the tool calls made to produce this reply."""
    author: str | None
    """Human-agent turns: who wrote it (an agent id or name)."""


class Customer(TypedDict):
    """The verified customer every tool call of the conversation is scoped to."""

    id: str
    first_name: str
    last_name: str
    tier: Tier
    language: Language
    verified_by: VerifiedBy


def verified_customer(profile: CustomerProfile, verified_by: VerifiedBy) -> Customer:
    """The conversation's customer, once `verified_by` proved they own `profile`."""
    return Customer(
        id=profile.id,
        first_name=profile.first_name,
        last_name=profile.last_name,
        tier=profile.tier,
        language=profile.language,
        verified_by=verified_by,
    )


class PendingChange(TypedDict):
    """A change the assistant proposed and the customer has not confirmed yet.

    It lives for one turn: if the customer's next message confirms it, the tools facade of that
    turn accepts exactly this `action` with exactly these `args`, once; otherwise it is dropped.
    """

    action: ChangeAction
    args: dict[str, JSON]
    """The keyword arguments of the `CustomerTools` method named by `action`."""


class OrderFactRecord(TypedDict):
    order_id: str
    status: OrderStatus
    detail: str
    """E.g. `shipped 2026-10-28 with Correos, in_transit, due 2026-11-03`."""


class HandoffRecord(TypedDict):
    reason: HandoffReason
    at: str
    handoff_id: str | None
    """The routing tool's handoff id; None while the customer still has to be identified."""
    status: Literal["queued", "awaiting_identity", "handed_back"]


class Inbox(TypedDict):
    """The input of one graph run: what just arrived."""

    kind: Literal["open", "message", "handback"]
    """`open` creates the conversation, `message` is a message from `source`, `handback` returns
    a human-mode conversation to the assistant."""
    source: Source
    text: str
    at: str
    author: str | None


class Perception(TypedDict):
    """What `perceive` noticed about the customer's message, before any understanding."""

    language: Language
    sentiment: SentimentRecord
    signals: list[str]
    """Frustration signals and trigger words found, e.g. `trigger:hablar con un humano`,
    `shouting`."""
    affirmation: Literal["yes", "no"] | None
    """Whether the message is a plain yes or a plain no, decided by code (never by a model): the
    only way a pending change gets confirmed."""


class UnderstandingRecord(TypedDict):
    intent: str
    confidence: float
    entities: list[list[str]]
    """`[kind, value]` pairs, e.g. `["order_id", "ORD-100045"]`."""
    out_of_scope: bool


class Escalation(TypedDict):
    reason: HandoffReason
    detail: str
    """Why, in a few words, for the human agent (e.g. the trigger word, the failing tool)."""


class ConversationState(TypedDict, total=False):
    """The LangGraph state of one conversation (one checkpointer thread per conversation)."""

    conversation_id: str
    created_at: str
    token_hash: str
    """SHA-256 (hex) of the conversation's secret bearer token; the token itself is never kept."""
    language: Language
    language_fixed: bool
    """True when the language was chosen at creation: detection then never changes it."""
    mode: Mode
    customer: Customer | None
    flow: dict[str, JSON] | None
    """The brain's own memory between turns (the offline brain's flow, step and slots). The graph
    stores it and hands it back; it never reads it."""
    pending_change: PendingChange | None
    low_confidence_streak: int
    """Consecutive customer turns understood with low confidence."""
    identity_failures: int
    """Identity lookups in this conversation that matched no customer; at
    `agent.customer_tools.MAX_IDENTITY_FAILURES` the conversation can no longer be verified."""
    order_facts: Annotated[dict[str, OrderFactRecord], merge_order_facts]
    handoff: HandoffRecord | None
    notes: list[str]
    """Facts a brain noted for the escalation summary (`agent.brain.Outcome.notes`), newest last."""
    turns: Annotated[list[Turn], merge_turns]

    inbox: Inbox | None
    perception: Perception | None
    understanding: UnderstandingRecord | None
    escalation: Escalation | None
    reply: str | None
    turn_tool_calls: list[ToolCallRecord]


def merge_turns(existing: list[Turn] | None, new: list[Turn] | None) -> list[Turn]:
    """Append `new` turns; a turn whose id is already there replaces it (an annotation)."""
    merged = list(existing or [])
    positions = {turn["id"]: index for index, turn in enumerate(merged)}
    for turn in new or []:
        index = positions.get(turn["id"])
        if index is None:
            positions[turn["id"]] = len(merged)
            merged.append(turn)
        else:
            merged[index] = turn
    return merged


def merge_order_facts(
    existing: dict[str, OrderFactRecord] | None, new: dict[str, OrderFactRecord] | None
) -> dict[str, OrderFactRecord]:
    """The facts of `new` orders replace those of the same orders; the others stay."""
    return {**(existing or {}), **(new or {})}


def turn_id(offset: int) -> str:
    return f"turn-{offset:04d}"


def new_turn(
    offset: int,
    source: Source,
    text: str,
    at: str,
    *,
    mode: Mode,
    kind: TurnKind = "message",
    language: Language | None = None,
    sentiment: SentimentRecord | None = None,
    tool_calls: list[ToolCallRecord] | None = None,
    author: str | None = None,
) -> Turn:
    """A transcript record with the optional fields left empty."""
    return Turn(
        id=turn_id(offset),
        offset=offset,
        source=source,
        kind=kind,
        text=text,
        at=at,
        language=language,
        intent=None,
        confidence=None,
        sentiment=sentiment,
        mode=mode,
        tool_calls=list(tool_calls or []),
        author=author,
    )


def next_offset(state: ConversationState) -> int:
    turns = state.get("turns") or []
    return turns[-1]["offset"] + 1 if turns else 0
