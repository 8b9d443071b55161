"""Random customers: a plausible mix of countries, languages, habits, orders and support history."""

from __future__ import annotations

from datetime import timedelta

from memory.demo.builder import Builder, CustomerCtx, OrderCtx
from memory.demo.names import FIRST_NAMES, LAST_NAMES
from memory.demo.places import COUNTRIES, Country
from memory.demo.texts import (
    CANCEL_REASONS,
    MARKETING_MESSAGES,
    NOTES,
    ORDER_MESSAGES,
    PAYMENT_DECLINED,
    RETURN_REASONS,
    TICKET_SKILL,
    TICKETS,
)
from memory.demo.weighted import Weighted
from memory.vocabulary import Channel, OrderStatus, ShipmentStatus

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)

_NEW, _REGULAR, _BIG_SPENDER = "new", "regular", "big spender"
_SEGMENTS = Weighted({_NEW: 16, _REGULAR: 77, _BIG_SPENDER: 7})
_COUNTRIES: Weighted[Country] = Weighted({country: country.weight for country in COUNTRIES})
_EXTRA_ADDRESSES = Weighted({0: 75, 1: 22, 2: 3})
_PAYMENT_METHODS = Weighted({1: 70, 2: 30})
_PAYMENT_KINDS = Weighted({"card": 80, "paypal": 15, "bank_transfer": 5})
_CARD_BRANDS = Weighted({"visa": 55, "mastercard": 35, "amex": 10})
_PREFERRED: dict[tuple[str, bool], Weighted[Channel]] = {
    ("es", True): Weighted({"whatsapp": 48, "email": 32, "sms": 8, "in_app": 12}),
    ("en", True): Weighted({"email": 45, "sms": 25, "whatsapp": 18, "in_app": 12}),
    ("es", False): Weighted({"email": 85, "in_app": 15}),
    ("en", False): Weighted({"email": 85, "in_app": 15}),
}
_REGULAR_ORDERS = Weighted({1: 45, 2: 25, 3: 13, 4: 8, 5: 5, 6: 4})
_LINES = Weighted({1: 60, 2: 28, 3: 12})
_QUANTITY = Weighted({1: 82, 2: 14, 3: 4})
_IN_FLIGHT: Weighted[ShipmentStatus] = Weighted(
    {"in_transit": 70, "out_for_delivery": 15, "exception": 15}
)
_STATUS_BY_AGE: tuple[tuple[timedelta, Weighted[OrderStatus]], ...] = (
    (6 * _HOUR, Weighted({"pending": 75, "processed": 15, "cancelled": 10})),
    (36 * _HOUR, Weighted({"pending": 15, "processed": 55, "shipped": 20, "cancelled": 10})),
    (6 * _DAY, Weighted({"shipped": 55, "delivered": 35, "cancelled": 10})),
)
_OLD_ORDER: Weighted[OrderStatus] = Weighted({"delivered": 92, "cancelled": 8})
_UNDELIVERED: Weighted[OrderStatus] = Weighted({"shipped": 90, "cancelled": 10})
_CATEGORIES = Weighted(
    {
        "order": 20,
        "delivery": 25,
        "damaged_item": 10,
        "return": 15,
        "refund": 10,
        "account": 8,
        "payment": 7,
        "other": 5,
    }
)
_SEVERITIES = Weighted({"low": 30, "medium": 45, "high": 20, "critical": 5})
_OPT_IN_CHANNELS: tuple[Channel, ...] = ("sms", "whatsapp")
"""Channels where even service messages need the customer's consent."""
_NEEDS_DELIVERED = frozenset({"damaged_item", "return", "refund"})
_NEEDS_ORDER = frozenset({"order", "delivery", "payment"})


