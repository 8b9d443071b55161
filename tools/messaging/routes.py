"""The messaging section of the HTTP contract, served from any `MessagingTools`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from tools import types as t
from tools.messaging.protocol import MessagingTools
from tools.rest import PROBLEM_RESPONSES, Idempotent


def messaging_router(messaging: MessagingTools) -> APIRouter:
    router = APIRouter(tags=["messaging"], responses=PROBLEM_RESPONSES)

    @router.post("/customers/{customer_id}/messages", status_code=201)
    def send(
        customer_id: str,
        body: t.NewMessage,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> t.Message:
        """Queue one message. An `Idempotency-Key` is kept with the message, for the customer
        in the path: repeating the request with it answers the first message and queues
        nothing; the key with a different message is a 409 `conflict`. (Unlike the other POSTs,
        whose keys the server keeps in memory, the key goes to `messaging.send`.)"""
        return messaging.send(
            customer_id,
            channel=body.channel,
            purpose=body.purpose,
            body=body.body,
            subject=body.subject,
            idempotency_key=idempotency_key,
        )

    @router.get("/customers/{customer_id}/messages")
    def list_messages(
        customer_id: str,
        limit: Annotated[int, Query(ge=1, le=t.MAX_LIST_LIMIT)] = t.DEFAULT_LIST_LIMIT,
    ) -> list[t.Message]:
        return messaging.list_messages(customer_id, limit)

    @router.get("/customers/{customer_id}/messages/{message_id}")
    def get_message(customer_id: str, message_id: str) -> t.Message:
        return messaging.get_message(customer_id, message_id)

    @router.post("/messages/{message_id}/status", response_model=t.Message)
    def update_status(message_id: str, body: t.StatusUpdate, replay: Idempotent) -> Response:
        """The gateway's delivery callback (not scoped to a customer)."""
        return replay.answer(
            body, lambda: messaging.update_status(message_id, body.status, body.error)
        )

    return router
