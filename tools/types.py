"""What the tools take and give back: frozen pydantic models, also the HTTP contract's JSON schema.

Conventions: money is integer cents plus an ISO 4217 currency code; datetimes are timezone-aware
UTC; closed vocabularies use the Literals of `memory.vocabulary`. `ToolInput` models are inputs:
both implementations of an adapter validate arguments with them (`ToolInput.parse` turns a
failure into an `invalid_input` error), and they are the HTTP request bodies.
Attribute docstrings below are the field descriptions of the JSON schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from memory.vocabulary import (
    Channel,
    HandoffOutcome,
    HandoffStatus,
    Language,
    MessageStatus,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    Purpose,
    RefundStatus,
    ReturnStatus,
    ShipmentStatus,
    TicketCategory,
    TicketSeverity,
    TicketStatus,
    Tier,
)
from tools.errors import InvalidInputError


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDateTime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware datetime, normalised to UTC."""


def _text(max_length: int) -> object:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


ShortText = Annotated[str, _text(200)]
LongText = Annotated[str, _text(10_000)]


class ToolModel(BaseModel):
    """Base of every result: immutable, documented from attribute docstrings."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)


class ToolInput(ToolModel):
    """Base of every input: unknown fields are refused."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, extra="forbid")

    @classmethod
    def parse(cls, **fields: object) -> Self:
        """Validate `fields`, raising `InvalidInputError` that says which field is wrong and why."""
        try:
            return cls.model_validate(fields)
        except ValidationError as error:
            raise InvalidInputError(describe_validation_error(error)) from None


def describe_validation_error(error: ValidationError) -> str:
    """Each problem as `field: why` (e.g. `country: must be a two-letter ...`), joined by `; `."""
    return describe_errors(error.errors(include_url=False))


REQUEST_PARTS = frozenset({"body", "query", "path", "header"})


def describe_errors(errors: Iterable[Mapping[str, Any]]) -> str:
    """`describe_validation_error` for pydantic's error dicts (also FastAPI's request errors,
    whose location starts with the request part: that part is left out)."""
    problems = []
    for detail in errors:
        parts = [str(part) for part in detail["loc"]]
        if len(parts) > 1 and parts[0] in REQUEST_PARTS:
            parts = parts[1:]
        message = str(detail["msg"]).removeprefix("Value error, ")
        problems.append(f"{'.'.join(parts)}: {message}" if parts else message)
    return "; ".join(problems)


DEFAULT_LIST_LIMIT = 20
MAX_LIST_LIMIT = 100


class Page(ToolInput):
    """How many records a list call returns at most (the newest ones)."""

    limit: int = Field(default=DEFAULT_LIST_LIMIT, ge=1, le=MAX_LIST_LIMIT)


# --- CRM ---------------------------------------------------------------------------------------


class CustomerSearch(ToolInput):
    """How to find a customer: by `email`, by `phone`, or by `name` and `zip_code` together."""

    email: str | None = None
    """Email address, compared case-insensitively."""
    phone: str | None = None
    """Phone number; spaces, dashes, dots and brackets are ignored. Without a `+` country prefix
    the digits must end the stored number (at least 6 digits)."""
    name: str | None = None
    """Full name; case, accents and word order are ignored, the first name and one surname must
    be there."""
    zip_code: str | None = None
    """Postal code of one of the customer's addresses; case and spaces are ignored."""

    @model_validator(mode="after")
    def _one_criterion(self) -> Self:
        given = {key for key in ("email", "phone", "name", "zip_code") if getattr(self, key)}
        if given not in ({"email"}, {"phone"}, {"name", "zip_code"}):
            raise ValueError("give exactly one of: email, phone, or name together with zip_code")
        return self


class CustomerMatch(ToolModel):
    """The one customer a lookup found: enough to greet them and to scope every later call."""

    customer_id: str
    first_name: str
    last_name: str
    language: Language
    preferred_channel: Channel


class ConsentRecord(ToolModel):
    """Whether the customer agreed to be contacted on `channel` for `purpose`."""

    channel: Channel
    purpose: Purpose
    granted: bool
    updated_at: UtcDateTime


