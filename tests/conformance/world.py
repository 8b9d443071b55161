"""The conformance world: a small retail store every adapter variant is tested against.

- María López García (`MARIA`): Spanish, prefers WhatsApp, agreed to WhatsApp marketing and
  declined email marketing; orders in every open status, one delivered 14 days ago with a
  return already requested for one pair of socks, one open ticket.
- James Carter (`JAMES`): VIP in the US; an order delivered long ago (return window closed), a
  cancelled one and a pending one; a resolved ticket, a sent message and a queued handoff.
- Lin Chen (`LIN`): new customer in London with no phone, no consents, no orders.
- Pablo López García (`PABLO`): María's brother, same postal code, a phone number ending like
  hers (for ambiguous lookups).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memory.db import Database
from memory.schema import (
    DOMAIN_TABLES,
    Address,
    Base,
    Consent,
    Customer,
    Handoff,
    HumanAgent,
    IdCounter,
    Message,
    Note,
    Order,
    OrderItem,
    Payment,
    PaymentMethod,
    Product,
    ProductVariant,
    Refund,
    Return,
    ReturnItem,
    Shipment,
    Ticket,
    TrackingEvent,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "conformance-secret"

MARIA, JAMES, LIN, PABLO = "CUS-000001", "CUS-000002", "CUS-000003", "CUS-000004"
MARIA_EMAIL = "maria.lopez@example.com"
MARIA_PHONE = "+34600111222"
MARIA_ZIP = "28013"
LIN_ZIP = "SW1A 2AA"

MARIA_PENDING = "ORD-100041"
MARIA_DELIVERED = "ORD-100042"
MARIA_SHIPPED = "ORD-100043"
MARIA_PROCESSED = "ORD-100044"
JAMES_DELIVERED_LONG_AGO = "ORD-200001"
JAMES_CANCELLED = "ORD-200002"
JAMES_PENDING = "ORD-200003"

SNEAKERS_ITEM = "OIT-100042-1"
"""1 pair of sneakers at 89.99 EUR in `MARIA_DELIVERED`."""
SOCKS_ITEM = "OIT-100042-2"
"""3 pairs of socks at 9.99 EUR in `MARIA_DELIVERED`; 1 already in `MARIA_RETURN`."""
JAMES_ITEM = "OIT-200001-1"

MARIA_DELIVERED_AT = datetime(2026, 2, 15, 10, 30, tzinfo=UTC)
MARIA_RETURN_DEADLINE = MARIA_DELIVERED_AT + timedelta(days=30)
JAMES_DELIVERED_AT = datetime(2025, 12, 5, 16, 0, tzinfo=UTC)

MARIA_TICKET = "TCK-000001"
JAMES_TICKET = "TCK-000002"
MARIA_NOTE = "NTE-000001"
JAMES_MESSAGE = "MSG-000001"
JAMES_HANDOFF = "HOF-000001"
JAMES_CONVERSATION = "conv-james-1"
MARIA_RETURN = "RET-000001"
MARIA_REFUND = "RFD-000001"
ACTIVE_AGENT = "AGT-001"
INACTIVE_AGENT = "AGT-002"
OTHER_AGENT = "AGT-003"

NEXT_IDS = {"TCK": 2, "NTE": 1, "MSG": 1, "HOF": 1, "RET": 1, "RFD": 1}
"""The id counters after the world: the adapters' next ids follow them (e.g. `TCK-000003`)."""


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def build_world(db: Database) -> None:
    """Fill an empty, migrated database with the world above."""
    rows = [*_people(), *_catalog(), *_orders(), *_service()]
    with db.session() as session:
        for table in DOMAIN_TABLES:  # parents first: the schema declares no relationships
            session.add_all(row for row in rows if row.__table__ is table)
            session.flush()
        session.add_all(IdCounter(prefix=key, next_value=value) for key, value in NEXT_IDS.items())


def _customer(customer_id: str, first: str, last: str, email: str, **extra: object) -> Customer:
    return Customer(
        id=customer_id,
        first_name=first,
        last_name=last,
        email=email,
        created_at=days_ago(400),
        **extra,
    )


