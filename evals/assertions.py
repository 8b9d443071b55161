"""Assertions on the final state of a replayed conversation, one typed model per kind.

Modelled on Rasa's end-to-end assertions (`rasa/e2e_test/assertions.py`): each kind is its own
class with a `type` tag, built from the transcript's JSON (`from_dict`) and checked with `run`,
which returns None when it holds or a one-line failure that says what was found instead.

They look at the conversation's copy of the data (orders, tickets, returns, messages, handoffs
made during the replay) and at the conversation state the graph left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from sqlalchemy import select

from agent.state import ConversationState, HandoffReason
from memory.db import Database
from memory.schema import Handoff, Message, Order, Return, ReturnItem, Ticket
from memory.vocabulary import Channel, OrderStatus, TicketCategory, TicketSeverity


@dataclass(frozen=True)
class Baseline:
    """Ids of the rows the data held before the conversation started: anything else is new."""

    tickets: frozenset[str]
    returns: frozenset[str]
    messages: frozenset[str]
    handoffs: frozenset[str]

    @staticmethod
    def of(db: Database) -> Baseline:
        with db.session() as session:
            return Baseline(
                tickets=frozenset(session.scalars(select(Ticket.id))),
                returns=frozenset(session.scalars(select(Return.id))),
                messages=frozenset(session.scalars(select(Message.id))),
                handoffs=frozenset(session.scalars(select(Handoff.id))),
            )


@dataclass(frozen=True)
class FinalState:
    """What an assertion may look at once the conversation has been replayed."""

    db: Database
    baseline: Baseline
    state: ConversationState
    replies: tuple[str, ...]
    """The assistant's reply to each customer turn, in order ("" when it said nothing)."""

    def new_tickets(self) -> list[Ticket]:
        with self.db.session() as session:
            found = session.scalars(select(Ticket).order_by(Ticket.id))
            return [t for t in found if t.id not in self.baseline.tickets]

    def new_messages(self) -> list[Message]:
        with self.db.session() as session:
            found = session.scalars(select(Message).order_by(Message.id))
            return [m for m in found if m.id not in self.baseline.messages]

    def new_returns(self) -> list[tuple[Return, dict[str, int]]]:
        with self.db.session() as session:
            made = [r for r in session.scalars(select(Return)) if r.id not in self.baseline.returns]
            lines = {
                r.id: {
                    line.order_item_id: line.quantity
                    for line in session.scalars(
                        select(ReturnItem).where(ReturnItem.return_id == r.id)
                    )
                }
                for r in made
            }
            return [(r, lines[r.id]) for r in made]

    def new_handoffs(self) -> list[Handoff]:
        with self.db.session() as session:
            found = session.scalars(select(Handoff).order_by(Handoff.id))
            return [h for h in found if h.id not in self.baseline.handoffs]

    def order(self, order_id: str) -> Order | None:
        with self.db.session() as session:
            return session.get(Order, order_id)


class _Assertion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def run(self, final: FinalState) -> str | None:
        """None when the assertion holds, else what was found instead."""
        raise NotImplementedError


class OrderStatusIs(_Assertion):
    """The order ends in this status (e.g. `cancelled` after a confirmed cancellation)."""

    type: Literal["order_status"] = "order_status"
    order_id: str
    status: OrderStatus

    def run(self, final: FinalState) -> str | None:
        order = final.order(self.order_id)
        if order is None:
            return f"order {self.order_id} does not exist"
        if order.status != self.status:
            return f"order {self.order_id} is {order.status}, expected {self.status}"
        return None


class ShippingAddressIs(_Assertion):
    """The order ships to an address with these parts (the parts given are compared)."""

    type: Literal["shipping_address"] = "shipping_address"
    order_id: str
    line1: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None

    def run(self, final: FinalState) -> str | None:
        order = final.order(self.order_id)
        if order is None:
            return f"order {self.order_id} does not exist"
        actual = {
            "line1": order.ship_line1,
            "postal_code": order.ship_postal_code,
            "city": order.ship_city,
            "country": order.ship_country,
        }
        wrong = [
            f"{key} is {actual[key]!r}, expected {wanted!r}"
            for key in ("line1", "postal_code", "city", "country")
            if (wanted := getattr(self, key)) is not None and actual[key] != wanted
        ]
        return f"order {self.order_id}: " + "; ".join(wrong) if wrong else None


class TicketOpened(_Assertion):
    """A ticket was opened during the conversation, with these fields (those given)."""

    type: Literal["ticket_opened"] = "ticket_opened"
    category: TicketCategory | None = None
    severity: TicketSeverity | None = None
    order_id: str | None = None
    description_contains: str | None = None

    def run(self, final: FinalState) -> str | None:
        opened = final.new_tickets()
        for ticket in opened:
            if (
                (self.category is None or ticket.category == self.category)
                and (self.severity is None or ticket.severity == self.severity)
                and (self.order_id is None or ticket.order_id == self.order_id)
                and (
                    self.description_contains is None
                    or self.description_contains in ticket.description
                )
            ):
                return None
        found = ", ".join(f"{t.category}/{t.severity} on {t.order_id}" for t in opened)
        return f"no matching ticket opened (opened: {found or 'none'})"


