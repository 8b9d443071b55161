"""Orders, shipments, returns and refunds on the project's own store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cerebro.clock import Clock
from memory.db import Database, next_id
from memory.schema import (
    Order,
    OrderItem,
    Payment,
    PaymentMethod,
    Refund,
    Return,
    ReturnItem,
    Shipment,
    TrackingEvent,
)
from tools import types as t
from tools.errors import NotFoundError, RuleViolationError
from tools.logistics import rules
from tools.store import masked_payment_method, require_customer


class EmbeddedLogistics:
    """`LogisticsTools` on `memory.db.Database`; every write takes "now" from `clock`."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def list_orders(
        self, customer_id: str, limit: int = t.DEFAULT_LIST_LIMIT
    ) -> list[t.OrderSummary]:
        page = t.Page.parse(limit=limit)
        units = (
            select(OrderItem.order_id, func.sum(OrderItem.quantity).label("units"))
            .group_by(OrderItem.order_id)
            .subquery()
        )
        with self._db.read_session() as session:
            require_customer(session, customer_id)
            rows = session.execute(
                select(Order, func.coalesce(units.c.units, 0))
                .outerjoin(units, units.c.order_id == Order.id)
                .where(Order.customer_id == customer_id)
                .order_by(Order.placed_at.desc(), Order.id.desc())
                .limit(page.limit)
            ).all()
            return [
                t.OrderSummary(
                    id=order.id,
                    status=order.status,
                    placed_at=order.placed_at,
                    updated_at=order.updated_at,
                    total_cents=order.total_cents,
                    currency=order.currency,
                    item_count=int(count),
                )
                for order, count in rows
            ]

    def get_order(self, customer_id: str, order_id: str) -> t.OrderDetails:
        with self._db.read_session() as session:
            order = _owned_order(session, customer_id, order_id)
            return _details(session, order)

    def track_shipment(self, customer_id: str, order_id: str) -> t.Tracking:
        with self._db.read_session() as session:
            order = _owned_order(session, customer_id, order_id)
            return t.Tracking(
                order_id=order.id, order_status=order.status, shipments=_shipments(session, order)
            )

    def cancel_order(self, customer_id: str, order_id: str, reason: str) -> t.Cancellation:
        request = t.CancelRequest.parse(reason=reason)
        now = self._clock.now()
        with self._db.session() as session:
            order = _owned_order(session, customer_id, order_id, for_update=True)
            if order.status not in rules.CANCELLABLE:
                raise RuleViolationError(
                    rules.cancel_refusal(order.id, order.status, _deadline(session, order), now)
                )
            order.status = "cancelled"
            order.cancel_reason = request.reason
            order.updated_at = now
            paid = session.scalars(
                select(Payment).where(
                    Payment.order_id == order.id, Payment.status.in_(("authorized", "captured"))
                )
            ).all()
            for payment in paid:
                payment.status = "refunded"
            refund = None
            amount = sum(payment.amount_cents for payment in paid)
            if amount:
                refund = Refund(
                    id=next_id(session, "RFD"),
                    order_id=order.id,
                    return_id=None,
                    amount_cents=amount,
                    status="pending",
                    created_at=now,
                    processed_at=None,
                )
                session.add(refund)
            session.flush()
            return t.Cancellation(
                order=_details(session, order),
                refund=None if refund is None else _refund(refund, order.currency),
            )

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
    ) -> t.OrderDetails:
        address = t.NewShippingAddress.parse(
            line1=line1,
            line2=line2,
            city=city,
            region=region,
            postal_code=postal_code,
            country=country,
        )
        now = self._clock.now()
        with self._db.session() as session:
            order = _owned_order(session, customer_id, order_id, for_update=True)
            if order.status not in rules.ADDRESS_CHANGEABLE:
                raise RuleViolationError(rules.address_refusal(order.id, order.status))
            order.ship_line1 = address.line1
            order.ship_line2 = address.line2
            order.ship_city = address.city
            order.ship_region = address.region
            order.ship_postal_code = address.postal_code
            order.ship_country = address.country
            order.updated_at = now
            session.flush()
            return _details(session, order)

    def return_items(
        self, customer_id: str, order_id: str, items: Mapping[str, int], reason: str
    ) -> t.OrderReturn:
        request = t.ReturnRequest.parse(
            items=[{"order_item_id": key, "quantity": count} for key, count in items.items()],
            reason=reason,
        )
        now = self._clock.now()
        with self._db.session() as session:
            order = _owned_order(session, customer_id, order_id, for_update=True)
            refusal = rules.return_refusal(order.id, order.status, _deadline(session, order), now)
            if refusal:
                raise RuleViolationError(refusal)
            ordered = {
                item.id: item
                for item in session.scalars(select(OrderItem).where(OrderItem.order_id == order.id))
            }
            returned = _returned_units(session, order.id)
            for line in request.items:
                item = ordered.get(line.order_item_id)
                if item is None:
                    raise NotFoundError(f"order {order.id} has no item {line.order_item_id}")
                _check_returnable(order.id, item, returned[item.id], line.quantity)
            record = Return(
                id=next_id(session, "RET"),
                order_id=order.id,
                customer_id=customer_id,
                status="requested",
                reason=request.reason,
                created_at=now,
            )
            session.add(record)
            session.flush()
            for number, line in enumerate(request.items, start=1):
                session.add(
                    ReturnItem(
                        id=f"{record.id}-{number}",
                        return_id=record.id,
                        order_item_id=line.order_item_id,
                        quantity=line.quantity,
                    )
                )
            session.add(
                Refund(
                    id=next_id(session, "RFD"),
                    order_id=order.id,
                    return_id=record.id,
                    amount_cents=sum(
                        ordered[line.order_item_id].unit_price_cents * line.quantity
                        for line in request.items
                    ),
                    status="pending",
                    created_at=now,
                    processed_at=None,
                )
            )
            session.flush()
            return _returns(session, order, [record])[0]

    def refund_status(self, customer_id: str, order_id: str) -> t.OrderRefunds:
        with self._db.read_session() as session:
            order = _owned_order(session, customer_id, order_id)
            refunds = session.scalars(
                select(Refund)
                .where(Refund.order_id == order.id)
                .order_by(Refund.created_at, Refund.id)
            ).all()
            records = session.scalars(
                select(Return)
                .where(Return.order_id == order.id)
                .order_by(Return.created_at, Return.id)
            ).all()
            return t.OrderRefunds(
                order_id=order.id,
                refunds=tuple(_refund(row, order.currency) for row in refunds),
                returns=tuple(_returns(session, order, records)),
            )