def random_customer(b: Builder) -> None:
    rng, now = b.rng, b.now
    country = _COUNTRIES.pick(rng)
    city = rng.choice(country.cities)
    language = "es" if rng.random() < country.spanish_share else "en"
    segment = _SEGMENTS.pick(rng)
    if segment == _NEW:
        created_at = now - timedelta(seconds=rng.randint(3_600, 45 * 86_400))
    else:
        created_at = now - timedelta(seconds=rng.randint(60 * 86_400, 4 * 365 * 86_400))
    with_phone = rng.random() < 0.9
    c = b.customer(
        first_name=rng.choice(FIRST_NAMES[language]),
        last_name=rng.choice(LAST_NAMES[language]),
        language=language,
        country=country,
        city=city,
        preferred_channel=_PREFERRED[(language, with_phone)].pick(rng),
        created_at=created_at,
        with_phone=with_phone,
    )
    b.address(c, city)
    for _ in range(_EXTRA_ADDRESSES.pick(rng)):
        b.address(c, rng.choice(country.cities))
    for _ in range(_PAYMENT_METHODS.pick(rng)):
        _payment_method(b, c)
    _consents(b, c)
    for order in _orders(b, c, segment):
        if order.status == "delivered" and rng.random() < 0.07:
            _return(b, c, order)
    if rng.random() < (0.25 if segment == _BIG_SPENDER else 0.1):
        _ticket(b, c)
    if rng.random() < 0.06:
        when = created_at + (now - created_at) * rng.random()
        b.note(c, b.agents.random_name(rng), rng.choice(NOTES), when.replace(microsecond=0))
    _messages(b, c)
    b.finish(c)


def _payment_method(b: Builder, c: CustomerCtx) -> None:
    rng = b.rng
    kind = _PAYMENT_KINDS.pick(rng)
    last4 = f"{rng.randint(0, 9999):04d}"
    if kind == "card":
        brand = _CARD_BRANDS.pick(rng)
        expires = f"{b.now.year + rng.randint(-1, 5)}-{rng.randint(1, 12):02d}"
        b.payment_method(c, "card", brand, last4, expires)
    elif kind == "paypal":
        b.payment_method(c, "paypal", "paypal", None, None)
    else:
        b.payment_method(c, "bank_transfer", None, last4, None)


def _consents(b: Builder, c: CustomerCtx) -> None:
    """Service on SMS and WhatsApp (opt-in channels); marketing where asked; sales for some.

    A channel and purpose without a row was never asked about, which counts as no consent.
    Service messages by email and in the app need no consent, so none is recorded for them.
    """
    rng = b.rng
    changed = c.created_at + (b.now - c.created_at) * rng.random()
    if c.phone:
        for channel in _OPT_IN_CHANNELS:
            b.consent(c, channel, "service", rng.random() < 0.97, c.created_at)
    for channel in dict.fromkeys(("email", c.preferred_channel)):
        granted = rng.random() < (0.6 if channel == c.preferred_channel else 0.45)
        at = changed.replace(microsecond=0) if rng.random() < 0.2 else c.created_at
        b.consent(c, channel, "marketing", granted, at)
    if rng.random() < 0.3:
        b.consent(c, "email", "sales", rng.random() < 0.4, c.created_at)


def _orders(b: Builder, c: CustomerCtx, segment: str) -> list[OrderCtx]:
    rng, now = b.rng, b.now
    if segment == _NEW:
        count = rng.choice((0, 1, 1, 1, 2))
    elif segment == _REGULAR:
        count = _REGULAR_ORDERS.pick(rng)
    else:
        count = rng.randint(5, 12)
    lifetime = (now - c.created_at).total_seconds()
    moments = []
    for _ in range(count):
        if segment == _NEW or rng.random() < 0.12:
            age = rng.uniform(600, min(lifetime, 7 * 86_400))
        else:
            age = rng.uniform(600, lifetime)
        moments.append(now - timedelta(seconds=int(age)))
    orders = []
    for placed_at in sorted(moments):
        status = _status_for_age(b, now - placed_at, never_delivered=segment == _NEW)
        pool = b.catalogue.everyday
        if segment == _BIG_SPENDER and rng.random() < 0.6:
            pool = b.catalogue.premium
        variants = rng.sample(pool, _LINES.pick(rng))
        lines = [(v.sku, _QUANTITY.pick(rng)) for v in variants]
        shipment_status = _IN_FLIGHT.pick(rng) if status == "shipped" else "in_transit"
        cancel_reason = None
        if status == "cancelled":
            cancel_reason = PAYMENT_DECLINED if rng.random() < 0.3 else rng.choice(CANCEL_REASONS)
        orders.append(
            b.order(
                c,
                status=status,
                placed_at=placed_at,
                lines=lines,
                shipment_status=shipment_status,
                cancel_reason=cancel_reason,
            )
        )
    return orders


def _status_for_age(b: Builder, age: timedelta, *, never_delivered: bool) -> OrderStatus:
    """Recent orders are still pending or on their way; old ones were delivered or cancelled.

    A new customer's orders are never delivered: that would make them a `standard` customer.
    """
    for up_to, statuses in _STATUS_BY_AGE:
        if age < up_to and not (never_delivered and "delivered" in statuses.options):
            return statuses.pick(b.rng)
    return (_UNDELIVERED if never_delivered else _OLD_ORDER).pick(b.rng)


