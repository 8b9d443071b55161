"""The database schema: one set of tables for SQLite and PostgreSQL.

Money is stored in integer cents, timestamps as UTC (`UTCDateTime` hands back aware datetimes on
both databases), closed vocabularies as strings checked against `memory.vocabulary`.
Migrations under `memory/migrations/` must produce exactly this schema (a test compares them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy import (
    text as sql_text,  # a column below is named `text`
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from memory import vocabulary as v

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always returned timezone-aware (UTC)."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Cerebro stores aware UTC timestamps")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _one_of(column: str, literal: object) -> str:
    allowed = ", ".join(f"'{value}'" for value in v.values(literal))
    return f"{column} IN ({allowed})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint(_one_of("language", v.Language), name="language"),
        CheckConstraint(_one_of("preferred_channel", v.Channel), name="preferred_channel"),
        CheckConstraint(_one_of("tier", v.Tier), name="tier"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    language: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    preferred_channel: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(16))
    lifetime_value_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime]


class Consent(Base):
    """Whether a customer agreed to hear from us on a channel for a purpose."""

    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint(_one_of("channel", v.Channel), name="channel"),
        CheckConstraint(_one_of("purpose", v.Purpose), name="purpose"),
    )

    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(20), index=True)
    country: Mapped[str] = mapped_column(String(2))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class PaymentMethod(Base):
    __tablename__ = "payment_methods"
    __table_args__ = (CheckConstraint(_one_of("kind", v.PaymentKind), name="kind"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    brand: Mapped[str | None] = mapped_column(String(32))
    last4: Mapped[str | None] = mapped_column(String(4))
    expires: Mapped[str | None] = mapped_column(String(7))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)


class ProductVariant(Base):
    __tablename__ = "product_variants"

    sku: Mapped[str] = mapped_column(String(48), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    price_cents: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)


class Order(Base):
    """An order; the shipping address is a snapshot, so changing it never edits the address book."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(_one_of("status", v.OrderStatus), name="status"),
        Index("ix_orders_customer_placed", "customer_id", "placed_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int] = mapped_column(Integer)
    placed_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ship_line1: Mapped[str] = mapped_column(String(200))
    ship_line2: Mapped[str | None] = mapped_column(String(200))
    ship_city: Mapped[str] = mapped_column(String(100))
    ship_region: Mapped[str | None] = mapped_column(String(100))
    ship_postal_code: Mapped[str] = mapped_column(String(20))
    ship_country: Mapped[str] = mapped_column(String(2))
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(ForeignKey("product_variants.sku"))
    product_name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (CheckConstraint(_one_of("status", v.PaymentStatus), name="status"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    payment_method_id: Mapped[str | None] = mapped_column(ForeignKey("payment_methods.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime]


class Shipment(Base):
    __tablename__ = "shipments"
    __table_args__ = (CheckConstraint(_one_of("status", v.ShipmentStatus), name="status"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    carrier: Mapped[str] = mapped_column(String(40))
    tracking_number: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(24))
    shipped_at: Mapped[datetime]
    estimated_delivery: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class TrackingEvent(Base):
    __tablename__ = "tracking_events"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    shipment_id: Mapped[str] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    occurred_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(24))
    location: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(200))


class Return(Base):
    __tablename__ = "returns"
    __table_args__ = (CheckConstraint(_one_of("status", v.ReturnStatus), name="status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ReturnItem(Base):
    __tablename__ = "return_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    order_item_id: Mapped[str] = mapped_column(ForeignKey("order_items.id"))
    quantity: Mapped[int] = mapped_column(Integer)


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint(_one_of("status", v.RefundStatus), name="status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    return_id: Mapped[str | None] = mapped_column(ForeignKey("returns.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]


class HumanAgent(Base):
    """A person in the contact centre who can take escalated conversations."""

    __tablename__ = "human_agents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    skills: Mapped[list[str]]
    languages: Mapped[list[str]]
    channels: Mapped[list[str]]
    capacity: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(_one_of("severity", v.TicketSeverity), name="severity"),
        CheckConstraint(_one_of("status", v.TicketStatus), name="status"),
        CheckConstraint(_one_of("category", v.TicketCategory), name="category"),
        Index("ix_tickets_customer_status", "customer_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    owner_agent_id: Mapped[str | None] = mapped_column(ForeignKey("human_agents.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Message(Base):
    """One outbound message in the outbox, whatever its channel, with its delivery status."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(_one_of("channel", v.Channel), name="channel"),
        CheckConstraint(_one_of("purpose", v.Purpose), name="purpose"),
        CheckConstraint(_one_of("status", v.MessageStatus), name="status"),
        Index("ix_messages_customer_created", "customer_id", "created_at"),
        Index("ix_messages_status", "status"),
        # Only messages sent with a key (migration 0008); NULLs never collide anyway.
        Index(
            "ix_messages_customer_idempotency_key",
            "customer_id",
            "idempotency_key",
            unique=True,
            sqlite_where=sql_text("idempotency_key IS NOT NULL"),
            postgresql_where=sql_text("idempotency_key IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    """The sender's key for this message, unique per customer: a send repeated with it answers
    this message instead of queueing another (`tools.messaging.protocol`). None when sent
    without one."""


class Handoff(Base):
    """A request to pass a conversation to a human, with the summary the agent will read."""

    __tablename__ = "handoffs"
    __table_args__ = (
        CheckConstraint(_one_of("status", v.HandoffStatus), name="status"),
        CheckConstraint(
            f"outcome IS NULL OR {_one_of('outcome', v.HandoffOutcome)}", name="outcome"
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    """None for an unverified visitor (a customer can always reach a human)."""
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(2))
    skills: Mapped[list[str]]
    summary: Mapped[dict[str, Any]]
    assigned_agent_id: Mapped[str | None] = mapped_column(ForeignKey("human_agents.id"))
    outcome: Mapped[str | None] = mapped_column(String(16))
    """Set when the handoff is closed (`memory.vocabulary.HandoffOutcome`)."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IdCounter(Base):
    """Next number per id prefix, so new ids (ORD-…, TCK-…) never collide across processes."""

    __tablename__ = "id_counters"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_value: Mapped[int] = mapped_column(BigInteger)


DOMAIN_TABLES = [t for t in Base.metadata.sorted_tables if t.name != IdCounter.__tablename__]
"""Domain tables in dependency order (parents first): the order for seeding, import and export."""