def _people() -> list[Base]:
    return [
        _customer(
            MARIA,
            "María",
            "López García",
            MARIA_EMAIL,
            phone=MARIA_PHONE,
            language="es",
            timezone="Europe/Madrid",
            preferred_channel="whatsapp",
            tier="standard",
            lifetime_value_cents=48_500,
        ),
        _customer(
            JAMES,
            "James",
            "Carter",
            "james.carter@example.com",
            phone="+12025550143",
            language="en",
            timezone="America/New_York",
            preferred_channel="email",
            tier="vip",
            lifetime_value_cents=1_250_000,
        ),
        _customer(
            LIN,
            "Lin",
            "Chen",
            "lin.chen@example.com",
            phone=None,
            language="en",
            timezone="Europe/London",
            preferred_channel="email",
            tier="new",
            lifetime_value_cents=0,
        ),
        _customer(
            PABLO,
            "Pablo",
            "López García",
            "pablo.lopez@example.com",
            phone="+34700111222",
            language="es",
            timezone="Europe/Madrid",
            preferred_channel="sms",
            tier="standard",
            lifetime_value_cents=9_900,
        ),
        Consent(
            customer_id=MARIA,
            channel="whatsapp",
            purpose="marketing",
            granted=True,
            updated_at=days_ago(100),
        ),
        Consent(
            customer_id=MARIA,
            channel="email",
            purpose="marketing",
            granted=False,
            updated_at=days_ago(50),
        ),
        Consent(
            customer_id=JAMES,
            channel="email",
            purpose="sales",
            granted=True,
            updated_at=days_ago(300),
        ),
        Address(
            id="ADR-1",
            customer_id=MARIA,
            line1="Calle Mayor 1",
            line2="3º B",
            city="Madrid",
            region="Madrid",
            postal_code=MARIA_ZIP,
            country="ES",
            is_default=True,
        ),
        Address(
            id="ADR-2",
            customer_id=JAMES,
            line1="1600 Main St",
            line2=None,
            city="Springfield",
            region="IL",
            postal_code="62701",
            country="US",
            is_default=True,
        ),
        Address(
            id="ADR-3",
            customer_id=LIN,
            line1="10 Downing St",
            line2=None,
            city="London",
            region=None,
            postal_code=LIN_ZIP,
            country="GB",
            is_default=True,
        ),
        Address(
            id="ADR-4",
            customer_id=PABLO,
            line1="Calle Mayor 1",
            line2="1º A",
            city="Madrid",
            region="Madrid",
            postal_code=MARIA_ZIP,
            country="ES",
            is_default=True,
        ),
        PaymentMethod(
            id="PM-1",
            customer_id=MARIA,
            kind="card",
            brand="visa",
            last4="4242",
            expires="2028-09",
            is_default=True,
        ),
        PaymentMethod(
            id="PM-2",
            customer_id=JAMES,
            kind="card",
            brand="amex",
            last4="1005",
            expires="2027-01",
            is_default=True,
        ),
        PaymentMethod(
            id="PM-3",
            customer_id=JAMES,
            kind="paypal",
            brand="paypal",
            last4=None,
            expires=None,
            is_default=False,
        ),
        HumanAgent(
            id=ACTIVE_AGENT,
            name="Sofía Ruiz",
            email="sofia@example.com",
            skills=["returns", "delivery"],
            languages=["es", "en"],
            channels=["chat"],
            capacity=3,
            active=True,
        ),
        HumanAgent(
            id=INACTIVE_AGENT,
            name="Tom Reed",
            email="tom@example.com",
            skills=["payments"],
            languages=["en"],
            channels=["chat"],
            capacity=3,
            active=False,
        ),
        HumanAgent(
            id=OTHER_AGENT,
            name="Lucía Martín",
            email="lucia@example.com",
            skills=["returns", "vip"],
            languages=["es"],
            channels=["chat"],
            capacity=2,
            active=True,
        ),
    ]


def _catalog() -> list[Base]:
    return [
        Product(id="PRD-1", name="Runner sneakers", category="shoes", description="Light."),
        Product(id="PRD-2", name="Merino socks", category="socks", description="Warm."),
        Product(id="PRD-3", name="Rain jacket", category="outerwear", description="Dry."),
        ProductVariant(sku="SNK-42", product_id="PRD-1", name="EU 42", price_cents=8_999, stock=5),
        ProductVariant(sku="SCK-M", product_id="PRD-2", name="M", price_cents=999, stock=50),
        ProductVariant(sku="JKT-L", product_id="PRD-3", name="L", price_cents=12_900, stock=8),
    ]


