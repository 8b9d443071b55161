"""What the assistant and the journeys may ask of the messaging system (one outbox, 4 channels)."""

from __future__ import annotations

from typing import Protocol

from memory.vocabulary import Channel, MessageStatus, Purpose
from tools.types import DEFAULT_LIST_LIMIT, Message


class MessagingTools(Protocol):
    """Send on email, SMS, WhatsApp or in-app, and follow delivery.

    Sending and reading are scoped to one verified customer (another customer's message is
    `not_found`); `update_status` is the gateway's delivery callback and is not.
    Errors are `tools.errors.ToolError`s.
    """

    def send(
        self,
        customer_id: str,
        *,
        channel: Channel,
        purpose: Purpose,
        body: str,
        subject: str | None = None,
        idempotency_key: str | None = None,
    ) -> Message:
        """Queue a message to the customer's address for `channel` (from the profile).

        `rule_violation` when the customer has no address for the channel, or when `purpose` is
        `marketing` or `sales` and the customer has not granted consent for that channel and
        purpose (`service` messages need no consent).

        `idempotency_key` makes a retry safe, across processes and restarts: pass the same key
        on every attempt at one message (1 to 255 visible ASCII characters, no spaces, else
        `invalid_input`). Keys are scoped to the customer and kept as long as the message:
        - the customer's first message sent with the key is queued as usual;
        - a later send for the same customer with the same key and the same `channel`,
          `purpose`, `subject` and `body` queues nothing and answers that first message as it
          is now (its status may have moved on), even if consent or the address changed since;
        - the same key with a different channel, purpose, subject or body is a `conflict`
          (nothing is queued);
        - another customer's key is just another key: it never answers, reveals or blocks a
          message of someone else;
        - a refused send (`rule_violation`, `not_found`, `invalid_input`) keeps nothing, so a
          retry with its key is checked again;
        - sends with one key at the same time queue one message and all answer it.
        Without a key every call queues a new message.
        """
        ...

    def get_message(self, customer_id: str, message_id: str) -> Message:
        """One of the customer's messages with its delivery status."""
        ...

    def list_messages(self, customer_id: str, limit: int = DEFAULT_LIST_LIMIT) -> list[Message]:
        """The customer's newest messages first (at most `limit`, 1 to 100)."""
        ...

    def update_status(
        self, message_id: str, status: MessageStatus, error: str | None = None
    ) -> Message:
        """Record a delivery report; status only moves forward (`queued` -> `sent` ->
        `delivered`, or -> `failed`). Repeating the current status changes nothing; going back
        is a `conflict`. `error` only comes with `failed`."""
        ...