class PostalAddress(ToolModel):
    """An address from the customer's address book."""

    id: str
    line1: str
    line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str
    """ISO 3166-1 alpha-2 country code."""
    is_default: bool


class MaskedPaymentMethod(ToolModel):
    """A payment method with nothing but what identifies it to its owner."""

    id: str
    kind: PaymentKind
    brand: str | None
    """Card brand or provider, e.g. `visa`, `paypal`."""
    last4: str | None
    """Last four digits of the card or account, when there are any."""
    is_default: bool


class CustomerProfile(ToolModel):
    """Everything the assistant may know about one customer."""

    id: str
    first_name: str
    last_name: str
    email: str
    phone: str | None
    """E.164 phone number, or none on file."""
    language: Language
    timezone: str
    """IANA time zone, e.g. `Europe/Madrid`."""
    preferred_channel: Channel
    tier: Tier
    lifetime_value_cents: int
    """Sum of the customer's purchases, in cents of the store's currency."""
    customer_since: UtcDateTime
    consents: tuple[ConsentRecord, ...]
    """One entry per channel and purpose the customer has answered; no entry means no consent."""
    addresses: tuple[PostalAddress, ...]
    payment_methods: tuple[MaskedPaymentMethod, ...]


class Ticket(ToolModel):
    """A support case of one customer."""

    id: str
    customer_id: str
    order_id: str | None
    subject: str
    description: str
    category: TicketCategory
    severity: TicketSeverity
    status: TicketStatus
    owner_agent_id: str | None
    """The human agent who owns the ticket, if any."""
    created_at: UtcDateTime
    updated_at: UtcDateTime
    resolved_at: UtcDateTime | None
    resolution: str | None
    """How the ticket was resolved (only when `status` is `resolved`)."""


class NewTicket(ToolInput):
    """A ticket to open."""

    subject: ShortText
    description: LongText
    category: TicketCategory
    severity: TicketSeverity
    order_id: str | None = None
    """An order of the same customer the ticket is about."""


TicketUpdateStatus = Literal["open", "pending"]
"""The statuses `update_ticket` can set; `resolved` is reached through `resolve_ticket` only."""


class TicketUpdate(ToolInput):
    """Fields to change on a ticket; at least one. Resolving has its own call."""

    status: TicketUpdateStatus | None = None
    """`open` also reopens a resolved ticket (its resolution is cleared)."""
    severity: TicketSeverity | None = None
    owner_agent_id: str | None = None
    """Id of an existing human agent to own the ticket."""

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if self.status is None and self.severity is None and self.owner_agent_id is None:
            raise ValueError("give at least one of: status, severity, owner_agent_id")
        return self


class TicketResolution(ToolInput):
    """How a ticket was resolved."""

    resolution: LongText


class Note(ToolModel):
    """A free-text note on a customer, for the people and the assistant who serve them."""

    id: str
    customer_id: str
    author: str
    text: str
    created_at: UtcDateTime


class NewNote(ToolInput):
    """A note to add to a customer."""

    text: LongText
    author: Annotated[str, _text(120)]
    """Who writes it: an agent's name, or `assistant`."""


# --- Logistics ---------------------------------------------------------------------------------


class ShippingAddress(ToolModel):
    """Where an order goes: a snapshot taken when it was placed (or changed since)."""

    line1: str
    line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str
    """ISO 3166-1 alpha-2 country code."""


_POSTAL_CODE = re.compile(r"^[A-Z0-9][A-Z0-9 -]{0,8}[A-Z0-9]$")


class NewShippingAddress(ToolInput):
    """A new shipping address for an order not yet shipped."""

    line1: ShortText
    line2: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    city: Annotated[str, _text(100)]
    region: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    postal_code: str
    """2 to 10 letters, digits, spaces or dashes (stored in upper case)."""
    country: str
    """ISO 3166-1 alpha-2 country code, e.g. `ES` (stored in upper case)."""

    @field_validator("line2", "region")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("postal_code")
    @classmethod
    def _postal_code(cls, value: str) -> str:
        value = value.strip().upper()
        if not _POSTAL_CODE.fullmatch(value):
            raise ValueError("must be 2-10 letters, digits, spaces or dashes")
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        value = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError("must be a two-letter ISO 3166-1 country code, e.g. ES")
        return value