def _order(
    order_id: str, customer_id: str, status: str, placed: datetime, **extra: object
) -> Order:
    address = {
        MARIA: ("Calle Mayor 1", "Madrid", MARIA_ZIP, "ES", "EUR"),
        JAMES: ("1600 Main St", "Springfield", "62701", "US", "USD"),
    }[customer_id]
    extra.setdefault("cancel_reason", None)
    return Order(
        id=order_id,
        customer_id=customer_id,
        status=status,
        currency=address[4],
        placed_at=placed,
        updated_at=placed,
        ship_line1=address[0],
        ship_line2=None,
        ship_city=address[1],
        ship_region=None,
        ship_postal_code=address[2],
        ship_country=address[3],
        **extra,
    )


def _item(order_id: str, number: int, sku: str, name: str, quantity: int, price: int) -> OrderItem:
    return OrderItem(
        id=f"OIT-{order_id[4:]}-{number}",
        order_id=order_id,
        sku=sku,
        product_name=name,
        quantity=quantity,
        unit_price_cents=price,
    )


def _payment(order_id: str, method: str | None, amount: int, status: str, at: datetime) -> Payment:
    return Payment(
        id=f"PAY-{order_id[4:]}",
        order_id=order_id,
        payment_method_id=method,
        amount_cents=amount,
        status=status,
        created_at=at,
    )


def _scan(shipment: str, number: int, at: datetime, status: str, where: str) -> TrackingEvent:
    return TrackingEvent(
        id=f"{shipment}-E{number}",
        shipment_id=shipment,
        occurred_at=at,
        status=status,
        location=where,
        description=status.replace("_", " ").capitalize(),
    )


def _orders() -> list[Base]:
    maria_delivered_placed = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
    james_delivered_placed = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)
    return [
        _order(MARIA_PENDING, MARIA, "pending", days_ago(1), total_cents=3_998),
        _order(MARIA_DELIVERED, MARIA, "delivered", maria_delivered_placed, total_cents=11_996),
        _order(MARIA_SHIPPED, MARIA, "shipped", days_ago(4), total_cents=12_900),
        _order(MARIA_PROCESSED, MARIA, "processed", days_ago(2), total_cents=999),
        _order(
            JAMES_DELIVERED_LONG_AGO, JAMES, "delivered", james_delivered_placed, total_cents=12_900
        ),
        _order(
            JAMES_CANCELLED,
            JAMES,
            "cancelled",
            days_ago(20),
            total_cents=8_999,
            cancel_reason="ordered the wrong size",
        ),
        _order(JAMES_PENDING, JAMES, "pending", days_ago(3), total_cents=25_800),
        _item(MARIA_PENDING, 1, "SCK-M", "Merino socks", 2, 1_999),
        _item(MARIA_DELIVERED, 1, "SNK-42", "Runner sneakers", 1, 8_999),
        _item(MARIA_DELIVERED, 2, "SCK-M", "Merino socks", 3, 999),
        _item(MARIA_SHIPPED, 1, "JKT-L", "Rain jacket", 1, 12_900),
        _item(MARIA_PROCESSED, 1, "SCK-M", "Merino socks", 1, 999),
        _item(JAMES_DELIVERED_LONG_AGO, 1, "JKT-L", "Rain jacket", 1, 12_900),
        _item(JAMES_CANCELLED, 1, "SNK-42", "Runner sneakers", 1, 8_999),
        _item(JAMES_PENDING, 1, "JKT-L", "Rain jacket", 2, 12_900),
        _payment(MARIA_PENDING, "PM-1", 3_998, "authorized", days_ago(1)),
        _payment(MARIA_DELIVERED, "PM-1", 11_996, "captured", maria_delivered_placed),
        _payment(MARIA_SHIPPED, "PM-1", 12_900, "captured", days_ago(4)),
        _payment(MARIA_PROCESSED, "PM-1", 999, "captured", days_ago(2)),
        _payment(JAMES_DELIVERED_LONG_AGO, "PM-2", 12_900, "captured", james_delivered_placed),
        _payment(JAMES_CANCELLED, "PM-3", 8_999, "refunded", days_ago(20)),
        _payment(JAMES_PENDING, "PM-2", 25_800, "authorized", days_ago(3)),
        Shipment(
            id="SHP-100042",
            order_id=MARIA_DELIVERED,
            carrier="SEUR",
            tracking_number="SEUR100042",
            status="delivered",
            shipped_at=datetime(2026, 2, 11, 18, 0, tzinfo=UTC),
            estimated_delivery=datetime(2026, 2, 14, 18, 0, tzinfo=UTC),
            delivered_at=MARIA_DELIVERED_AT,
        ),
        Shipment(
            id="SHP-100043",
            order_id=MARIA_SHIPPED,
            carrier="SEUR",
            tracking_number="SEUR100043",
            status="in_transit",
            shipped_at=days_ago(3),
            estimated_delivery=NOW + timedelta(days=1),
            delivered_at=None,
        ),
        Shipment(
            id="SHP-200001",
            order_id=JAMES_DELIVERED_LONG_AGO,
            carrier="UPS",
            tracking_number="1Z200001",
            status="delivered",
            shipped_at=datetime(2025, 12, 2, 15, 0, tzinfo=UTC),
            estimated_delivery=datetime(2025, 12, 5, 20, 0, tzinfo=UTC),
            delivered_at=JAMES_DELIVERED_AT,
        ),
        _scan("SHP-100042", 1, datetime(2026, 2, 11, 18, 0, tzinfo=UTC), "label_created", "Madrid"),
        _scan("SHP-100042", 2, datetime(2026, 2, 12, 8, 0, tzinfo=UTC), "in_transit", "Getafe"),
        _scan(
            "SHP-100042", 3, datetime(2026, 2, 15, 7, 45, tzinfo=UTC), "out_for_delivery", "Madrid"
        ),
        _scan("SHP-100042", 4, MARIA_DELIVERED_AT, "delivered", "Madrid"),
        _scan("SHP-100043", 2, days_ago(2), "in_transit", "Zaragoza"),
        _scan("SHP-100043", 1, days_ago(3), "label_created", "Barcelona"),
        _scan("SHP-200001", 1, JAMES_DELIVERED_AT, "delivered", "Springfield, IL"),
        Return(
            id=MARIA_RETURN,
            order_id=MARIA_DELIVERED,
            customer_id=MARIA,
            status="requested",
            reason="one pair too small",
            created_at=days_ago(5),
        ),
        ReturnItem(
            id=f"{MARIA_RETURN}-1", return_id=MARIA_RETURN, order_item_id=SOCKS_ITEM, quantity=1
        ),
        Refund(
            id=MARIA_REFUND,
            order_id=MARIA_DELIVERED,
            return_id=MARIA_RETURN,
            amount_cents=999,
            status="pending",
            created_at=days_ago(5),
            processed_at=None,
        ),
    ]


