"""Orders and logistics over a company's REST API (`docs/tools-http-contract.md`)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import TypeAdapter

from tools import types as t
from tools.http_client import HttpToolClient, path

_SUMMARIES = TypeAdapter(list[t.OrderSummary])
_DETAILS = TypeAdapter(t.OrderDetails)
_TRACKING = TypeAdapter(t.Tracking)
_CANCELLATION = TypeAdapter(t.Cancellation)
_RETURN = TypeAdapter(t.OrderReturn)
_REFUNDS = TypeAdapter(t.OrderRefunds)


class HttpLogistics:
    """`LogisticsTools` calling a remote order system; inputs are validated before sending."""

    def __init__(self, client: HttpToolClient) -> None:
        self._client = client

    def list_orders(
        self, customer_id: str, limit: int = t.DEFAULT_LIST_LIMIT
    ) -> list[t.OrderSummary]:
        page = t.Page.parse(limit=limit)
        return self._client.call(
            "GET",
            path("customers", customer_id, "orders"),
            _SUMMARIES,
            params={"limit": page.limit},
        )

    def get_order(self, customer_id: str, order_id: str) -> t.OrderDetails:
        return self._client.call("GET", _order(customer_id, order_id), _DETAILS)

    def track_shipment(self, customer_id: str, order_id: str) -> t.Tracking:
        return self._client.call("GET", f"{_order(customer_id, order_id)}/tracking", _TRACKING)

    def cancel_order(self, customer_id: str, order_id: str, reason: str) -> t.Cancellation:
        return self._client.call(
            "POST",
            f"{_order(customer_id, order_id)}/cancel",
            _CANCELLATION,
            body=t.CancelRequest.parse(reason=reason),
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
        return self._client.call(
            "PUT", f"{_order(customer_id, order_id)}/shipping-address", _DETAILS, body=address
        )

    def return_items(
        self, customer_id: str, order_id: str, items: Mapping[str, int], reason: str
    ) -> t.OrderReturn:
        request = t.ReturnRequest.parse(
            items=[{"order_item_id": key, "quantity": count} for key, count in items.items()],
            reason=reason,
        )
        return self._client.call(
            "POST", f"{_order(customer_id, order_id)}/returns", _RETURN, body=request
        )

    def refund_status(self, customer_id: str, order_id: str) -> t.OrderRefunds:
        return self._client.call("GET", f"{_order(customer_id, order_id)}/refunds", _REFUNDS)


def _order(customer_id: str, order_id: str) -> str:
    return path("customers", customer_id, "orders", order_id)
