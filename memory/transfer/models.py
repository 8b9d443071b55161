"""The `cerebro.retail` JSON document: one pydantic model per table, and the document around them.

Records are strict: JSON types must match (no "2" for 2, no "yes" for true), timestamps are
RFC 3339 with a time zone, unknown fields are refused. The JSON Schema in docs/data-schema.json is
generated from these models (`cerebro data-schema`); a test keeps the two in step.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Final, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

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

FORMAT: Final = "cerebro.retail"
VERSION: Final = 1
FormatName = Literal["cerebro.retail"]
Version = Literal[1]


def _text(max_length: int, min_length: int = 0) -> Any:
    return Field(min_length=min_length, max_length=max_length)


def _iana_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone") from None
    return name


Id = Annotated[str, _text(32, 1)]
LongId = Annotated[str, _text(40, 1)]
Cents = Annotated[int, Field(ge=0)]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code")]
Quantity = Annotated[int, Field(gt=0)]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CustomerRecord(Record):
    id: Id
    first_name: Annotated[str, _text(80)]
    last_name: Annotated[str, _text(80)]
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
    phone: Annotated[str, _text(32)] | None
    language: Language
    timezone: Annotated[str, _text(64), AfterValidator(_iana_zone)] = Field(
        description="IANA time zone, e.g. Europe/Madrid"
    )
    preferred_channel: Channel
    tier: Tier
    lifetime_value_cents: Cents
    created_at: AwareDatetime


class HumanAgentRecord(Record):
    id: Id
    name: Annotated[str, _text(120)]
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
    skills: list[str]
    languages: list[Language]
    channels: list[Channel]
    capacity: Annotated[int, Field(ge=0)]
    active: bool


class ProductRecord(Record):
    id: Id
    name: Annotated[str, _text(200)]
    category: Annotated[str, _text(64)]
    description: str


class AddressRecord(Record):
    id: Id
    customer_id: Id
    line1: Annotated[str, _text(200)]
    line2: Annotated[str, _text(200)] | None
    city: Annotated[str, _text(100)]
    region: Annotated[str, _text(100)] | None
    postal_code: Annotated[str, _text(20)]
    country: Country
    is_default: bool


class ConsentRecord(Record):
    customer_id: Id
    channel: Channel
    purpose: Purpose
    granted: bool
    updated_at: AwareDatetime


class HandoffRecord(Record):
    id: Id
    customer_id: Id | None = Field(
        description="The customer handed off; null for an unverified visitor"
    )
    conversation_id: Annotated[str, _text(64, 1)]
    status: HandoffStatus
    reason: Annotated[str, _text(64)]
    priority: int
    language: Language
    skills: list[str]
    summary: dict[str, Any] = Field(description="The escalation summary the agent reads")
    assigned_agent_id: Id | None
    outcome: HandoffOutcome | None = Field(
        default=None, description="How a closed handoff ended: resolved, or handed back"
    )
    created_at: AwareDatetime
    updated_at: AwareDatetime


class MessageRecord(Record):
    id: LongId
    customer_id: Id
    channel: Channel
    purpose: Purpose
    to_address: Annotated[str, _text(254)]
    subject: Annotated[str, _text(200)] | None
    body: str
    status: MessageStatus
    error: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    idempotency_key: Annotated[str, _text(255, 1)] | None = Field(
        default=None,
        description="The sender's key for the message, unique per customer (a send repeated "
        "with it answers this message again)",
    )


class NoteRecord(Record):
    id: Id
    customer_id: Id
    author: Annotated[str, _text(120)]
    text: str
    created_at: AwareDatetime


class OrderRecord(Record):
    id: Id
    customer_id: Id
    status: OrderStatus
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
    total_cents: Cents
    placed_at: AwareDatetime
    updated_at: AwareDatetime
    ship_line1: Annotated[str, _text(200)]
    ship_line2: Annotated[str, _text(200)] | None
    ship_city: Annotated[str, _text(100)]
    ship_region: Annotated[str, _text(100)] | None
    ship_postal_code: Annotated[str, _text(20)]
    ship_country: Country
    cancel_reason: str | None


class PaymentMethodRecord(Record):
    id: Id
    customer_id: Id
    kind: PaymentKind
    brand: Annotated[str, _text(32)] | None
    last4: Annotated[str, Field(pattern=r"^[0-9]{4}$")] | None
    expires: Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")] | None = Field(
        description="Card expiry as YYYY-MM"
    )
    is_default: bool


class ProductVariantRecord(Record):
    sku: Annotated[str, _text(48, 1)]
    product_id: Id
    name: Annotated[str, _text(120)]
    price_cents: Cents
    stock: Annotated[int, Field(ge=0)]


class OrderItemRecord(Record):
    id: LongId
    order_id: Id
    sku: Annotated[str, _text(48, 1)]
    product_name: Annotated[str, _text(200)]
    quantity: Quantity
    unit_price_cents: Cents


class PaymentRecord(Record):
    id: LongId
    order_id: Id
    payment_method_id: Id | None
    amount_cents: Cents
    status: PaymentStatus
    created_at: AwareDatetime


class ReturnRecord(Record):
    id: Id
    order_id: Id
    customer_id: Id
    status: ReturnStatus
    reason: str
    created_at: AwareDatetime


class ShipmentRecord(Record):
    id: LongId
    order_id: Id
    carrier: Annotated[str, _text(40)]
    tracking_number: Annotated[str, _text(40, 1)]
    status: ShipmentStatus
    shipped_at: AwareDatetime
    estimated_delivery: AwareDatetime
    delivered_at: AwareDatetime | None


class TicketRecord(Record):
    id: Id
    customer_id: Id
    order_id: Id | None
    subject: Annotated[str, _text(200)]
    description: str
    category: TicketCategory
    severity: TicketSeverity
    status: TicketStatus
    owner_agent_id: Id | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    resolved_at: AwareDatetime | None
    resolution: str | None


class RefundRecord(Record):
    id: Id
    order_id: Id
    return_id: Id | None
    amount_cents: Cents
    status: RefundStatus
    created_at: AwareDatetime
    processed_at: AwareDatetime | None


class ReturnItemRecord(Record):
    id: LongId
    return_id: Id
    order_item_id: LongId
    quantity: Quantity


class TrackingEventRecord(Record):
    id: Annotated[str, _text(48, 1)]
    shipment_id: LongId
    occurred_at: AwareDatetime
    status: Annotated[str, _text(24)] = Field(description="The carrier's status at this scan")
    location: Annotated[str, _text(120)]
    description: Annotated[str, _text(200)]


class Tables(BaseModel):
    """The records of every table, parents before children (the order import needs)."""

    model_config = ConfigDict(extra="forbid")

    customers: list[CustomerRecord] = []
    human_agents: list[HumanAgentRecord] = []
    products: list[ProductRecord] = []
    addresses: list[AddressRecord] = []
    consents: list[ConsentRecord] = []
    handoffs: list[HandoffRecord] = []
    messages: list[MessageRecord] = []
    notes: list[NoteRecord] = []
    orders: list[OrderRecord] = []
    payment_methods: list[PaymentMethodRecord] = []
    product_variants: list[ProductVariantRecord] = []
    order_items: list[OrderItemRecord] = []
    payments: list[PaymentRecord] = []
    returns: list[ReturnRecord] = []
    shipments: list[ShipmentRecord] = []
    tickets: list[TicketRecord] = []
    refunds: list[RefundRecord] = []
    return_items: list[ReturnItemRecord] = []
    tracking_events: list[TrackingEventRecord] = []


class Header(BaseModel):
    """What the document is: its format, the format's version, and when it was written."""

    model_config = ConfigDict(extra="forbid", strict=True)

    format: FormatName
    version: Version = Field(description="Version of the format; readers refuse others.")
    exported_at: AwareDatetime = Field(description="When the document was written.")


class RetailDocument(Header):
    """A whole retail data set: `cerebro export` writes one, `cerebro import` reads it."""

    model_config = ConfigDict(title="Cerebro retail data")

    tables: Tables = Field(
        default_factory=Tables,
        description="The records of each table; a table left out (or all of them) has none.",
    )


RECORD_MODELS: dict[str, type[Record]] = {
    name: get_args(field.annotation)[0] for name, field in Tables.model_fields.items()
}
"""Table name -> record model, in the order of `Tables` (parents first)."""

_STRICT = ConfigDict(strict=True)
HEADER_FIELDS: dict[str, TypeAdapter[Any]] = {
    "format": TypeAdapter(FormatName, config=_STRICT),
    "version": TypeAdapter(Version, config=_STRICT),
    "exported_at": TypeAdapter(AwareDatetime, config=_STRICT),
}
"""Header field name -> validator of its JSON value (the fields of `Header`)."""


def document_json_schema() -> str:
    """The JSON Schema (draft 2020-12) of the document: the text of docs/data-schema.json."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **RetailDocument.model_json_schema(),
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def header(exported_at: datetime) -> Header:
    return Header(format=FORMAT, version=VERSION, exported_at=exported_at)
