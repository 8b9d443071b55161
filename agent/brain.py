"""The seam between the conversation graph and a brain: what a brain is given and gives back.

The graph (`agent.graph`) owns the conversation: it perceives each customer message, guards it
(handoff triggers), stores the state and writes the transcript. A brain does two things for it,
once per customer turn in AI mode:

1. `Brain.understand` reads the message: intent, confidence, entities.
2. `Brain.act` plans and acts on it: it calls tools through the `CustomerTools` it is handed
   (the only door to the adapters), and returns the reply, its memory for the next turn, and
   optionally a change to propose or a reason to escalate.

Two brains implement this protocol: the offline brain (`agent.offline.OfflineBrain`, declarative
flows and templates) and the LLM brain (ChatOpenAI with tool calling). Whatever a brain decides,
the facade enforces the customer scope, identity verification and confirmation of changes in
code, so a brain (or a prompt injection steering it) cannot reach another customer's data or
change anything the customer did not confirm.

A brain must not raise for ordinary trouble: a `tools.errors.ToolError` it cannot work around
becomes an `Outcome` with an `escalate` (`tool_failure`). If it raises anyway, the graph treats
the exception as a tool failure and hands the conversation to a human.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from agent.state import JSON, Customer, HandoffReason, PendingChange, SentimentRecord, Source
from memory.vocabulary import Language

if TYPE_CHECKING:
    from agent.customer_tools import CustomerTools


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One earlier message of the conversation, oldest first in `TurnRequest.history`."""

    source: Source
    text: str


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """Everything a brain may know about the customer turn it is asked to handle.

    Attributes:
        conversation_id: The conversation (the checkpointer thread id).
        text: The customer's message, as typed.
        language: The language to answer in (`en` or `es`): the one detected on this message,
            or the one fixed when the conversation was created.
        customer: The verified customer, or None while nobody is identified. A brain learns of a
            verification it performs itself through `CustomerTools.customer`.
        flow: The brain's own memory from its previous `Outcome.flow` (None at the start, or
            after the brain returned None). Plain JSON; the graph never reads it.
        pending_change: The change proposed on the previous turn and awaiting the customer's
            answer, or None.
        affirmation: `"yes"` when the message is a plain confirmation, `"no"` a plain refusal,
            None otherwise; decided by code in `perceive`. When it is `"yes"` and there is a
            `pending_change`, the tools facade of this turn accepts exactly that change, once.
        sentiment: The sentiment of this message.
        history: Earlier messages (customer, assistant, human agent), oldest first, at most a
            dozen; this message is not in it.
    """

    conversation_id: str
    text: str
    language: Language
    customer: Customer | None
    flow: Mapping[str, JSON] | None
    pending_change: PendingChange | None
    affirmation: Literal["yes", "no"] | None
    sentiment: SentimentRecord
    history: tuple[HistoryLine, ...] = ()


@dataclass(frozen=True, slots=True)
class Understanding:
    """What the customer's message asks for, as a brain reads it.

    Attributes:
        intent: One of `agent.nlu.types.Intent` (e.g. `cancel_order`, `affirm`,
            `talk_to_human`, `out_of_scope`). The guard hands off on `talk_to_human`, and on
            `out_of_scope` when it is confident.
        confidence: In [0, 1]. Below the graph's threshold on two turns in a row, the
            conversation goes to a human.
        entities: `(kind, value)` pairs in order of appearance; kinds are those of
            `agent.nlu.types.EntityKind` (`order_id`, `email`, `phone`, `postal_code`,
            `person_name`, `quantity`, `item`, `ticket_id`), values normalized as there.
    """

    intent: str
    confidence: float
    entities: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must lie in [0, 1], got {self.confidence}")

    @property
    def out_of_scope(self) -> bool:
        return self.intent == "out_of_scope"

    def first(self, kind: str) -> str | None:
        """The value of the first entity of `kind`, or None."""
        return next((value for found, value in self.entities if found == kind), None)


@dataclass(frozen=True, slots=True)
class EscalationRequest:
    """A brain's request to hand the conversation to a human.

    Attributes:
        reason: Why (`customer_request`, `out_of_scope`, `tool_failure`, ...); it becomes the
            routing tool's handoff reason.
        detail: A few words for the human agent, e.g. which tool failed and how.
    """

    reason: HandoffReason
    detail: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a brain did with a turn.

    Attributes:
        reply: The text to send to the customer, in `TurnRequest.language`. Empty only together
            with `escalate`, when the graph's handoff message is the whole answer. The graph adds
            the AI disclosure to the first reply of a conversation; a brain must not.
        flow: The brain's memory for the next turn (plain JSON), or None to forget it.
        proposal: A change to ask the customer to confirm, built by a `CustomerTools.propose_*`
            method (which checks it is the customer's to make). The reply must ask for that
            confirmation; the graph keeps the proposal for exactly one turn.
        escalate: Set to hand the conversation to a human after this reply.
    """

    reply: str
    flow: Mapping[str, JSON] | None = None
    proposal: PendingChange | None = None
    escalate: EscalationRequest | None = None
    notes: tuple[str, ...] = field(default=())
    """Short facts for the escalation summary that no tool call records (e.g. "customer says the
    lamp arrived cracked")."""


class Brain(Protocol):
    """Understands and resolves customer turns; see the module docstring for the contract."""

    name: str
    """`offline` or `llm`: recorded in logs and in the bench output."""

    def understand(self, request: TurnRequest) -> Understanding:
        """Read the message. Must not call tools and must not raise for any text."""
        ...

    def act(
        self, request: TurnRequest, understanding: Understanding, tools: CustomerTools
    ) -> Outcome:
        """Plan and act: call `tools` as needed and say what to answer."""
        ...
