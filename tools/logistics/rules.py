"""The order policy: what can be done to an order in each status, and how a refusal is worded."""

from __future__ import annotations

from datetime import datetime, timedelta

RETURN_WINDOW = timedelta(days=30)
"""How long after delivery items can still be returned."""

CANCELLABLE = frozenset({"pending"})
ADDRESS_CHANGEABLE = frozenset({"pending", "processed"})


def return_deadline(delivered_at: datetime) -> datetime:
    return delivered_at + RETURN_WINDOW


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


def _return_outlook(deadline: datetime, now: datetime) -> str:
    if now <= deadline:
        return f"a return is possible until {_day(deadline)}"
    return f"its {RETURN_WINDOW.days}-day return window closed on {_day(deadline)}"


def cancel_refusal(order_id: str, status: str, deadline: datetime | None, now: datetime) -> str:
    """Why an order that is not `pending` cannot be cancelled, and what is possible instead."""
    if status == "processed":
        return (
            f"order {order_id} is already being prepared for shipping and can no longer be "
            "cancelled; its shipping address can still be changed until it ships"
        )
    if status == "shipped":
        return (
            f"order {order_id} has shipped and can no longer be cancelled; once delivered it can "
            f"be returned within {RETURN_WINDOW.days} days"
        )
    if status == "delivered" and deadline is not None:
        return (
            f"order {order_id} is delivered and can no longer be cancelled; "
            f"{_return_outlook(deadline, now)}"
        )
    return f"order {order_id} is already {status}"


def address_refusal(order_id: str, status: str) -> str:
    """Why the shipping address of an order that left the warehouse cannot change."""
    done = {"shipped": "has shipped", "delivered": "is delivered", "cancelled": "is cancelled"}
    return (
        f"order {order_id} {done.get(status, f'is {status}')}, so its shipping address can no "
        "longer be changed"
    )


def return_refusal(
    order_id: str, status: str, deadline: datetime | None, now: datetime
) -> str | None:
    """Why no return can be requested for this order now, or None when one can."""
    if status == "cancelled":
        return f"order {order_id} is cancelled; there is nothing to return"
    if status != "delivered" or deadline is None:
        return (
            f"order {order_id} is {status}, not delivered yet; its items can be returned once "
            "it is delivered"
        )
    if now > deadline:
        return f"order {order_id} can no longer be returned: {_return_outlook(deadline, now)}"
    return None
