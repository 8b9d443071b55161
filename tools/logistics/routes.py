"""The logistics section of the HTTP contract, served from any `LogisticsTools`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from tools import types as t
from tools.logistics.protocol import LogisticsTools
from tools.rest import PROBLEM_RESPONSES, Idempotent

ORDER = "/customers/{customer_id}/orders/{order_id}"


def logistics_router(logistics: LogisticsTools) -> APIRouter:
    router = APIRouter(tags=["logistics"], responses=PROBLEM_RESPONSES)

    @router.get("/customers/{customer_id}/orders")
    def list_orders(
        customer_id: str,
        limit: Annotated[int, Query(ge=1, le=t.MAX_LIST_LIMIT)] = t.DEFAULT_LIST_LIMIT,
    ) -> list[t.OrderSummary]:
        return logistics.list_orders(customer_id, limit)

    @router.get(ORDER)
    def get_order(customer_id: str, order_id: str) -> t.OrderDetails:
        return logistics.get_order(customer_id, order_id)

    @router.get(f"{ORDER}/tracking")
    def track_shipment(customer_id: str, order_id: str) -> t.Tracking:
        return logistics.track_shipment(customer_id, order_id)

    @router.post(f"{ORDER}/cancel", response_model=t.Cancellation)
    def cancel_order(
        customer_id: str, order_id: str, body: t.CancelRequest, replay: Idempotent
    ) -> Response:
        return replay.answer(
            body, lambda: logistics.cancel_order(customer_id, order_id, body.reason)
        )

    @router.put(f"{ORDER}/shipping-address")
    def change_shipping_address(
        customer_id: str, order_id: str, body: t.NewShippingAddress
    ) -> t.OrderDetails:
        return logistics.change_shipping_address(
            customer_id,
            order_id,
            line1=body.line1,
            line2=body.line2,
            city=body.city,
            region=body.region,
            postal_code=body.postal_code,
            country=body.country,
        )

    @router.post(f"{ORDER}/returns", status_code=201, response_model=t.OrderReturn)
    def return_items(
        customer_id: str, order_id: str, body: t.ReturnRequest, replay: Idempotent
    ) -> Response:
        items = {line.order_item_id: line.quantity for line in body.items}
        return replay.answer(
            body,
            lambda: logistics.return_items(customer_id, order_id, items, body.reason),
            201,
        )

    @router.get(f"{ORDER}/refunds")
    def refund_status(customer_id: str, order_id: str) -> t.OrderRefunds:
        return logistics.refund_status(customer_id, order_id)

    return router
