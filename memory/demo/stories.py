"""The hand-written "story" customers CUS-000001 to CUS-000005, for demos and tests.

docs/demo-data.md describes them; every moment is relative to the generator's "now".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from memory.demo.builder import Builder, CustomerCtx
from memory.demo.places import COUNTRY_BY_CODE, City
from memory.demo.texts import MARKETING_MESSAGES, ORDER_MESSAGES, TICKETS
from memory.vocabulary import Channel

_ALL_CHANNELS: tuple[Channel, ...] = ("email", "sms", "whatsapp", "in_app")
_LUCIA = "AGT-000001"


def _city(country: str, name: str) -> City:
    return next(city for city in COUNTRY_BY_CODE[country].cities if city.name == name)


def _days(count: float) -> timedelta:
    return timedelta(days=count)


def _notify(b: Builder, c: CustomerCtx, channel: Channel, order_index: int) -> None:
    """The service message about an order's current status."""
    order = c.orders[order_index]
    subject, body = ORDER_MESSAGES[order.status][c.language]
    b.message(
        c,
        channel=channel,
        purpose="service",
        subject=subject.format(order=order.id),
        body=body.format(order=order.id),
        created_at=order.updated_at,
    )


def maria(b: Builder) -> None:
    """CUS-000001: a damaged lamp just delivered, running shoes in transit, a pending order."""
    now = b.now
    madrid = _city("ES", "Madrid")
    c = b.customer(
        first_name="María",
        last_name="García",
        language="es",
        country=COUNTRY_BY_CODE["ES"],
        city=madrid,
        preferred_channel="whatsapp",
        created_at=now - _days(730),
        email="maria.garcia@example.com",
    )
    b.address(c, madrid, lines=("Calle de Alcalá, 123", "4º B"), postal="28009")
    b.payment_method(c, "card", "visa", "4821", "2028-09")
    for channel in _ALL_CHANNELS:
        b.consent(c, channel, "service", True, c.created_at)
    b.consent(c, "whatsapp", "marketing", True, c.created_at)
    b.consent(c, "email", "marketing", True, c.created_at)
    b.consent(c, "sms", "marketing", False, c.created_at)
    b.consent(c, "whatsapp", "sales", False, c.created_at)
    b.order(
        c, status="delivered", placed_at=now - _days(420), lines=[("TEE-WHT-M", 2), ("SCRF-RED", 1)]
    )
    kettle = b.order(c, status="delivered", placed_at=now - _days(210), lines=[("KTL-BLK", 1)])
    b.order(
        c,
        status="delivered",
        placed_at=now - _days(6),
        lines=[("LAMP-TER", 1), ("CNDL-FIG", 2)],
        delivery_note="Delivered. Courier note: outer box crushed on one corner",
    )
    b.order(c, status="shipped", placed_at=now - timedelta(hours=30), lines=[("RUN-40", 1)])
    b.order(
        c,
        status="pending",
        placed_at=now - timedelta(hours=2),
        lines=[("YOGA-STD", 1), ("BTL-750", 1)],
    )
    assert kettle.delivered_at is not None
    ticket = b.ticket(
        c,
        text=TICKETS["order"]["es"][1],
        category="order",
        severity="medium",
        status="resolved",
        created_at=kettle.delivered_at + timedelta(hours=3),
        order=kettle,
        owner_agent_id=_LUCIA,
    )
    b.handoff(
        c,
        ticket,
        order=kettle,
        skills=("orders",),
        reason="customer_request",
        sentiment_trend="improving",
    )
    b.note(
        c, "Lucía Fernández", "Prefers WhatsApp; replies fastest in the evening.", now - _days(200)
    )
    _notify(b, c, "whatsapp", 2)
    _notify(b, c, "whatsapp", 3)
    subject, body = MARKETING_MESSAGES["es"]
    b.message(
        c,
        channel="whatsapp",
        purpose="marketing",
        subject=subject,
        body=body,
        created_at=now - _days(20),
    )
    b.finish(c)


def olivia(b: Builder) -> None:
    """CUS-000002: a VIP (a sofa and a rug delivered) with an espresso machine order pending."""
    now = b.now
    london = _city("GB", "London")
    c = b.customer(
        first_name="Olivia",
        last_name="Bennett",
        language="en",
        country=COUNTRY_BY_CODE["GB"],
        city=london,
        preferred_channel="email",
        created_at=now - _days(1100),
        email="olivia.bennett@example.com",
    )
    b.address(c, london, lines=("27 Kensington Park Road", "Flat 3"), postal="W11 2EU")
    b.payment_method(c, "card", "amex", "1007", "2029-03")
    for channel in _ALL_CHANNELS:
        b.consent(c, channel, "service", True, c.created_at)
    b.consent(c, "email", "marketing", True, c.created_at)
    b.consent(c, "sms", "marketing", False, c.created_at)
    b.consent(c, "email", "sales", True, c.created_at)
    b.consent(c, "sms", "sales", True, c.created_at)
    b.order(
        c, status="delivered", placed_at=now - _days(150), lines=[("SOFA-SND", 1), ("RUG-200", 1)]
    )
    b.order(c, status="pending", placed_at=now - timedelta(hours=3), lines=[("ESP-STL", 1)])
    b.note(
        c, "Emma Wilson", "VIP: likes a phone call before any furniture delivery.", now - _days(140)
    )
    subject, body = MARKETING_MESSAGES["en"]
    b.message(
        c,
        channel="email",
        purpose="marketing",
        subject=subject,
        body=body,
        created_at=now - _days(10),
    )
    b.finish(c)


