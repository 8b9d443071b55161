"""The CRM over a company's REST API (`docs/tools-http-contract.md`, section CRM)."""

from __future__ import annotations

from pydantic import TypeAdapter

from memory.vocabulary import TicketCategory, TicketSeverity, TicketStatus
from tools import types as t
from tools.http_client import HttpToolClient, path

_MATCH = TypeAdapter(t.CustomerMatch)
_PROFILE = TypeAdapter(t.CustomerProfile)
_TICKET = TypeAdapter(t.Ticket)
_TICKETS = TypeAdapter(list[t.Ticket])
_NOTE = TypeAdapter(t.Note)
_NOTES = TypeAdapter(list[t.Note])


class HttpCrm:
    """`CrmTools` calling a remote CRM; inputs are validated here before anything is sent."""

    def __init__(self, client: HttpToolClient) -> None:
        self._client = client

    def find_customer_by_email(self, email: str) -> t.CustomerMatch:
        return self._search(t.CustomerSearch.parse(email=email))

    def find_customer_by_phone(self, phone: str) -> t.CustomerMatch:
        return self._search(t.CustomerSearch.parse(phone=phone))

    def find_customer_by_name_and_zip(self, name: str, zip_code: str) -> t.CustomerMatch:
        return self._search(t.CustomerSearch.parse(name=name, zip_code=zip_code))

    def _search(self, search: t.CustomerSearch) -> t.CustomerMatch:
        return self._client.call("POST", "customers/search", _MATCH, body=search)

    def get_profile(self, customer_id: str) -> t.CustomerProfile:
        return self._client.call("GET", path("customers", customer_id), _PROFILE)

    def list_tickets(self, customer_id: str, status: TicketStatus | None = None) -> list[t.Ticket]:
        params = {} if status is None else {"status": status}
        return self._client.call(
            "GET", path("customers", customer_id, "tickets"), _TICKETS, params=params
        )

    def open_ticket(
        self,
        customer_id: str,
        *,
        subject: str,
        description: str,
        category: TicketCategory,
        severity: TicketSeverity,
        order_id: str | None = None,
    ) -> t.Ticket:
        draft = t.NewTicket.parse(
            subject=subject,
            description=description,
            category=category,
            severity=severity,
            order_id=order_id,
        )
        return self._client.call(
            "POST", path("customers", customer_id, "tickets"), _TICKET, body=draft
        )

    def update_ticket(
        self,
        customer_id: str,
        ticket_id: str,
        *,
        status: t.TicketUpdateStatus | None = None,
        severity: TicketSeverity | None = None,
        owner_agent_id: str | None = None,
    ) -> t.Ticket:
        change = t.TicketUpdate.parse(
            status=status, severity=severity, owner_agent_id=owner_agent_id
        )
        return self._client.call(
            "PATCH", path("customers", customer_id, "tickets", ticket_id), _TICKET, body=change
        )

    def resolve_ticket(self, customer_id: str, ticket_id: str, resolution: str) -> t.Ticket:
        return self._client.call(
            "POST",
            path("customers", customer_id, "tickets", ticket_id, "resolve"),
            _TICKET,
            body=t.TicketResolution.parse(resolution=resolution),
        )

    def add_note(self, customer_id: str, text: str, author: str) -> t.Note:
        return self._client.call(
            "POST",
            path("customers", customer_id, "notes"),
            _NOTE,
            body=t.NewNote.parse(text=text, author=author),
        )

    def list_notes(self, customer_id: str) -> list[t.Note]:
        return self._client.call("GET", path("customers", customer_id, "notes"), _NOTES)
