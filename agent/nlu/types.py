"""The contract of the offline understanding step: intents, entities and the understanding.

Everything here is an immutable value, so an `Understanding` can sit in the conversation graph's
state and be checkpointed as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from memory.vocabulary import Language

Intent = Literal[
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
    "greeting",
    "goodbye",
    "affirm",
    "deny",
    "provide_info",
    "out_of_scope",
]
"""What the customer wants from this turn.

`provide_info` is a turn that only hands over a value (an order id, an email...) the assistant asked
for; `knowledge_question` asks about a policy (shipping, returns, payment...) and is answered from
the knowledge base; `out_of_scope` is anything a retail support assistant should not handle.
"""

EntityKind = Literal[
    "order_id",
    "ticket_id",
    "email",
    "phone",
    "postal_code",
    "person_name",
    "quantity",
    "item",
]
"""What an entity is. Values are normalized per kind (see `Entity`)."""


@dataclass(frozen=True, slots=True)
class Entity:
    """A value found in the customer's text, at `text[start:end]`.

    `value` is normalized: order ids as `ORD-100042`, ticket ids as `TCK-000042`, emails
    lower-cased, phones as digits with a leading `+` when one was typed, postal codes upper-cased
    with single spaces, names in title case, quantities as a decimal number ("2").
    """

    kind: EntityKind
    value: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"bad span [{self.start}, {self.end}) for {self.kind}")


@dataclass(frozen=True, slots=True)
class Understanding:
    """What one customer turn says: the intent, how sure we are, the values and the language.

    `confidence` lies in [0, 1]. `alternatives` are the next most likely intents with their
    confidences, best first. `out_of_scope` is True when the turn is nothing a retail support
    assistant handles (then `intent` is "out_of_scope" too).
    """

    intent: Intent
    confidence: float
    entities: tuple[Entity, ...]
    language: Language
    out_of_scope: bool
    alternatives: tuple[tuple[Intent, float], ...] = field(default=())

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must lie in [0, 1], got {self.confidence}")
        if self.out_of_scope != (self.intent == "out_of_scope"):
            raise ValueError("out_of_scope must be True exactly when the intent is out_of_scope")

    def first(self, kind: EntityKind) -> str | None:
        """The value of the first entity of `kind`, or None."""
        return next((entity.value for entity in self.entities if entity.kind == kind), None)