def _service() -> list[Base]:
    return [
        Ticket(
            id=MARIA_TICKET,
            customer_id=MARIA,
            order_id=MARIA_DELIVERED,
            subject="Calcetines pequeños",
            description="Un par es de otra talla.",
            category="return",
            severity="medium",
            status="open",
            owner_agent_id=None,
            created_at=days_ago(5),
            updated_at=days_ago(5),
            resolved_at=None,
            resolution=None,
        ),
        Ticket(
            id=JAMES_TICKET,
            customer_id=JAMES,
            order_id=JAMES_CANCELLED,
            subject="Refund for cancelled order",
            description="When will I get my money?",
            category="refund",
            severity="low",
            status="resolved",
            owner_agent_id=ACTIVE_AGENT,
            created_at=days_ago(19),
            updated_at=days_ago(18),
            resolved_at=days_ago(18),
            resolution="Refund confirmed by the bank.",
        ),
        Note(
            id=MARIA_NOTE,
            customer_id=MARIA,
            author="Sofía Ruiz",
            text="Prefiere que le escriban por WhatsApp.",
            created_at=days_ago(30),
        ),
        Message(
            id=JAMES_MESSAGE,
            customer_id=JAMES,
            channel="email",
            purpose="sales",
            to_address="james.carter@example.com",
            subject="Your VIP preview",
            body="New season preview.",
            status="sent",
            error=None,
            created_at=days_ago(2),
            updated_at=days_ago(2),
        ),
        Handoff(
            id=JAMES_HANDOFF,
            customer_id=JAMES,
            conversation_id=JAMES_CONVERSATION,
            status="queued",
            reason="customer_request",
            priority=2,
            language="en",
            skills=["payments"],
            summary={
                "customer_name": "James Carter",
                "customer_tier": "vip",
                "request": "Wants to speak with a person about a charge.",
                "sentiment_trend": "stable",
            },
            assigned_agent_id=None,
            created_at=days_ago(1),
            updated_at=days_ago(1),
        ),
    ]
