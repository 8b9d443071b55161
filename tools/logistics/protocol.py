"""What the assistant and the journeys may ask of the order and logistics system."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from tools.types import (
    DEFAULT_LIST_LIMIT,
    Cancellation,
    OrderDetails,
    OrderRefunds,
    OrderReturn,
    OrderSummary,
    Tracking,
)


class LogisticsTools(Protocol):
    """Orders, shipments, cancellations, address changes, returns and refunds.

    Every call is scoped to one verified customer: another customer's order is `not_found`.
    Errors are `tools.errors.ToolError`s; refusals by the order policy are `rule_violation`s
    whose message says why and what is still possible.
    """

    def list_orders(self, customer_id: str, limit: int = DEFAULT_LIST_LIMIT) -> list[OrderSummary]:
        """The customer's newest orders first (at most `limit`, 1 to 100)."""
        ...

    def get_order(self, customer_id: str, order_id: str) -> OrderDetails:
        """Items, payments, shipments with tracking events, and the shipping address."""
        ...

    def track_shipment(self, customer_id: str, order_id: str) -> Tracking:
        """The order's shipments and their tracking events."""
        ...

    def cancel_order(self, customer_id: str, order_id: str, reason: str) -> Cancellation:
        """Cancel a `pending` order: payments are refunded and a pending refund is created."""
        ...

    def change_shipping_address(
        self,
        customer_id: str,
        order_id: str,
        *,
        line1: str,
        city: str,
        postal_code: str,
        country: str,
        line2: str | None = None,
        region: str | None = None,
    ) -> OrderDetails:
        """Ship a `pending` or `processed` order to a new (validated) address."""
        ...

    def return_items(
        self, customer_id: str, order_id: str, items: Mapping[str, int], reason: str
    ) -> OrderReturn:
        """Return `items` (order item id -> quantity) of an order delivered in the last 30 days.

        Creates a `requested` return and a `pending` refund of the items' value.
        """
        ...

    def refund_status(self, customer_id: str, order_id: str) -> OrderRefunds:
        """The order's refunds and returns with their status."""
        ...