def diego(b: Builder) -> None:
    """CUS-000003: signed up three days ago; his first order is pending."""
    now = b.now
    mexico_city = _city("MX", "Ciudad de México")
    c = b.customer(
        first_name="Diego",
        last_name="Hernández",
        language="es",
        country=COUNTRY_BY_CODE["MX"],
        city=mexico_city,
        preferred_channel="whatsapp",
        created_at=now - _days(3),
        email="diego.hernandez@example.com",
    )
    b.address(
        c, mexico_city, lines=("Avenida Insurgentes Sur 1602", "Col. Del Valle"), postal="03100"
    )
    b.payment_method(c, "card", "mastercard", "5532", "2030-01")
    for channel in _ALL_CHANNELS:
        b.consent(c, channel, "service", True, c.created_at)
    b.consent(c, "whatsapp", "marketing", True, c.created_at)
    b.consent(c, "email", "marketing", False, c.created_at)
    b.order(
        c,
        status="pending",
        placed_at=now - timedelta(minutes=40),
        lines=[("SNK-41", 1), ("CHG-STD", 1)],
    )
    b.finish(c)


def emily(b: Builder) -> None:
    """CUS-000004: headphones being returned (refund pending), a smartwatch stuck in transit."""
    now = b.now
    new_york = _city("US", "New York")
    c = b.customer(
        first_name="Emily",
        last_name="Johnson",
        language="en",
        country=COUNTRY_BY_CODE["US"],
        city=new_york,
        preferred_channel="sms",
        created_at=now - _days(500),
        email="emily.johnson@example.com",
    )
    b.address(c, new_york, lines=("1428 Maple Avenue", "Apt 5B"), postal="10025")
    b.payment_method(c, "card", "visa", "3158", "2027-11")
    b.payment_method(c, "paypal", "paypal", None, None)
    for channel in _ALL_CHANNELS:
        b.consent(c, channel, "service", True, c.created_at)
    b.consent(c, "email", "marketing", False, c.created_at)
    b.consent(c, "sms", "marketing", False, c.created_at)
    b.order(c, status="delivered", placed_at=now - _days(300), lines=[("PUZ-MAP", 2)])
    headphones = b.order(c, status="delivered", placed_at=now - _days(20), lines=[("HPH-BLK", 1)])
    b.order(
        c,
        status="shipped",
        placed_at=now - _days(4),
        lines=[("WTCH-41", 1)],
        shipment_status="exception",
    )
    b.return_items(
        c,
        headphones,
        status="requested",
        reason="Not as described",
        created_at=now - _days(2),
        lines=[(0, 1)],
    )
    _notify(b, c, "sms", 2)
    b.finish(c)


def javier(b: Builder) -> None:
    """CUS-000005: no phone, no marketing; a refunded return, a cancelled order, an open ticket."""
    now = b.now
    sevilla = _city("ES", "Sevilla")
    c = b.customer(
        first_name="Javier",
        last_name="López",
        language="es",
        country=COUNTRY_BY_CODE["ES"],
        city=sevilla,
        preferred_channel="email",
        created_at=now - _days(900),
        with_phone=False,
        email="javier.lopez@example.com",
    )
    b.address(c, sevilla, lines=("Calle San Vicente, 45", None), postal="41002")
    b.payment_method(c, "paypal", "paypal", None, None)
    b.payment_method(c, "bank_transfer", None, "7741", None)
    b.consent(c, "email", "service", True, c.created_at)
    b.consent(c, "in_app", "service", True, c.created_at)
    b.consent(c, "email", "marketing", False, c.created_at)
    b.consent(c, "email", "sales", False, c.created_at)
    jeans = b.order(
        c, status="delivered", placed_at=now - _days(60), lines=[("JEAN-32", 1), ("TEE-BLK-M", 2)]
    )
    assert jeans.delivered_at is not None
    b.return_items(
        c,
        jeans,
        status="refunded",
        reason="Wrong size",
        created_at=jeans.delivered_at + _days(3),
        lines=[(0, 1)],
    )
    dumbbells = b.order(
        c,
        status="cancelled",
        placed_at=now - _days(15),
        lines=[("DMBL-24KG", 1)],
        cancel_reason="Customer changed their mind",
    )
    ticket = b.ticket(
        c,
        text=TICKETS["payment"]["es"][0],
        category="payment",
        severity="high",
        status="open",
        created_at=now - _days(1),
        order=dumbbells,
        owner_agent_id=None,
    )
    b.handoff(
        c,
        ticket,
        order=dumbbells,
        skills=("billing",),
        reason="trigger_word",
        sentiment_trend="worsening",
    )
    _notify(b, c, "email", 1)
    b.finish(c)


STORIES: tuple[Callable[[Builder], None], ...] = (maria, olivia, diego, emily, javier)
"""Story customers in id order: `STORIES[0]` builds CUS-000001."""