def _owned_order(
    session: Session, customer_id: str, order_id: str, *, for_update: bool = False
) -> Order:
    """The customer's order; `not_found` whoever else it may belong to."""
    require_customer(session, customer_id)
    query = select(Order).where(Order.id == order_id, Order.customer_id == customer_id)
    if for_update:
        query = query.with_for_update()
    order = session.scalars(query).one_or_none()
    if order is None:
        raise NotFoundError(f"order {order_id} not found")
    return order


def _check_returnable(order_id: str, item: OrderItem, returned: int, wanted: int) -> None:
    left = item.quantity - returned
    if wanted <= left:
        return
    if left == 0:
        raise RuleViolationError(
            f"all {item.quantity} of {item.product_name} (item {item.id}) from order {order_id} "
            "were already returned"
        )
    raise RuleViolationError(
        f"only {left} of {item.product_name} (item {item.id}) can still be returned from order "
        f"{order_id}: {item.quantity} delivered, {returned} already in a return"
    )


def _deadline(session: Session, order: Order) -> datetime | None:
    """The last moment a delivered order can be returned (from the latest delivery scan)."""
    if order.status != "delivered":
        return None
    delivered_at = session.scalar(
        select(func.max(Shipment.delivered_at)).where(Shipment.order_id == order.id)
    )
    return rules.return_deadline(delivered_at or order.updated_at)


def _returned_units(session: Session, order_id: str) -> defaultdict[str, int]:
    """Units per order item already in a return that was not rejected."""
    rows = session.execute(
        select(ReturnItem.order_item_id, func.sum(ReturnItem.quantity))
        .join(Return, Return.id == ReturnItem.return_id)
        .where(Return.order_id == order_id, Return.status != "rejected")
        .group_by(ReturnItem.order_item_id)
    ).all()
    returned: defaultdict[str, int] = defaultdict(int)
    returned.update({item_id: int(units) for item_id, units in rows})
    return returned


