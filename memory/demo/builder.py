"""Builds coherent rows for one customer at a time: the customer and everything that hangs off it.

Story customers and random customers both go through these methods, so the rules that make the
data coherent live in one place: an order's total is the sum of its items, a delivered order has a
delivered shipment whose tracking events are in time order, a refunded return refunds the payment,
the lifetime value is the sum of delivered orders and the tier follows from it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from random import Random
from zoneinfo import ZoneInfo

from memory.demo.agents import AgentPool
from memory.demo.catalogue import CURRENCY, Catalogue
from memory.demo.ids import Ids
from memory.demo.names import slug
from memory.demo.places import City, Country, phone_number, postal_code, street_lines
from memory.demo.rows import Row
from memory.demo.texts import EXCEPTIONS, MESSAGE_ERRORS, PAYMENT_DECLINED, TicketText
from memory.demo.weighted import Weighted
from memory.schema import DOMAIN_TABLES
from memory.vocabulary import Channel, OrderStatus, Purpose, ShipmentStatus, Tier

VIP_LIFETIME_VALUE_CENTS = 150_000
"""Customers whose delivered orders add up to this much (EUR 1,500) are `vip`."""

_DELIVERY = Weighted({"delivered": 88, "sent": 7, "failed": 5})
_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
_LONG_TRANSIT = timedelta(hours=36)
"""Parcels longer on the way than this were also scanned at a sorting centre."""


def tier_for(delivered_orders: int, lifetime_value_cents: int) -> Tier:
    """`new` until the first delivery, `vip` from `VIP_LIFETIME_VALUE_CENTS`, else `standard`."""
    if delivered_orders == 0:
        return "new"
    return "vip" if lifetime_value_cents >= VIP_LIFETIME_VALUE_CENTS else "standard"


def _between(start: datetime, end: datetime, fraction: float) -> datetime:
    """The moment `fraction` of the way from `start` to `end`, to the second."""
    return start + timedelta(seconds=int((end - start).total_seconds() * fraction))


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _timestamp(moment: datetime) -> str:
    """An aware UTC datetime as JSON text, the way pydantic writes it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class CustomerCtx:
    """What the builder remembers about the customer being built."""

    id: str
    first_name: str
    last_name: str
    language: str
    email: str
    phone: str | None
    preferred_channel: Channel
    created_at: datetime
    country: Country
    city: City
    consents: dict[tuple[str, str], Row] = field(default_factory=dict)
    addresses: list[Row] = field(default_factory=list)
    payment_methods: list[str] = field(default_factory=list)
    orders: list[OrderCtx] = field(default_factory=list)
    delivered_orders: int = 0
    lifetime_value_cents: int = 0

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def tier(self) -> Tier:
        return tier_for(self.delivered_orders, self.lifetime_value_cents)

    def consented(self, channel: str, purpose: str) -> bool:
        """True when the customer said yes to `purpose` on `channel` (no answer means no)."""
        consent = self.consents.get((channel, purpose))
        return consent is not None and bool(consent["granted"])


@dataclass
class OrderCtx:
    id: str
    status: OrderStatus
    placed_at: datetime
    updated_at: datetime
    total_cents: int
    items: list[Row]
    payment: Row
    delivered_at: datetime | None


