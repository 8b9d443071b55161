"""The logistics contract: orders, tracking, cancellation, address change, returns, refunds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cerebro.clock import FixedClock
from tests.conformance import world as w
from tests.conformance.expect import expect_error
from tools.logistics import LogisticsTools

NEW_ADDRESS = {
    "line1": "Calle de Alcalá 50",
    "line2": "2º izq.",
    "city": "Madrid",
    "region": "Madrid",
    "postal_code": "28014",
    "country": "es",
}

# --- reading -----------------------------------------------------------------------------------


def test_orders_are_listed_newest_first(logistics: LogisticsTools) -> None:
    orders = logistics.list_orders(w.MARIA)
    assert [o.id for o in orders] == [
        w.MARIA_PENDING,
        w.MARIA_PROCESSED,
        w.MARIA_SHIPPED,
        w.MARIA_DELIVERED,
    ]
    pending = orders[0]
    assert (pending.status, pending.total_cents, pending.currency) == ("pending", 3_998, "EUR")
    assert pending.item_count == 2
    assert orders[3].item_count == 4
    assert [o.id for o in logistics.list_orders(w.MARIA, limit=2)] == [
        w.MARIA_PENDING,
        w.MARIA_PROCESSED,
    ]
    assert logistics.list_orders(w.LIN) == []


@pytest.mark.parametrize("limit", [0, 101])
def test_list_limit_is_checked(logistics: LogisticsTools, limit: int) -> None:
    with expect_error("invalid_input", "limit"):
        logistics.list_orders(w.MARIA, limit=limit)


def test_order_details_have_items_payments_shipments_and_address(
    logistics: LogisticsTools,
) -> None:
    order = logistics.get_order(w.MARIA, w.MARIA_DELIVERED)
    assert (order.id, order.customer_id, order.status) == (w.MARIA_DELIVERED, w.MARIA, "delivered")
    assert [(i.id, i.quantity, i.line_total_cents, i.returned_quantity) for i in order.items] == [
        (w.SNEAKERS_ITEM, 1, 8_999, 0),
        (w.SOCKS_ITEM, 3, 2_997, 1),
    ]
    [payment] = order.payments
    assert (payment.amount_cents, payment.currency, payment.status) == (11_996, "EUR", "captured")
    assert payment.method is not None
    assert (payment.method.brand, payment.method.last4) == ("visa", "4242")
    [shipment] = order.shipments
    assert (shipment.carrier, shipment.status, shipment.delivered_at) == (
        "SEUR",
        "delivered",
        w.MARIA_DELIVERED_AT,
    )
    assert [e.status for e in shipment.events] == [
        "label_created",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    assert order.shipping_address.postal_code == w.MARIA_ZIP
    assert order.return_deadline == w.MARIA_RETURN_DEADLINE
    assert logistics.get_order(w.MARIA, w.MARIA_PENDING).return_deadline is None


def test_tracking_lists_shipments_with_events_oldest_first(logistics: LogisticsTools) -> None:
    tracking = logistics.track_shipment(w.MARIA, w.MARIA_SHIPPED)
    assert (tracking.order_id, tracking.order_status) == (w.MARIA_SHIPPED, "shipped")
    [shipment] = tracking.shipments
    assert (shipment.tracking_number, shipment.status) == ("SEUR100043", "in_transit")
    assert shipment.estimated_delivery == w.NOW + timedelta(days=1)
    assert [(e.status, e.location) for e in shipment.events] == [
        ("label_created", "Barcelona"),
        ("in_transit", "Zaragoza"),
    ]
    assert logistics.track_shipment(w.MARIA, w.MARIA_PROCESSED).shipments == ()


# --- cancelling --------------------------------------------------------------------------------


def test_cancel_a_pending_order_refunds_its_payments(
    logistics: LogisticsTools, clock: FixedClock
) -> None:
    clock.set(w.NOW + timedelta(minutes=5))
    result = logistics.cancel_order(w.MARIA, w.MARIA_PENDING, "Ya no lo necesito")
    assert result.order.status == "cancelled"
    assert result.order.cancel_reason == "Ya no lo necesito"
    assert [p.status for p in result.order.payments] == ["refunded"]
    assert result.refund is not None
    assert (result.refund.amount_cents, result.refund.currency, result.refund.status) == (
        3_998,
        "EUR",
        "pending",
    )
    stored = logistics.get_order(w.MARIA, w.MARIA_PENDING)
    assert stored == result.order
    assert stored.updated_at == w.NOW + timedelta(minutes=5)
    assert logistics.refund_status(w.MARIA, w.MARIA_PENDING).refunds == (result.refund,)


@pytest.mark.parametrize(
    ("customer", "order_id", "fragments"),
    [
        (w.MARIA, w.MARIA_PROCESSED, ("being prepared", "address can still be changed")),
        (w.MARIA, w.MARIA_SHIPPED, ("has shipped", "returned within 30 days")),
        (
            w.MARIA,
            w.MARIA_DELIVERED,
            (f"order {w.MARIA_DELIVERED} is delivered", "a return is possible until 2026-03-17"),
        ),
        (w.JAMES, w.JAMES_DELIVERED_LONG_AGO, ("is delivered", "window closed on 2026-01-04")),
        (w.JAMES, w.JAMES_CANCELLED, ("already cancelled",)),
    ],
)
def test_only_pending_orders_can_be_cancelled(
    logistics: LogisticsTools, customer: str, order_id: str, fragments: tuple[str, ...]
) -> None:
    before = logistics.get_order(customer, order_id)
    with expect_error("rule_violation", order_id, *fragments):
        logistics.cancel_order(customer, order_id, "changed my mind")
    assert logistics.get_order(customer, order_id) == before


def test_cancel_needs_a_reason(logistics: LogisticsTools) -> None:
    with expect_error("invalid_input", "reason"):
        logistics.cancel_order(w.MARIA, w.MARIA_PENDING, " ")
    assert logistics.get_order(w.MARIA, w.MARIA_PENDING).status == "pending"


# --- shipping address --------------------------------------------------------------------------


@pytest.mark.parametrize("order_id", [w.MARIA_PENDING, w.MARIA_PROCESSED])
def test_change_the_address_of_an_order_not_yet_shipped(
    logistics: LogisticsTools, order_id: str
) -> None:
    order = logistics.change_shipping_address(w.MARIA, order_id, **NEW_ADDRESS)
    address = order.shipping_address
    assert (address.line1, address.line2, address.postal_code, address.country) == (
        "Calle de Alcalá 50",
        "2º izq.",
        "28014",
        "ES",
    )
    assert logistics.get_order(w.MARIA, order_id).shipping_address == address


@pytest.mark.parametrize(
    ("order_id", "fragment"),
    [(w.MARIA_SHIPPED, "has shipped"), (w.MARIA_DELIVERED, "is delivered")],
)
def test_the_address_of_a_shipped_order_cannot_change(
    logistics: LogisticsTools, order_id: str, fragment: str
) -> None:
    with expect_error("rule_violation", order_id, fragment, "can no longer be changed"):
        logistics.change_shipping_address(w.MARIA, order_id, **NEW_ADDRESS)
    assert logistics.get_order(w.MARIA, order_id).shipping_address.postal_code == w.MARIA_ZIP


def test_the_new_address_is_validated(logistics: LogisticsTools) -> None:
    with expect_error("invalid_input", "postal_code", "country", "line1"):
        logistics.change_shipping_address(
            w.MARIA,
            w.MARIA_PENDING,
            line1="",
            city="Madrid",
            postal_code="28014!!",
            country="Spain",
        )
    assert logistics.get_order(w.MARIA, w.MARIA_PENDING).shipping_address.line1 == "Calle Mayor 1"


# --- returns and refunds -----------------------------------------------------------------------


def test_return_delivered_items_creates_a_requested_return_and_a_pending_refund(
    logistics: LogisticsTools,
) -> None:
    created = logistics.return_items(
        w.MARIA, w.MARIA_DELIVERED, {w.SNEAKERS_ITEM: 1, w.SOCKS_ITEM: 2}, "No me quedan bien"
    )
    assert (created.id, created.status, created.reason) == (
        "RET-000002",
        "requested",
        "No me quedan bien",
    )
    assert created.created_at == w.NOW
    assert [(line.order_item_id, line.quantity) for line in created.items] == [
        (w.SNEAKERS_ITEM, 1),
        (w.SOCKS_ITEM, 2),
    ]
    assert created.refund is not None
    assert (created.refund.amount_cents, created.refund.status) == (8_999 + 2 * 999, "pending")
    assert created.refund.return_id == created.id
    status = logistics.refund_status(w.MARIA, w.MARIA_DELIVERED)
    assert [r.id for r in status.returns] == [w.MARIA_RETURN, created.id]
    assert status.returns[1] == created
    assert [(r.id, r.amount_cents) for r in status.refunds] == [
        (w.MARIA_REFUND, 999),
        (created.refund.id, 10_997),
    ]
    items = logistics.get_order(w.MARIA, w.MARIA_DELIVERED).items
    assert [i.returned_quantity for i in items] == [1, 3]


def test_cannot_return_more_than_was_delivered_minus_returned(logistics: LogisticsTools) -> None:
    with expect_error("rule_violation", "only 2", "Merino socks", "3 delivered, 1 already"):
        logistics.return_items(w.MARIA, w.MARIA_DELIVERED, {w.SOCKS_ITEM: 3}, "too small")
    logistics.return_items(w.MARIA, w.MARIA_DELIVERED, {w.SOCKS_ITEM: 2}, "too small")
    with expect_error("rule_violation", "all 3", "already returned"):
        logistics.return_items(w.MARIA, w.MARIA_DELIVERED, {w.SOCKS_ITEM: 1}, "too small")
    assert len(logistics.refund_status(w.MARIA, w.MARIA_DELIVERED).returns) == 2


def test_returned_items_must_belong_to_the_order(logistics: LogisticsTools) -> None:
    with expect_error("not_found", w.JAMES_ITEM):
        logistics.return_items(
            w.MARIA, w.MARIA_DELIVERED, {w.SNEAKERS_ITEM: 1, w.JAMES_ITEM: 1}, "wrong"
        )
    assert len(logistics.refund_status(w.MARIA, w.MARIA_DELIVERED).returns) == 1


def test_the_return_window_is_30_days_from_delivery(
    logistics: LogisticsTools, clock: FixedClock
) -> None:
    with expect_error("rule_violation", w.JAMES_DELIVERED_LONG_AGO, "closed on 2026-01-04"):
        logistics.return_items(w.JAMES, w.JAMES_DELIVERED_LONG_AGO, {w.JAMES_ITEM: 1}, "late")
    clock.set(w.MARIA_RETURN_DEADLINE + timedelta(seconds=1))
    with expect_error("rule_violation", "closed on 2026-03-17"):
        logistics.return_items(w.MARIA, w.MARIA_DELIVERED, {w.SNEAKERS_ITEM: 1}, "late")
    clock.set(w.MARIA_RETURN_DEADLINE)
    assert logistics.return_items(w.MARIA, w.MARIA_DELIVERED, {w.SNEAKERS_ITEM: 1}, "just in time")


@pytest.mark.parametrize(
    ("order_id", "fragment"),
    [(w.MARIA_SHIPPED, "not delivered yet"), (w.MARIA_PENDING, "not delivered yet")],
)
def test_only_delivered_orders_can_be_returned(
    logistics: LogisticsTools, order_id: str, fragment: str
) -> None:
    item = f"OIT-{order_id[4:]}-1"
    with expect_error("rule_violation", order_id, fragment):
        logistics.return_items(w.MARIA, order_id, {item: 1}, "no")
    assert logistics.refund_status(w.MARIA, order_id).returns == ()


def test_a_return_needs_items_positive_quantities_and_a_reason(
    logistics: LogisticsTools,
) -> None:
    with expect_error("invalid_input", "items"):
        logistics.return_items(w.MARIA, w.MARIA_DELIVERED, {}, "nothing")
    with expect_error("invalid_input", "quantity"):
        logistics.return_items(w.MARIA, w.MARIA_DELIVERED, {w.SOCKS_ITEM: 0}, "zero")
    with expect_error("invalid_input", "reason"):
        logistics.return_items(w.MARIA, w.MARIA_DELIVERED, {w.SOCKS_ITEM: 1}, "")


def test_refund_status_lists_refunds_and_returns(logistics: LogisticsTools) -> None:
    status = logistics.refund_status(w.MARIA, w.MARIA_DELIVERED)
    assert status.order_id == w.MARIA_DELIVERED
    [refund] = status.refunds
    assert (refund.id, refund.return_id, refund.status) == (
        w.MARIA_REFUND,
        w.MARIA_RETURN,
        "pending",
    )
    [existing] = status.returns
    assert (existing.id, existing.status, existing.refund) == (w.MARIA_RETURN, "requested", refund)
    assert [(i.order_item_id, i.sku, i.quantity) for i in existing.items] == [
        (w.SOCKS_ITEM, "SCK-M", 1)
    ]
    assert logistics.refund_status(w.JAMES, w.JAMES_PENDING).refunds == ()


# --- scoping -----------------------------------------------------------------------------------


def test_another_customers_order_is_not_found_and_unchanged(logistics: LogisticsTools) -> None:
    before = logistics.get_order(w.JAMES, w.JAMES_PENDING)
    with expect_error("not_found", w.JAMES_PENDING):
        logistics.get_order(w.MARIA, w.JAMES_PENDING)
    with expect_error("not_found", w.JAMES_PENDING):
        logistics.track_shipment(w.MARIA, w.JAMES_PENDING)
    with expect_error("not_found", w.JAMES_PENDING):
        logistics.cancel_order(w.MARIA, w.JAMES_PENDING, "not mine")
    with expect_error("not_found", w.JAMES_PENDING):
        logistics.change_shipping_address(w.MARIA, w.JAMES_PENDING, **NEW_ADDRESS)
    with expect_error("not_found", w.JAMES_PENDING):
        logistics.refund_status(w.MARIA, w.JAMES_PENDING)
    with expect_error("not_found", w.JAMES_DELIVERED_LONG_AGO):
        logistics.return_items(w.MARIA, w.JAMES_DELIVERED_LONG_AGO, {w.JAMES_ITEM: 1}, "x")
    assert logistics.get_order(w.JAMES, w.JAMES_PENDING) == before
    assert w.JAMES_PENDING not in [o.id for o in logistics.list_orders(w.MARIA)]


def test_an_unknown_order_or_customer_is_not_found(logistics: LogisticsTools) -> None:
    with expect_error("not_found", "ORD-999999"):
        logistics.get_order(w.MARIA, "ORD-999999")
    with expect_error("not_found", "CUS-999999"):
        logistics.list_orders("CUS-999999")