def _details(session: Session, order: Order) -> t.OrderDetails:
    returned = _returned_units(session, order.id)
    items = session.scalars(
        select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
    ).all()
    payments = session.execute(
        select(Payment, PaymentMethod)
        .outerjoin(PaymentMethod, PaymentMethod.id == Payment.payment_method_id)
        .where(Payment.order_id == order.id)
        .order_by(Payment.created_at, Payment.id)
    ).all()
    return t.OrderDetails(
        id=order.id,
        customer_id=order.customer_id,
        status=order.status,
        placed_at=order.placed_at,
        updated_at=order.updated_at,
        total_cents=order.total_cents,
        currency=order.currency,
        shipping_address=t.ShippingAddress(
            line1=order.ship_line1,
            line2=order.ship_line2,
            city=order.ship_city,
            region=order.ship_region,
            postal_code=order.ship_postal_code,
            country=order.ship_country,
        ),
        items=tuple(
            t.OrderLine(
                id=item.id,
                sku=item.sku,
                product_name=item.product_name,
                quantity=item.quantity,
                unit_price_cents=item.unit_price_cents,
                line_total_cents=item.unit_price_cents * item.quantity,
                returned_quantity=returned[item.id],
            )
            for item in items
        ),
        payments=tuple(
            t.PaymentRecord(
                id=payment.id,
                amount_cents=payment.amount_cents,
                currency=order.currency,
                status=payment.status,
                method=None if method is None else masked_payment_method(method),
                created_at=payment.created_at,
            )
            for payment, method in payments
        ),
        shipments=_shipments(session, order),
        cancel_reason=order.cancel_reason,
        return_deadline=_deadline(session, order),
    )


def _shipments(session: Session, order: Order) -> tuple[t.Shipment, ...]:
    shipments = session.scalars(
        select(Shipment)
        .where(Shipment.order_id == order.id)
        .order_by(Shipment.shipped_at, Shipment.id)
    ).all()
    events: defaultdict[str, list[t.TrackingEvent]] = defaultdict(list)
    for event in session.scalars(
        select(TrackingEvent)
        .where(TrackingEvent.shipment_id.in_([shipment.id for shipment in shipments]))
        .order_by(TrackingEvent.occurred_at, TrackingEvent.id)
    ):
        events[event.shipment_id].append(
            t.TrackingEvent.model_validate(event, from_attributes=True)
        )
    return tuple(
        t.Shipment(
            id=shipment.id,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            status=shipment.status,
            shipped_at=shipment.shipped_at,
            estimated_delivery=shipment.estimated_delivery,
            delivered_at=shipment.delivered_at,
            events=tuple(events[shipment.id]),
        )
        for shipment in shipments
    )


def _refund(row: Refund, currency: str) -> t.Refund:
    return t.Refund(
        id=row.id,
        order_id=row.order_id,
        return_id=row.return_id,
        amount_cents=row.amount_cents,
        currency=currency,
        status=row.status,
        created_at=row.created_at,
        processed_at=row.processed_at,
    )


def _returns(session: Session, order: Order, records: Sequence[Return]) -> list[t.OrderReturn]:
    """`records` of `order` with their items and refunds."""
    ids = [record.id for record in records]
    lines: defaultdict[str, list[t.ReturnLine]] = defaultdict(list)
    for line, item in session.execute(
        select(ReturnItem, OrderItem)
        .join(OrderItem, OrderItem.id == ReturnItem.order_item_id)
        .where(ReturnItem.return_id.in_(ids))
        .order_by(ReturnItem.id)
    ):
        lines[line.return_id].append(
            t.ReturnLine(
                order_item_id=item.id,
                sku=item.sku,
                product_name=item.product_name,
                quantity=line.quantity,
            )
        )
    refunds = {
        row.return_id: _refund(row, order.currency)
        for row in session.scalars(select(Refund).where(Refund.return_id.in_(ids)))
    }
    return [
        t.OrderReturn(
            id=record.id,
            order_id=record.order_id,
            status=record.status,
            reason=record.reason,
            created_at=record.created_at,
            items=tuple(lines[record.id]),
            refund=refunds.get(record.id),
        )
        for record in records
    ]
