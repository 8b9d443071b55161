"""The retail domain's closed vocabularies, as typed Literals.

The database stores these as plain strings; the Literals are the single list of allowed values,
used by the schema's check constraints, the tool adapters' types and the JSON import schema.
"""

from __future__ import annotations

from typing import Literal, get_args

Language = Literal["en", "es"]
"""Languages the assistant and the templates speak."""

Channel = Literal["email", "sms", "whatsapp", "in_app"]
"""Channels a message can go out on."""

Purpose = Literal["service", "marketing", "sales"]
"""Why a message is sent; consent is given per channel and purpose."""

Tier = Literal["new", "standard", "vip"]
"""Customer tier: `new` has no delivered order yet, `vip` has a high lifetime value."""

OrderStatus = Literal["pending", "processed", "shipped", "delivered", "cancelled"]
"""`pending` can be cancelled; `pending` and `processed` (not yet shipped) can change address."""

PaymentStatus = Literal["authorized", "captured", "refunded", "partially_refunded", "failed"]

ShipmentStatus = Literal[
    "label_created", "in_transit", "out_for_delivery", "delivered", "exception"
]

ReturnStatus = Literal["requested", "received", "refunded", "rejected"]

RefundStatus = Literal["pending", "processed", "failed"]

TicketSeverity = Literal["low", "medium", "high", "critical"]

TicketStatus = Literal["open", "pending", "resolved"]

TicketCategory = Literal[
    "order", "delivery", "damaged_item", "return", "refund", "account", "payment", "other"
]

MessageStatus = Literal["queued", "sent", "delivered", "failed"]
"""Delivery status of an outbox message; it only moves forward (see `MESSAGE_TRANSITIONS`)."""

HandoffStatus = Literal["queued", "assigned", "closed"]

HandoffOutcome = Literal["resolved", "handed_back"]
"""How a closed handoff ended: the human agent resolved it, or handed it back to the assistant."""

PaymentKind = Literal["card", "paypal", "bank_transfer"]

MESSAGE_TRANSITIONS: dict[str, frozenset[str]] = {
    "queued": frozenset({"sent", "failed"}),
    "sent": frozenset({"delivered", "failed"}),
    "delivered": frozenset(),
    "failed": frozenset(),
}


def values(literal: object) -> tuple[str, ...]:
    """The allowed strings of one of the Literals above."""
    return tuple(str(v) for v in get_args(literal))