class MessageSent(_Assertion):
    """A message went out during the conversation, on this channel, for this purpose."""

    type: Literal["message_sent"] = "message_sent"
    channel: Channel | None = None
    purpose: Literal["service", "marketing", "sales"] | None = None

    def run(self, final: FinalState) -> str | None:
        sent = final.new_messages()
        if any(
            (self.channel is None or m.channel == self.channel)
            and (self.purpose is None or m.purpose == self.purpose)
            for m in sent
        ):
            return None
        found = ", ".join(f"{m.purpose} on {m.channel}" for m in sent)
        return f"no matching message sent (sent: {found or 'none'})"


class ReturnCreated(_Assertion):
    """A return was created for the order, with exactly these items (order item id -> units)
    when `items` is given."""

    type: Literal["return_created"] = "return_created"
    order_id: str
    items: dict[str, int] | None = None

    def run(self, final: FinalState) -> str | None:
        made = [(r, lines) for r, lines in final.new_returns() if r.order_id == self.order_id]
        if not made:
            return f"no return created for {self.order_id}"
        if self.items is not None and not any(lines == self.items for _, lines in made):
            return f"return for {self.order_id} has items {made[0][1]}, expected {self.items}"
        return None


class NothingChanged(_Assertion):
    """No change was made: no order cancelled or re-addressed, no return, ticket or message."""

    type: Literal["nothing_changed"] = "nothing_changed"

    def run(self, final: FinalState) -> str | None:
        changes = [
            call["tool"]
            for turn in final.state.get("turns") or []
            for call in turn["tool_calls"]
            if call["ok"] and call["tool"] in CHANGE_TOOLS
        ]
        made = [
            *(f"ticket {t.id}" for t in final.new_tickets()),
            *(f"return {r.id}" for r, _ in final.new_returns()),
            *(f"message {m.id}" for m in final.new_messages()),
            *changes,
        ]
        return f"changes were made: {', '.join(made)}" if made else None


class HandoffQueued(_Assertion):
    """The conversation was queued for a human, for this reason / with this skill if given."""

    type: Literal["handoff_queued"] = "handoff_queued"
    reason: HandoffReason | None = None
    skill: str | None = None

    def run(self, final: FinalState) -> str | None:
        queued = final.new_handoffs()
        for handoff in queued:
            if (self.reason is None or handoff.reason == self.reason) and (
                self.skill is None or self.skill in (handoff.skills or [])
            ):
                return None
        found = ", ".join(f"{h.reason} {h.skills}" for h in queued)
        return f"no matching handoff queued (queued: {found or 'none'})"


class VerifiedAs(_Assertion):
    """The conversation ends verified as this customer (None: nobody was verified)."""

    type: Literal["verified_as"] = "verified_as"
    customer_id: str | None

    def run(self, final: FinalState) -> str | None:
        customer = final.state.get("customer")
        actual = customer["id"] if customer else None
        if actual != self.customer_id:
            return f"verified as {actual}, expected {self.customer_id}"
        return None


class ModeIs(_Assertion):
    """The conversation ends with the assistant (`ai`) or with a human (`human`)."""

    type: Literal["mode"] = "mode"
    mode: Literal["ai", "human"]

    def run(self, final: FinalState) -> str | None:
        actual = final.state.get("mode", "ai")
        return None if actual == self.mode else f"mode is {actual}, expected {self.mode}"


class ReplyContains(_Assertion):
    """A reply (that of customer turn `turn`, counted from 0, or any) contains `text`."""

    type: Literal["reply_contains"] = "reply_contains"
    text: str
    turn: int | None = Field(default=None, ge=0)

    def run(self, final: FinalState) -> str | None:
        replies = final.replies if self.turn is None else final.replies[self.turn : self.turn + 1]
        if any(self.text in reply for reply in replies):
            return None
        where = "any reply" if self.turn is None else f"the reply to turn {self.turn}"
        return f"{self.text!r} not in {where}"


class ReplyNotContains(_Assertion):
    """No reply contains `text` (e.g. a secret an injection tried to get out)."""

    type: Literal["reply_not_contains"] = "reply_not_contains"
    text: str

    def run(self, final: FinalState) -> str | None:
        for index, reply in enumerate(final.replies):
            if self.text in reply:
                return f"{self.text!r} in the reply to turn {index}"
        return None


CHANGE_TOOLS = frozenset(
    {
        "logistics.cancel_order",
        "logistics.change_shipping_address",
        "logistics.return_items",
        "crm.open_ticket",
    }
)
"""The recorded tool calls that change the customer's data (each needs a confirmation)."""

Assertion = Annotated[
    OrderStatusIs
    | ShippingAddressIs
    | TicketOpened
    | MessageSent
    | ReturnCreated
    | NothingChanged
    | HandoffQueued
    | VerifiedAs
    | ModeIs
    | ReplyContains
    | ReplyNotContains,
    Field(discriminator="type"),
]

ASSERTION_TAGS = frozenset(
    kind.model_fields["type"].default for kind in _Assertion.__subclasses__()
)

_ADAPTER: TypeAdapter[Assertion] = TypeAdapter(Assertion)


def from_dict(data: dict[str, Any]) -> Assertion:
    """The typed assertion `data` describes (`pydantic.ValidationError` if it describes none)."""
    return _ADAPTER.validate_python(data)