class OrderSummary(ToolModel):
    """One line of a customer's order history."""

    id: str
    status: OrderStatus
    placed_at: UtcDateTime
    updated_at: UtcDateTime
    total_cents: int
    currency: str
    """ISO 4217 currency code of every amount of the order."""
    item_count: int
    """Number of units ordered, over all items."""


class OrderLine(ToolModel):
    """One item of an order."""

    id: str
    sku: str
    product_name: str
    quantity: int
    unit_price_cents: int
    line_total_cents: int
    returned_quantity: int
    """Units already in a return that was not rejected."""


class PaymentRecord(ToolModel):
    """A payment made for an order."""

    id: str
    amount_cents: int
    currency: str
    status: PaymentStatus
    method: MaskedPaymentMethod | None
    created_at: UtcDateTime


class TrackingEvent(ToolModel):
    """One scan of a parcel by the carrier."""

    occurred_at: UtcDateTime
    status: str
    """The carrier's status at this scan, e.g. `in_transit`."""
    location: str
    description: str


class Shipment(ToolModel):
    """A parcel of an order, with its tracking history (oldest event first)."""

    id: str
    carrier: str
    tracking_number: str
    status: ShipmentStatus
    shipped_at: UtcDateTime
    estimated_delivery: UtcDateTime
    delivered_at: UtcDateTime | None
    events: tuple[TrackingEvent, ...]


class OrderDetails(ToolModel):
    """One order with its items, payments, shipments and shipping address."""

    id: str
    customer_id: str
    status: OrderStatus
    placed_at: UtcDateTime
    updated_at: UtcDateTime
    total_cents: int
    currency: str
    shipping_address: ShippingAddress
    items: tuple[OrderLine, ...]
    payments: tuple[PaymentRecord, ...]
    shipments: tuple[Shipment, ...]
    cancel_reason: str | None
    """Why the order was cancelled (only when `status` is `cancelled`)."""
    return_deadline: UtcDateTime | None
    """Last moment a return can be requested (only for delivered orders)."""


class Tracking(ToolModel):
    """Where the parcels of an order are; no shipment yet while the order is being prepared."""

    order_id: str
    order_status: OrderStatus
    shipments: tuple[Shipment, ...]


class Refund(ToolModel):
    """Money going back to the customer, for a cancellation or a return."""

    id: str
    order_id: str
    return_id: str | None
    """The return it pays back, or none for a cancellation."""
    amount_cents: int
    currency: str
    status: RefundStatus
    created_at: UtcDateTime
    processed_at: UtcDateTime | None


class Cancellation(ToolModel):
    """A cancelled order and the refund of what was paid (none when nothing was paid)."""

    order: OrderDetails
    refund: Refund | None


class CancelRequest(ToolInput):
    """Why the customer cancels."""

    reason: LongText


class ReturnLine(ToolModel):
    """Units of one order item being returned."""

    order_item_id: str
    sku: str
    product_name: str
    quantity: int


class OrderReturn(ToolModel):
    """A return of delivered items and the refund it will pay."""

    id: str
    order_id: str
    status: ReturnStatus
    reason: str
    created_at: UtcDateTime
    items: tuple[ReturnLine, ...]
    refund: Refund | None


class ReturnLineRequest(ToolInput):
    """Units of one order item to return."""

    order_item_id: str
    quantity: int = Field(ge=1)


class ReturnRequest(ToolInput):
    """Items to return from a delivered order, and why."""

    items: tuple[ReturnLineRequest, ...] = Field(min_length=1)
    reason: LongText

    @field_validator("items")
    @classmethod
    def _no_repeats(cls, items: tuple[ReturnLineRequest, ...]) -> tuple[ReturnLineRequest, ...]:
        ids = [item.order_item_id for item in items]
        if len(set(ids)) != len(ids):
            raise ValueError("each order item may appear once; add up its quantities")
        return items