def _return(b: Builder, c: CustomerCtx, order: OrderCtx) -> None:
    """A return within the 30-day window, its status following how long ago it was asked for."""
    rng, now = b.rng, b.now
    assert order.delivered_at is not None
    window = min(now - order.delivered_at, timedelta(days=25))
    if window < 2 * _HOUR:
        return
    created_at = order.delivered_at + timedelta(
        seconds=rng.randint(3_600, int(window.total_seconds()))
    )
    age = now - created_at
    if age < 4 * _DAY:
        status = rng.choices(("requested", "received"), weights=(70, 30))[0]
    elif age < 10 * _DAY:
        status = rng.choice(("received", "refunded"))
    else:
        status = rng.choices(("refunded", "rejected"), weights=(85, 15))[0]
    lines = [
        (index, rng.randint(1, item["quantity"]))
        for index, item in enumerate(order.items)
        if index == 0 or rng.random() < 0.4
    ]
    b.return_items(
        c,
        order,
        status=status,
        reason=rng.choice(RETURN_REASONS),
        created_at=created_at,
        lines=lines,
    )


def _ticket(b: Builder, c: CustomerCtx) -> None:
    """One support ticket, owned by an agent with the right skill, and often its handoff."""
    rng, now = b.rng, b.now
    category = _CATEGORIES.pick(rng)
    if category in _NEEDS_DELIVERED:
        candidates = [o for o in c.orders if o.status == "delivered"]
    else:
        candidates = [o for o in c.orders if o.status != "pending"]
    order = rng.choice(candidates) if candidates else None
    if order is None and (category in _NEEDS_DELIVERED or category in _NEEDS_ORDER):
        category = rng.choice(("account", "other"))
    elif category not in _NEEDS_DELIVERED and category not in _NEEDS_ORDER:
        order = None
    start = (order.delivered_at or order.placed_at) if order else c.created_at
    created_at = b.soon_after(start, _HOUR, 10 * _DAY)
    if now - created_at < 2 * _DAY:
        status = rng.choices(("open", "pending", "resolved"), weights=(50, 30, 20))[0]
    else:
        status = rng.choices(("resolved", "pending"), weights=(93, 7))[0]
    severity = _SEVERITIES.pick(rng)
    if category == "damaged_item" and severity == "low":
        severity = "high"
    skill = TICKET_SKILL[category]
    if severity == "critical":
        skill = "tier2"
    elif c.tier == "vip":
        skill = "vip"
    owner = None
    if status != "open" or rng.random() < 0.5:
        owner = b.agents.pick(skill, c.language, rng)
    ticket = b.ticket(
        c,
        text=rng.choice(TICKETS[category][c.language]),
        category=category,
        severity=severity,
        status=status,
        created_at=created_at,
        order=order,
        owner_agent_id=owner,
    )
    if rng.random() < 0.6:
        b.handoff(
            c,
            ticket,
            order=order,
            skills=(skill,),
            reason=rng.choice(("customer_request", "negative_sentiment", "trigger_word")),
            sentiment_trend=rng.choice(("improving", "stable", "worsening")),
        )


def _messages(b: Builder, c: CustomerCtx) -> None:
    """The notice about the latest recent order, and a campaign message for some who opted in."""
    rng, now = b.rng, b.now
    recent = [o for o in c.orders if o.status != "pending" and now - o.placed_at < 45 * _DAY]
    if recent:
        order = recent[-1]
        channel = c.preferred_channel
        if channel in _OPT_IN_CHANNELS and not c.consented(channel, "service"):
            channel = "email"
        subject, body = ORDER_MESSAGES[order.status][c.language]
        b.message(
            c,
            channel=channel,
            purpose="service",
            subject=subject.format(order=order.id),
            body=body.format(order=order.id),
            created_at=order.updated_at,
        )
    opted_in = [ch for ch in (c.preferred_channel, "email") if c.consented(ch, "marketing")]
    if opted_in and rng.random() < 0.2:
        subject, body = MARKETING_MESSAGES[c.language]
        consent_at = c.consents[(opted_in[0], "marketing")]["updated_at"]
        sent_at = max(consent_at, now - timedelta(seconds=rng.randint(3_600, 30 * 86_400)))
        b.message(
            c,
            channel=opted_in[0],
            purpose="marketing",
            subject=subject,
            body=body,
            created_at=sent_at,
        )
