"""Messaging over a company's REST API (`docs/tools-http-contract.md`, section Messaging)."""

from __future__ import annotations

from pydantic import TypeAdapter

from memory.vocabulary import Channel, MessageStatus, Purpose
from tools import types as t
from tools.http_client import HttpToolClient, path
from tools.messaging.keys import checked_key

_MESSAGE = TypeAdapter(t.Message)
_MESSAGES = TypeAdapter(list[t.Message])


class HttpMessaging:
    """`MessagingTools` calling a remote messaging service; inputs are validated before sending."""

    def __init__(self, client: HttpToolClient) -> None:
        self._client = client

    def send(
        self,
        customer_id: str,
        *,
        channel: Channel,
        purpose: Purpose,
        body: str,
        subject: str | None = None,
        idempotency_key: str | None = None,
    ) -> t.Message:
        """`idempotency_key` goes as the `Idempotency-Key` header, which the contract asks the
        service to keep with the message (`MessagingTools.send`); without it, the client makes
        one per call, so that its own retries of the call queue one message."""
        draft = t.NewMessage.parse(channel=channel, purpose=purpose, body=body, subject=subject)
        return self._client.call(
            "POST",
            path("customers", customer_id, "messages"),
            _MESSAGE,
            body=draft,
            idempotency_key=checked_key(idempotency_key),
        )

    def get_message(self, customer_id: str, message_id: str) -> t.Message:
        return self._client.call(
            "GET", path("customers", customer_id, "messages", message_id), _MESSAGE
        )

    def list_messages(self, customer_id: str, limit: int = t.DEFAULT_LIST_LIMIT) -> list[t.Message]:
        page = t.Page.parse(limit=limit)
        return self._client.call(
            "GET",
            path("customers", customer_id, "messages"),
            _MESSAGES,
            params={"limit": page.limit},
        )

    def update_status(
        self, message_id: str, status: MessageStatus, error: str | None = None
    ) -> t.Message:
        return self._client.call(
            "POST",
            path("messages", message_id, "status"),
            _MESSAGE,
            body=t.StatusUpdate.parse(status=status, error=error),
        )