class Builder:
    """Appends rows to the current chunk; `take_rows` hands them over and starts a new chunk."""

    def __init__(
        self, rng: Random, now: datetime, ids: Ids, catalogue: Catalogue, agents: AgentPool
    ) -> None:
        self.rng = rng
        self.now = now
        self.ids = ids
        self.catalogue = catalogue
        self.agents = agents
        self._phone_offset = rng.randrange(10**18)
        self._tracking_offset = rng.randrange(10**18)
        self._rows: dict[str, list[Row]] = {table.name: [] for table in DOMAIN_TABLES}

    def soon_after(self, start: datetime, low: timedelta, high: timedelta) -> datetime:
        """A moment `low` to `high` after `start`, to the second, and never past halfway to now."""
        seconds = self.rng.randint(int(low.total_seconds()), int(high.total_seconds()))
        return min(start + timedelta(seconds=seconds), _between(start, self.now, 0.5))

    def take_rows(self) -> dict[str, list[Row]]:
        rows = self._rows
        self._rows = {table.name: [] for table in DOMAIN_TABLES}
        return rows

    def _add(self, table: str, row: Row) -> Row:
        self._rows[table].append(row)
        return row

    # --- the customer and their profile -------------------------------------------------------

    def customer(
        self,
        *,
        first_name: str,
        last_name: str,
        language: str,
        country: Country,
        city: City,
        preferred_channel: Channel,
        created_at: datetime,
        with_phone: bool = True,
        email: str | None = None,
    ) -> CustomerCtx:
        """Start a customer; its row is written by `finish`, once its orders are known."""
        number, customer_id = self.ids.take("CUS")
        if email is None:
            domain = self.rng.choice(("example.com", "example.org", "example.net"))
            email = f"{slug(first_name)}.{slug(last_name)}{number}@{domain}"
        phone = phone_number(country, city, number, self._phone_offset) if with_phone else None
        return CustomerCtx(
            id=customer_id,
            first_name=first_name,
            last_name=last_name,
            language=language,
            email=email,
            phone=phone,
            preferred_channel=preferred_channel,
            created_at=created_at,
            country=country,
            city=city,
        )

    def address(
        self,
        c: CustomerCtx,
        city: City,
        *,
        lines: tuple[str, str | None] | None = None,
        postal: str | None = None,
    ) -> Row:
        """An address in the customer's country; the first one is the default."""
        line1, line2 = lines or street_lines(c.country, self.rng)
        row = self._add(
            "addresses",
            {
                "id": self.ids.next("ADR"),
                "customer_id": c.id,
                "line1": line1,
                "line2": line2,
                "city": city.name,
                "region": city.region,
                "postal_code": postal or postal_code(c.country, city, self.rng),
                "country": c.country.code,
                "is_default": not c.addresses,
            },
        )
        c.addresses.append(row)
        return row

    def payment_method(
        self, c: CustomerCtx, kind: str, brand: str | None, last4: str | None, expires: str | None
    ) -> None:
        """A card, PayPal account or bank account; the first one is the default."""
        method_id = self.ids.next("PAY")
        self._add(
            "payment_methods",
            {
                "id": method_id,
                "customer_id": c.id,
                "kind": kind,
                "brand": brand,
                "last4": last4,
                "expires": expires,
                "is_default": not c.payment_methods,
            },
        )
        c.payment_methods.append(method_id)

    def consent(
        self, c: CustomerCtx, channel: Channel, purpose: Purpose, granted: bool, at: datetime
    ) -> None:
        c.consents[(channel, purpose)] = self._add(
            "consents",
            {
                "customer_id": c.id,
                "channel": channel,
                "purpose": purpose,
                "granted": granted,
                "updated_at": at,
            },
        )

    def finish(self, c: CustomerCtx) -> None:
        """Write the customer row, with the lifetime value and tier its orders give."""
        self._add(
            "customers",
            {
                "id": c.id,
                "first_name": c.first_name,
                "last_name": c.last_name,
                "email": c.email,
                "phone": c.phone,
                "language": c.language,
                "timezone": c.city.timezone,
                "preferred_channel": c.preferred_channel,
                "tier": c.tier,
                "lifetime_value_cents": c.lifetime_value_cents,
                "created_at": c.created_at,
            },
        )

    # --- orders -------------------------------------------------------------------------------

    def order(
        self,
        c: CustomerCtx,
        *,
        status: OrderStatus,
        placed_at: datetime,
        lines: Sequence[tuple[str, int]],
        shipment_status: ShipmentStatus = "in_transit",
        delivery_note: str = "Delivered",
        cancel_reason: str | None = None,
    ) -> OrderCtx:
        """An order of `lines` (sku, quantity) with its payment, and a shipment once shipped.

        `shipment_status` applies to `shipped` orders (in_transit, out_for_delivery, exception),
        `delivery_note` to the last tracking event of a `delivered` one, and `cancel_reason` to a
        `cancelled` one (declined payments fail the payment, other reasons refund it).
        """
        order_id = self.ids.next("ORD")
        address = self.rng.choice(c.addresses)
        items = []
        for sku, quantity in lines:
            variant = self.catalogue.variant(sku)
            item = {
                "id": self.ids.next("ITM"),
                "order_id": order_id,
                "sku": sku,
                "product_name": variant.product_name,
                "quantity": quantity,
                "unit_price_cents": variant.price_cents,
            }
            items.append(self._add("order_items", item))
        total = sum(item["quantity"] * item["unit_price_cents"] for item in items)
        payment = self._add(
            "payments",
            {
                "id": self.ids.next("PMT"),
                "order_id": order_id,
                "payment_method_id": self.rng.choice(c.payment_methods),
                "amount_cents": total,
                "status": "authorized" if status == "pending" else "captured",
                "created_at": placed_at,
            },
        )
        updated_at, delivered_at = placed_at, None
        if status == "processed":
            updated_at = self.soon_after(placed_at, 10 * _MINUTE, 12 * _HOUR)
        elif status == "cancelled":
            updated_at = self.soon_after(placed_at, 5 * _MINUTE, 20 * _HOUR)
            if cancel_reason == PAYMENT_DECLINED:
                payment["status"] = "failed"
            else:
                payment["status"] = "refunded"
                settled = self.now - updated_at > 2 * _DAY
                status_of_refund = "processed" if settled else "pending"
                self._refund(order_id, None, total, created_at=updated_at, status=status_of_refund)
        elif status in ("shipped", "delivered"):
            updated_at, delivered_at = self._shipment(
                c, order_id, address, placed_at, status, shipment_status, delivery_note
            )
        self._add(
            "orders",
            {
                "id": order_id,
                "customer_id": c.id,
                "status": status,
                "currency": CURRENCY,
                "total_cents": total,
                "placed_at": placed_at,
                "updated_at": updated_at,
                "ship_line1": address["line1"],
                "ship_line2": address["line2"],
                "ship_city": address["city"],
                "ship_region": address["region"],
                "ship_postal_code": address["postal_code"],
                "ship_country": address["country"],
                "cancel_reason": cancel_reason if status == "cancelled" else None,
            },
        )
        order = OrderCtx(
            order_id, status, placed_at, updated_at, total, items, payment, delivered_at
        )
        c.orders.append(order)
        if status == "delivered":
            c.delivered_orders += 1
            c.lifetime_value_cents += total
        return order

    def _shipment(
        self,
        c: CustomerCtx,
        order_id: str,
        address: Row,
        placed_at: datetime,
        order_status: OrderStatus,
        in_flight_status: ShipmentStatus,
        delivery_note: str,
    ) -> tuple[datetime, datetime | None]:
        """The shipment and its tracking events; returns (last event time, delivered_at)."""
        rng = self.rng
        carrier = rng.choice(c.country.carriers)
        number, shipment_id = self.ids.take("SHP")
        shipped_at = self.soon_after(placed_at, 3 * _HOUR, 36 * _HOUR)
        hub = rng.choice(c.country.cities).name
        here = f"{address['city']}, {c.country.code}"
        delivered_at = None
        status = in_flight_status
        if order_status == "delivered":
            status = "delivered"
            arrival = shipped_at + timedelta(hours=rng.uniform(20, 130))
            delivered_at = self._in_daytime(
                _between(shipped_at, min(arrival, self.now), rng.uniform(0.9, 0.99)),
                c.city.timezone,
                after=shipped_at + _HOUR,
            )
        end = delivered_at or self.now
        events = [
            (shipped_at, "label_created", c.country.warehouse, "Shipping label created"),
            (_between(shipped_at, end, 0.1), "in_transit", c.country.warehouse,
             f"Picked up by {carrier.name}"),
        ]  # fmt: skip
        if end - shipped_at > _LONG_TRANSIT:
            events.append(
                (_between(shipped_at, end, 0.5), "in_transit", f"{hub}, {c.country.code}",
                 f"Arrived at the {hub} sorting centre")
            )  # fmt: skip
        if status in ("delivered", "out_for_delivery"):
            events.append(
                (_between(shipped_at, end, 0.85), "out_for_delivery", here, "Out for delivery")
            )
        elif status == "exception":
            events.append((_between(shipped_at, end, 0.85), status, here, rng.choice(EXCEPTIONS)))
        if delivered_at:
            events.append((delivered_at, "delivered", here, delivery_note))
        self._add(
            "shipments",
            {
                "id": shipment_id,
                "order_id": order_id,
                "carrier": carrier.name,
                "tracking_number": carrier.tracking_number(number, self._tracking_offset),
                "status": status,
                "shipped_at": shipped_at,
                "estimated_delivery": shipped_at + timedelta(days=rng.randint(2, 4)),
                "delivered_at": delivered_at,
            },
        )
        for occurred_at, event_status, location, description in events:
            self._add(
                "tracking_events",
                {
                    "id": self.ids.next("TEV"),
                    "shipment_id": shipment_id,
                    "occurred_at": occurred_at,
                    "status": event_status,
                    "location": location,
                    "description": description,
                },
            )
        return events[-1][0], delivered_at

    def _in_daytime(self, moment: datetime, timezone: str, *, after: datetime) -> datetime:
        """The same local day between 9:00 and 19:59 (couriers deliver by day), if that is
        still after `after` and not after now; else `moment` as it is."""
        local = moment.astimezone(_zone(timezone))
        minutes = self.rng.randint(9 * 60, 20 * 60 - 1)
        daytime = local.replace(hour=minutes // 60, minute=minutes % 60).astimezone(UTC)
        return daytime if after < daytime <= self.now else moment

    def _refund(
        self,
        order_id: str,
        return_id: str | None,
        amount: int,
        *,
        created_at: datetime,
        status: str,
    ) -> None:
        processed_at = None
        if status == "processed":
            processed_at = self.soon_after(created_at, 6 * _HOUR, 5 * _DAY)
        self._add(
            "refunds",
            {
                "id": self.ids.next("RFD"),
                "order_id": order_id,
                "return_id": return_id,
                "amount_cents": amount,
                "status": status,
                "created_at": created_at,
                "processed_at": processed_at,
            },
        )

    def return_items(
        self,
        c: CustomerCtx,
        order: OrderCtx,
        *,
        status: str,
        reason: str,
        created_at: datetime,
        lines: Sequence[tuple[int, int]],
    ) -> None:
        """A return of `lines` (item index, quantity) of a delivered order, and its refund.

        The refund is pending while the return is requested or received, processed once it is
        refunded (which refunds the payment, fully or partly) and failed if it was rejected.
        """
        return_id = self.ids.next("RET")
        self._add(
            "returns",
            {
                "id": return_id,
                "order_id": order.id,
                "customer_id": c.id,
                "status": status,
                "reason": reason,
                "created_at": created_at,
            },
        )
        amount = 0
        for index, quantity in lines:
            item = order.items[index]
            amount += item["unit_price_cents"] * quantity
            self._add(
                "return_items",
                {
                    "id": self.ids.next("RIT"),
                    "return_id": return_id,
                    "order_item_id": item["id"],
                    "quantity": quantity,
                },
            )
        refund_status = {"refunded": "processed", "rejected": "failed"}.get(status, "pending")
        self._refund(order.id, return_id, amount, created_at=created_at, status=refund_status)
        if status == "refunded":
            full = amount == order.total_cents
            order.payment["status"] = "refunded" if full else "partially_refunded"

    # --- support and messages -----------------------------------------------------------------

    def ticket(
        self,
        c: CustomerCtx,
        *,
        text: TicketText,
        category: str,
        severity: str,
        status: str,
        created_at: datetime,
        order: OrderCtx | None,
        owner_agent_id: str | None,
    ) -> Row:
        """A ticket, last updated (or resolved) some minutes to days after it was opened."""
        order_text = order.id if order else ""
        updated_at = self.soon_after(created_at, 10 * _MINUTE, 4 * _DAY)
        resolved_at = updated_at if status == "resolved" else None
        return self._add(
            "tickets",
            {
                "id": self.ids.next("TCK"),
                "customer_id": c.id,
                "order_id": order.id if order else None,
                "subject": text.subject,
                "description": text.description.format(order=order_text),
                "category": category,
                "severity": severity,
                "status": status,
                "owner_agent_id": owner_agent_id,
                "created_at": created_at,
                "updated_at": updated_at,
                "resolved_at": resolved_at,
                "resolution": text.resolution if status == "resolved" else None,
            },
        )

    def handoff(
        self,
        c: CustomerCtx,
        ticket: Row,
        *,
        order: OrderCtx | None,
        skills: Sequence[str],
        reason: str,
        sentiment_trend: str,
    ) -> None:
        """The escalation that brought a ticket to a human; its status follows the ticket's."""
        if ticket["status"] == "resolved":
            status = "closed"
        else:
            status = "assigned" if ticket["owner_agent_id"] else "queued"
        priority = {"critical": 1, "high": 2, "medium": 3, "low": 4}[ticket["severity"]]
        if c.tier == "vip":
            priority = max(1, priority - 1)
        asked_at = ticket["created_at"]
        summary = {
            "customer_name": c.name,
            "customer_tier": c.tier,
            "request": ticket["description"],
            "attempts": [
                {
                    "action": f"looked up order {order.id}",
                    "outcome": f"order is {order.status}",
                }
            ]
            if order
            else [],
            "order_facts": [
                {"order_id": order.id, "status": order.status, "detail": ticket["subject"]}
            ]
            if order
            else [],
            "sentiment_trend": sentiment_trend,
            "last_messages": [
                {"role": "customer", "text": ticket["description"], "at": _timestamp(asked_at)},
            ],
        }
        self._add(
            "handoffs",
            {
                "id": self.ids.next("HOF"),
                "customer_id": c.id,
                "conversation_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                "status": status,
                "reason": reason,
                "priority": priority,
                "language": c.language,
                "skills": list(skills),
                "summary": summary,
                "assigned_agent_id": ticket["owner_agent_id"],
                "outcome": "resolved" if status == "closed" else None,
                "created_at": asked_at,
                "updated_at": ticket["updated_at"],
            },
        )

    def note(self, c: CustomerCtx, author: str, text: str, created_at: datetime) -> None:
        self._add(
            "notes",
            {
                "id": self.ids.next("NTE"),
                "customer_id": c.id,
                "author": author,
                "text": text,
                "created_at": created_at,
            },
        )

    def message(
        self,
        c: CustomerCtx,
        *,
        channel: Channel,
        purpose: Purpose,
        subject: str,
        body: str,
        created_at: datetime,
    ) -> None:
        """A message already handed to its gateway: mostly delivered, a few failed.

        Marketing and sales messages go only where the customer consented; the subject line is
        only kept for email.
        """
        if purpose != "service" and not (
            c.consented(channel, purpose)
            and c.consents[(channel, purpose)]["updated_at"] <= created_at
        ):
            raise ValueError(f"{c.id} had not consented to {purpose} on {channel} by {created_at}")
        if channel == "email":
            to_address = c.email
        elif channel == "in_app":
            to_address = c.id
        elif c.phone:
            to_address = c.phone
        else:
            raise ValueError(f"{c.id} has no phone for {channel}")
        status = _DELIVERY.pick(self.rng)
        self._add(
            "messages",
            {
                "id": self.ids.next("MSG"),
                "customer_id": c.id,
                "channel": channel,
                "purpose": purpose,
                "to_address": to_address,
                "subject": subject if channel == "email" else None,
                "body": body,
                "status": status,
                "error": MESSAGE_ERRORS[channel] if status == "failed" else None,
                "created_at": created_at,
                "updated_at": min(created_at + _MINUTE * self.rng.randint(1, 30), self.now),
                "idempotency_key": None,
            },
        )
