"""What the embedded adapters share on the project's store: the customer scope and row mappers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from memory.schema import Customer, PaymentMethod
from tools.errors import NotFoundError
from tools.types import MaskedPaymentMethod


def require_customer(session: Session, customer_id: str) -> Customer:
    """The customer row, or `not_found`: every scoped call starts here."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError(f"customer {customer_id} not found")
    return customer


def masked_payment_method(row: PaymentMethod) -> MaskedPaymentMethod:
    return MaskedPaymentMethod(
        id=row.id,
        kind=row.kind,
        brand=row.brand,
        last4=row.last4,
        is_default=row.is_default,
    )
