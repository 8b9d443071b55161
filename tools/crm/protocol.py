"""What the assistant and the journeys may ask of the CRM."""

from __future__ import annotations

from typing import Protocol

from memory.vocabulary import TicketCategory, TicketSeverity, TicketStatus
from tools.types import CustomerMatch, CustomerProfile, Note, Ticket, TicketUpdateStatus


class CrmTools(Protocol):
    """Customers, their tickets and notes.

    Every call but the lookups is scoped to one verified customer: a ticket of another customer
    is `not_found`. Errors are `tools.errors.ToolError`s.
    """

    def find_customer_by_email(self, email: str) -> CustomerMatch:
        """The customer with this email, or `not_found`."""
        ...

    def find_customer_by_phone(self, phone: str) -> CustomerMatch:
        """The customer with this phone, `not_found`, or `invalid_input` if several share it."""
        ...

    def find_customer_by_name_and_zip(self, name: str, zip_code: str) -> CustomerMatch:
        """The customer whose name and one address's postal code both match, or `not_found`."""
        ...

    def get_profile(self, customer_id: str) -> CustomerProfile:
        """Contact data, preferences, tier, consents, addresses and masked payment methods."""
        ...

    def list_tickets(self, customer_id: str, status: TicketStatus | None = None) -> list[Ticket]:
        """The customer's tickets, newest first, optionally only those in `status`."""
        ...

    def open_ticket(
        self,
        customer_id: str,
        *,
        subject: str,
        description: str,
        category: TicketCategory,
        severity: TicketSeverity,
        order_id: str | None = None,
    ) -> Ticket:
        """A new `open` ticket; `order_id`, if given, must be one of the customer's orders."""
        ...

    def update_ticket(
        self,
        customer_id: str,
        ticket_id: str,
        *,
        status: TicketUpdateStatus | None = None,
        severity: TicketSeverity | None = None,
        owner_agent_id: str | None = None,
    ) -> Ticket:
        """Change status (`open`/`pending`; `open` reopens), severity or owner agent."""
        ...

    def resolve_ticket(self, customer_id: str, ticket_id: str, resolution: str) -> Ticket:
        """Resolve with `resolution`; `conflict` if the ticket is already resolved."""
        ...

    def add_note(self, customer_id: str, text: str, author: str) -> Note:
        """A new note on the customer."""
        ...

    def list_notes(self, customer_id: str) -> list[Note]:
        """The customer's notes, newest first."""
        ...
