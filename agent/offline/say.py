"""The offline brain's wording: templates (`prompts/templates`) plus money, dates, items and
addresses written the way each language writes them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from memory.vocabulary import Language
from prompts.responses import TemplateSet, templates
from tools import types as t

_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"],
}


class Say:
    """Renders templates and values in one language."""

    def __init__(self, language: Language, texts: TemplateSet | None = None) -> None:
        self.language = language
        self._texts = texts or templates()[language]

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(self._texts.texts)

    def __call__(self, key: str, **values: object) -> str:
        return self._texts.render(key, **values)

    def money(self, cents: int, currency: str) -> str:
        amount = f"{cents / 100:,.2f}"
        if self.language == "es":
            amount = amount.replace(",", " ").replace(".", ",").replace(" ", ".")
        return f"{amount} {currency}"

    def day(self, moment: datetime) -> str:
        month = _MONTHS[self.language][moment.month - 1]
        return f"{moment.day} {month}" if self.language == "es" else f"{month} {moment.day}"

    def items(
        self, lines: Iterable[t.OrderLine | t.ReturnLine], counts: dict[str, int] | None = None
    ) -> str:
        parts = []
        for line in lines:
            key = line.id if isinstance(line, t.OrderLine) else line.order_item_id
            quantity = counts.get(key, 0) if counts is not None else line.quantity
            if quantity:
                parts.append(
                    f"{quantity} x {line.product_name}" if quantity > 1 else line.product_name
                )
        return ", ".join(parts)

    def address(self, address: t.ShippingAddress | t.PostalAddress) -> str:
        parts = [address.line1, address.line2, f"{address.postal_code} {address.city}"]
        return ", ".join(part for part in parts if part)

    def order_line(self, order: t.OrderSummary) -> str:
        count = order.item_count
        units = self("orders.items_one") if count == 1 else self("orders.items_many", count=count)
        return self(
            "orders.line",
            order_id=order.id,
            date=self.day(order.placed_at),
            items=units,
            status=self(f"status.{order.status}"),
        )

    def order_list(self, orders: Iterable[t.OrderSummary]) -> str:
        return "; ".join(self.order_line(order) for order in orders)

    def event(self, shipment: t.Shipment) -> str:
        if not shipment.events:
            return self(f"shipment.{shipment.status}")
        last = shipment.events[-1]
        return f"{last.description} ({last.location}, {self.day(last.occurred_at)})"
