"""The messaging contract: one outbox, addresses from the profile, consent, delivery status,
idempotency keys."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from cerebro.clock import FixedClock
from memory.vocabulary import Channel
from tests.conformance import world as w
from tests.conformance.expect import expect_error
from tools.messaging import MessagingTools
from tools.types import Message


@pytest.mark.parametrize(
    ("customer", "channel", "address"),
    [
        (w.MARIA, "whatsapp", w.MARIA_PHONE),
        (w.MARIA, "sms", w.MARIA_PHONE),
        (w.MARIA, "email", w.MARIA_EMAIL),
        (w.LIN, "email", "lin.chen@example.com"),
        (w.LIN, "in_app", w.LIN),
    ],
)
def test_service_messages_go_to_the_profiles_address_for_the_channel(
    messaging: MessagingTools, customer: str, channel: Channel, address: str
) -> None:
    message = messaging.send(
        customer, channel=channel, purpose="service", body="Your order is on its way."
    )
    assert (message.customer_id, message.channel, message.to_address) == (
        customer,
        channel,
        address,
    )
    assert (message.purpose, message.status, message.error) == ("service", "queued", None)
    assert message.created_at == message.updated_at == w.NOW
    assert messaging.get_message(customer, message.id) == message
    assert messaging.list_messages(customer)[0] == message


def test_marketing_with_granted_consent_is_queued(messaging: MessagingTools) -> None:
    message = messaging.send(
        w.MARIA,
        channel="whatsapp",
        purpose="marketing",
        body="¡Nueva colección de primavera!",
    )
    assert (message.id, message.status) == ("MSG-000002", "queued")


@pytest.mark.parametrize(
    ("customer", "channel", "purpose", "fragment"),
    [
        (w.MARIA, "email", "marketing", "declined marketing messages on email"),
        (w.MARIA, "sms", "sales", "has not agreed to sales messages on sms"),
        (w.MARIA, "whatsapp", "sales", "has not agreed to sales messages on whatsapp"),
        (w.LIN, "email", "marketing", "has not agreed to marketing messages on email"),
    ],
)
def test_marketing_and_sales_need_consent_for_channel_and_purpose(
    messaging: MessagingTools, customer: str, channel: Channel, purpose: str, fragment: str
) -> None:
    before = messaging.list_messages(customer)
    with expect_error("rule_violation", customer, fragment):
        messaging.send(customer, channel=channel, purpose=purpose, body="Offer")  # type: ignore[arg-type]
    assert messaging.list_messages(customer) == before


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_no_phone_means_no_sms_or_whatsapp(messaging: MessagingTools, channel: Channel) -> None:
    with expect_error("rule_violation", w.LIN, "no phone number"):
        messaging.send(w.LIN, channel=channel, purpose="service", body="Hi")
    assert messaging.list_messages(w.LIN) == []


def test_a_message_needs_a_body_and_a_known_channel(messaging: MessagingTools) -> None:
    with expect_error("invalid_input", "body"):
        messaging.send(w.MARIA, channel="email", purpose="service", body="  ")
    with expect_error("invalid_input", "channel"):
        messaging.send(w.MARIA, channel="fax", purpose="service", body="Hi")  # type: ignore[arg-type]


def test_messages_are_listed_newest_first_and_limited(
    messaging: MessagingTools, clock: FixedClock
) -> None:
    sent = []
    for minutes in range(3):
        clock.set(w.NOW + timedelta(minutes=minutes))
        sent.append(
            messaging.send(w.MARIA, channel="email", purpose="service", body=f"Update {minutes}")
        )
    assert messaging.list_messages(w.MARIA) == sent[::-1]
    assert messaging.list_messages(w.MARIA, limit=1) == [sent[-1]]
    assert [m.id for m in messaging.list_messages(w.JAMES)] == [w.JAMES_MESSAGE]


def test_delivery_status_only_moves_forward(messaging: MessagingTools, clock: FixedClock) -> None:
    message = messaging.send(w.MARIA, channel="whatsapp", purpose="service", body="Hola")
    clock.set(w.NOW + timedelta(seconds=5))
    sent = messaging.update_status(message.id, "sent")
    assert (sent.status, sent.updated_at) == ("sent", w.NOW + timedelta(seconds=5))
    clock.set(w.NOW + timedelta(seconds=9))
    delivered = messaging.update_status(message.id, "delivered")
    assert delivered.status == "delivered"
    assert messaging.update_status(message.id, "delivered") == delivered  # a repeated callback
    with expect_error("conflict", message.id, "already delivered", "cannot become sent"):
        messaging.update_status(message.id, "sent")
    with expect_error("conflict", "next allowed: none"):
        messaging.update_status(message.id, "failed", "bounced")
    assert messaging.get_message(w.MARIA, message.id) == delivered


def test_a_failed_delivery_keeps_its_error(messaging: MessagingTools) -> None:
    message = messaging.send(w.MARIA, channel="sms", purpose="service", body="Hola")
    failed = messaging.update_status(message.id, "failed", "number unreachable")
    assert (failed.status, failed.error) == ("failed", "number unreachable")
    assert messaging.get_message(w.MARIA, message.id).error == "number unreachable"
    with expect_error("conflict", "already failed"):
        messaging.update_status(message.id, "sent")


def test_status_updates_are_checked(messaging: MessagingTools) -> None:
    with expect_error("invalid_input", "error can only come with status failed"):
        messaging.update_status(w.JAMES_MESSAGE, "delivered", "oops")
    with expect_error("not_found", "MSG-999999"):
        messaging.update_status("MSG-999999", "sent")
    assert messaging.get_message(w.JAMES, w.JAMES_MESSAGE).status == "sent"


def test_another_customers_message_is_not_found(messaging: MessagingTools) -> None:
    with expect_error("not_found", w.JAMES_MESSAGE):
        messaging.get_message(w.MARIA, w.JAMES_MESSAGE)
    assert messaging.list_messages(w.MARIA) == []
    with expect_error("not_found", "CUS-999999"):
        messaging.send("CUS-999999", channel="email", purpose="service", body="Hi")


# --- Idempotency keys: a retried send queues one message ------------------------------------


def test_a_send_repeated_with_its_key_answers_the_first_message_and_queues_nothing(
    messaging: MessagingTools, clock: FixedClock
) -> None:
    first = messaging.send(
        w.MARIA, channel="whatsapp", purpose="service", body="Tu pedido", idempotency_key="k-1"
    )
    clock.set(w.NOW + timedelta(minutes=3))
    again = messaging.send(
        w.MARIA, channel="whatsapp", purpose="service", body="Tu pedido", idempotency_key="k-1"
    )
    assert again == first
    assert messaging.list_messages(w.MARIA) == [first]
    sent = messaging.update_status(first.id, "sent")
    replayed = messaging.send(
        w.MARIA, channel="whatsapp", purpose="service", body="Tu pedido", idempotency_key="k-1"
    )
    assert replayed == sent  # the message as it is now
    assert messaging.list_messages(w.MARIA) == [sent]


def test_another_key_or_no_key_queues_another_message(messaging: MessagingTools) -> None:
    sent = [
        messaging.send(w.MARIA, channel="email", purpose="service", body="Hi", idempotency_key=k)
        for k in ("k-1", "k-2", None, None)
    ]
    assert len({message.id for message in sent}) == 4
    assert sorted(m.id for m in messaging.list_messages(w.MARIA)) == sorted(m.id for m in sent)


@pytest.mark.parametrize(
    "change",
    [{"body": "Other text"}, {"channel": "sms"}, {"purpose": "marketing"}, {"subject": "New"}],
    ids=["body", "channel", "purpose", "subject"],
)
def test_a_key_reused_for_another_message_is_a_conflict(
    messaging: MessagingTools, change: dict[str, str]
) -> None:
    message = {"channel": "whatsapp", "purpose": "service", "body": "Hola"}
    first = messaging.send(w.MARIA, **message, idempotency_key="k-1")  # type: ignore[arg-type]
    with expect_error("conflict", "k-1", "already used"):
        messaging.send(w.MARIA, **{**message, **change}, idempotency_key="k-1")  # type: ignore[arg-type]
    assert messaging.list_messages(w.MARIA) == [first]


def test_a_key_belongs_to_its_customer(messaging: MessagingTools) -> None:
    marias = messaging.send(
        w.MARIA, channel="email", purpose="service", body="Hi", idempotency_key="shared"
    )
    # Another customer's use of the key neither answers María's message nor clashes with it.
    lins = messaging.send(
        w.LIN, channel="in_app", purpose="service", body="Other", idempotency_key="shared"
    )
    assert (lins.customer_id, lins.to_address, lins.body) == (w.LIN, w.LIN, "Other")
    assert lins.id != marias.id
    assert messaging.list_messages(w.LIN) == [lins]
    with expect_error("not_found", marias.id):
        messaging.get_message(w.LIN, marias.id)
    assert (
        messaging.send(
            w.MARIA, channel="email", purpose="service", body="Hi", idempotency_key="shared"
        )
        == marias
    )
    assert messaging.list_messages(w.MARIA) == [marias]


def test_a_refused_send_keeps_no_key(messaging: MessagingTools) -> None:
    with expect_error("rule_violation", "no phone number"):
        messaging.send(w.LIN, channel="sms", purpose="service", body="Hi", idempotency_key="k-1")
    message = messaging.send(
        w.LIN, channel="email", purpose="service", body="Hi", idempotency_key="k-1"
    )
    assert messaging.list_messages(w.LIN) == [message]


@pytest.mark.parametrize("key", ["", "two words", "x" * 256, "clé"])
def test_an_idempotency_key_is_1_to_255_visible_ascii_characters(
    messaging: MessagingTools, key: str
) -> None:
    with expect_error("invalid_input", "idempotency_key"):
        messaging.send(w.MARIA, channel="email", purpose="service", body="Hi", idempotency_key=key)
    assert messaging.list_messages(w.MARIA) == []
    longest = messaging.send(
        w.MARIA, channel="email", purpose="service", body="Hi", idempotency_key="x" * 255
    )
    assert messaging.list_messages(w.MARIA) == [longest]


def test_concurrent_sends_with_one_key_queue_one_message(messaging: MessagingTools) -> None:
    """Retries that overlap (a client that timed out while the first attempt still runs)."""
    start = threading.Barrier(4)

    def send(_: int) -> Message:
        start.wait(timeout=30)
        return messaging.send(
            w.MARIA, channel="email", purpose="service", body="Hi", idempotency_key="k-1"
        )

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send, range(4)))
    assert len({message.id for message in answers}) == 1
    assert messaging.list_messages(w.MARIA) == [answers[0]]