class OrderRefunds(ToolModel):
    """The refunds and returns of one order, oldest first."""

    order_id: str
    refunds: tuple[Refund, ...]
    returns: tuple[OrderReturn, ...]


# --- Messaging ---------------------------------------------------------------------------------


class Message(ToolModel):
    """One outbound message in the outbox and its delivery status."""

    id: str
    customer_id: str
    channel: Channel
    purpose: Purpose
    to_address: str
    """Email address, E.164 phone number, or customer id (for `in_app`)."""
    subject: str | None
    body: str
    status: MessageStatus
    error: str | None
    """Why delivery failed (only when `status` is `failed`)."""
    created_at: UtcDateTime
    updated_at: UtcDateTime


class NewMessage(ToolInput):
    """A message to send to a customer on one channel."""

    channel: Channel
    purpose: Purpose
    """`marketing` and `sales` need the customer's consent on that channel; `service` does not."""
    body: LongText
    subject: ShortText | None = None


class StatusUpdate(ToolInput):
    """A delivery report from the gateway."""

    status: MessageStatus
    error: Annotated[str, _text(2_000)] | None = None
    """Why delivery failed; only with status `failed`."""

    @model_validator(mode="after")
    def _error_only_when_failed(self) -> Self:
        if self.error is not None and self.status != "failed":
            raise ValueError("an error can only come with status failed")
        return self


# --- Human routing -----------------------------------------------------------------------------

SentimentTrend = Literal["improving", "stable", "worsening"]


class TranscriptLine(ToolModel):
    """One message of the conversation."""

    role: Literal["customer", "assistant", "agent"]
    text: Annotated[str, StringConstraints(max_length=4_000)]
    at: UtcDateTime


class AttemptedStep(ToolModel):
    """Something the assistant tried, and what it found."""

    action: ShortText
    """E.g. `looked up order ORD-100042`."""
    outcome: Annotated[str, _text(1_000)]
    """E.g. `shipped on 2026-02-20, carrier reports a delivery exception`."""


class OrderFact(ToolModel):
    """What the human agent should know about one order."""

    order_id: str
    status: OrderStatus
    detail: Annotated[str, _text(1_000)]


class EscalationSummary(ToolModel):
    """What a human agent reads before taking over: who, what they want, what was done."""

    customer_name: ShortText
    customer_tier: Tier
    request: Annotated[str, _text(1_000)]
    """What the customer wants, in one or two sentences."""
    attempts: tuple[AttemptedStep, ...] = ()
    order_facts: tuple[OrderFact, ...] = ()
    sentiment_trend: SentimentTrend
    last_messages: tuple[TranscriptLine, ...] = Field(default=(), max_length=20)
    """The last messages of the conversation, oldest first."""


class HandoffRequest(ToolInput):
    """A request to pass a conversation to a human agent."""

    conversation_id: Annotated[str, _text(64)]
    reason: Annotated[str, _text(64)]
    """Short code of why, e.g. `customer_request`, `negative_sentiment`, `trigger_word`."""
    language: Language
    skills: tuple[Annotated[str, _text(64)], ...] = ()
    """Skills the agent needs, e.g. `returns`, `payments`."""
    priority: int = Field(ge=1, le=5)
    """1 is the most urgent, 5 the least."""
    summary: EscalationSummary


class Handoff(ToolModel):
    """A conversation waiting for (or passed to) a human agent."""

    id: str
    customer_id: str | None
    """None for an unverified visitor's handoff (see `tools.routing.RoutingTools`)."""
    conversation_id: str
    status: HandoffStatus
    reason: str
    priority: int
    language: Language
    skills: tuple[str, ...]
    summary: EscalationSummary
    assigned_agent_id: str | None
    outcome: HandoffOutcome | None = None
    """How it ended, once `closed`."""
    created_at: UtcDateTime
    updated_at: UtcDateTime


class HandoffAssignment(ToolInput):
    """A human agent takes a handoff."""

    agent_id: Annotated[str, _text(32)]


class HandoffClosing(ToolInput):
    """A handoff is over."""

    outcome: HandoffOutcome
