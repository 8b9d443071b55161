"""Idempotency keys in the embedded messaging beyond what the contract suite can reach through the
adapters: a consent withdrawn between two attempts, and several drafts of one batch
(`queue_many`, which the journeys' outbox relay uses) carrying the same key."""

from __future__ import annotations

from functools import partial

from sqlalchemy import update

from memory.schema import Consent
from tests.conformance import world as w
from tests.conformance.conftest import Store
from tests.conformance.expect import expect_error
from tools.errors import ToolError
from tools.messaging import EmbeddedMessaging
from tools.messaging.embedded import Outgoing
from tools.types import Message


def test_a_replay_answers_the_first_message_even_after_consent_was_withdrawn(
    sqlite_store: Store,
) -> None:
    messaging = EmbeddedMessaging(sqlite_store.db, sqlite_store.clock)
    offer = partial(
        messaging.send, w.MARIA, channel="whatsapp", purpose="marketing", body="Rebajas"
    )
    first = offer(idempotency_key="k-1")
    with sqlite_store.db.session() as session:
        session.execute(update(Consent).where(Consent.customer_id == w.MARIA).values(granted=False))
    assert offer(idempotency_key="k-1") == first
    with expect_error("rule_violation", "declined marketing messages on whatsapp"):
        offer(idempotency_key="k-2")


def test_drafts_of_one_batch_sharing_a_key_queue_one_message(sqlite_store: Store) -> None:
    messaging = EmbeddedMessaging(sqlite_store.db, sqlite_store.clock)
    hello = Outgoing(w.MARIA, "email", "service", "Hi", idempotency_key="k-1")
    other = Outgoing(w.MARIA, "email", "service", "Other", idempotency_key="k-1")
    lins = Outgoing(w.LIN, "email", "service", "Hi", idempotency_key="k-1")
    with sqlite_store.db.session() as session:
        results = messaging.queue_many(session.connection(), [hello, hello, other, lins], w.NOW)
    first, again, clash, for_lin = results
    assert isinstance(first, Message) and again == first
    assert isinstance(clash, ToolError) and clash.code == "conflict"
    assert isinstance(for_lin, Message) and for_lin.customer_id == w.LIN
    assert messaging.list_messages(w.MARIA) == [first]
    assert messaging.list_messages(w.LIN) == [for_lin]
