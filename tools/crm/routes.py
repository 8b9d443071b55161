"""The CRM section of the HTTP contract, served from any `CrmTools`."""

from __future__ import annotations

from fastapi import APIRouter, Response

from memory.vocabulary import TicketStatus
from tools import types as t
from tools.crm.protocol import CrmTools
from tools.rest import PROBLEM_RESPONSES, Idempotent


def crm_router(crm: CrmTools) -> APIRouter:
    router = APIRouter(tags=["crm"], responses=PROBLEM_RESPONSES)

    @router.post("/customers/search")
    def find_customer(body: t.CustomerSearch) -> t.CustomerMatch:
        """Find one customer (read-only: no idempotency key needed)."""
        if body.email:
            return crm.find_customer_by_email(body.email)
        if body.phone:
            return crm.find_customer_by_phone(body.phone)
        return crm.find_customer_by_name_and_zip(str(body.name), str(body.zip_code))

    @router.get("/customers/{customer_id}")
    def get_profile(customer_id: str) -> t.CustomerProfile:
        return crm.get_profile(customer_id)

    @router.get("/customers/{customer_id}/tickets")
    def list_tickets(customer_id: str, status: TicketStatus | None = None) -> list[t.Ticket]:
        return crm.list_tickets(customer_id, status)

    @router.post("/customers/{customer_id}/tickets", status_code=201, response_model=t.Ticket)
    def open_ticket(customer_id: str, body: t.NewTicket, replay: Idempotent) -> Response:
        return replay.answer(
            body,
            lambda: crm.open_ticket(
                customer_id,
                subject=body.subject,
                description=body.description,
                category=body.category,
                severity=body.severity,
                order_id=body.order_id,
            ),
            201,
        )

    @router.patch("/customers/{customer_id}/tickets/{ticket_id}")
    def update_ticket(customer_id: str, ticket_id: str, body: t.TicketUpdate) -> t.Ticket:
        return crm.update_ticket(
            customer_id,
            ticket_id,
            status=body.status,
            severity=body.severity,
            owner_agent_id=body.owner_agent_id,
        )

    @router.post("/customers/{customer_id}/tickets/{ticket_id}/resolve", response_model=t.Ticket)
    def resolve_ticket(
        customer_id: str, ticket_id: str, body: t.TicketResolution, replay: Idempotent
    ) -> Response:
        return replay.answer(
            body, lambda: crm.resolve_ticket(customer_id, ticket_id, body.resolution)
        )

    @router.post("/customers/{customer_id}/notes", status_code=201, response_model=t.Note)
    def add_note(customer_id: str, body: t.NewNote, replay: Idempotent) -> Response:
        return replay.answer(body, lambda: crm.add_note(customer_id, body.text, body.author), 201)

    @router.get("/customers/{customer_id}/notes")
    def list_notes(customer_id: str) -> list[t.Note]:
        return crm.list_notes(customer_id)

    return router
