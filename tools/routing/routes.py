"""The human-routing section of the HTTP contract, served from any `RoutingTools`.

A customer's handoffs live under `/customers/{customer_id}/handoffs`; an unverified visitor's
(`customer_id=None` in the protocol) under `/visitor-handoffs`, with the same operations but no
listing.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from tools import types as t
from tools.rest import PROBLEM_RESPONSES, Idempotent
from tools.routing.protocol import RoutingTools


def routing_router(routing: RoutingTools) -> APIRouter:
    router = APIRouter(tags=["routing"], responses=PROBLEM_RESPONSES)

    def request(customer_id: str | None, body: t.HandoffRequest, replay: Idempotent) -> Response:
        return replay.answer(
            body,
            lambda: routing.request_handoff(
                customer_id,
                conversation_id=body.conversation_id,
                reason=body.reason,
                language=body.language,
                skills=body.skills,
                priority=body.priority,
                summary=body.summary,
            ),
            201,
        )

    def assign(
        customer_id: str | None, handoff_id: str, body: t.HandoffAssignment, replay: Idempotent
    ) -> Response:
        return replay.answer(
            body,
            lambda: routing.assign_handoff(customer_id, handoff_id, agent_id=body.agent_id),
        )

    def close(
        customer_id: str | None, handoff_id: str, body: t.HandoffClosing, replay: Idempotent
    ) -> Response:
        return replay.answer(
            body, lambda: routing.close_handoff(customer_id, handoff_id, outcome=body.outcome)
        )

    @router.post("/customers/{customer_id}/handoffs", status_code=201, response_model=t.Handoff)
    def request_handoff(customer_id: str, body: t.HandoffRequest, replay: Idempotent) -> Response:
        return request(customer_id, body, replay)

    @router.get("/customers/{customer_id}/handoffs")
    def list_handoffs(customer_id: str) -> list[t.Handoff]:
        return routing.list_handoffs(customer_id)

    @router.get("/customers/{customer_id}/handoffs/{handoff_id}")
    def get_handoff(customer_id: str, handoff_id: str) -> t.Handoff:
        return routing.get_handoff(customer_id, handoff_id)

    @router.post("/customers/{customer_id}/handoffs/{handoff_id}/assign", response_model=t.Handoff)
    def assign_handoff(
        customer_id: str, handoff_id: str, body: t.HandoffAssignment, replay: Idempotent
    ) -> Response:
        return assign(customer_id, handoff_id, body, replay)

    @router.post("/customers/{customer_id}/handoffs/{handoff_id}/close", response_model=t.Handoff)
    def close_handoff(
        customer_id: str, handoff_id: str, body: t.HandoffClosing, replay: Idempotent
    ) -> Response:
        return close(customer_id, handoff_id, body, replay)

    @router.post("/visitor-handoffs", status_code=201, response_model=t.Handoff)
    def request_visitor_handoff(body: t.HandoffRequest, replay: Idempotent) -> Response:
        return request(None, body, replay)

    @router.get("/visitor-handoffs/{handoff_id}")
    def get_visitor_handoff(handoff_id: str) -> t.Handoff:
        return routing.get_handoff(None, handoff_id)

    @router.post("/visitor-handoffs/{handoff_id}/assign", response_model=t.Handoff)
    def assign_visitor_handoff(
        handoff_id: str, body: t.HandoffAssignment, replay: Idempotent
    ) -> Response:
        return assign(None, handoff_id, body, replay)

    @router.post("/visitor-handoffs/{handoff_id}/close", response_model=t.Handoff)
    def close_visitor_handoff(
        handoff_id: str, body: t.HandoffClosing, replay: Idempotent
    ) -> Response:
        return close(None, handoff_id, body, replay)

    return router
