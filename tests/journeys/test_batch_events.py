"""The events of a batch share one transaction: each must see what the earlier ones changed
(identities, profiles, consents, sends counted by the frequency caps), and nothing of an event
that was rolled back to its savepoint, even when its failure ended the whole transaction."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from sqlalchemy import select

from journeys import store
from journeys.events import Event, parse_message
from journeys.hotpath import Raw
from journeys.pipeline import EventContext, Pipeline
from journeys.policy import Candidate, Decision, SendRequest
from journeys.profiles import Profile
from journeys.schema import EventRecord
from memory.db import Database
from memory.schema import Customer
from tests.journeys.conftest import MARIA, NOON, OLIVIA

PROMO = Candidate(offer_id="promo", purpose="marketing", body="Un 10% para ti")


def event(message: Mapping[str, object]) -> Event:
    return parse_message(message, received_at=NOON)


def track(user: str, name: str, **properties: object) -> Event:
    return event({"type": "track", "userId": user, "event": name, "properties": properties})


class OfferOnAbandon:
    """Offers the promotion on "Cart Abandoned" and fails on an item "SKU-BAD" added to the cart;
    remembers each decision and the cart the profile had."""

    def __init__(self) -> None:
        self.decisions: list[Decision] = []
        self.carts: list[list[str]] = []

    def handle(self, event: Event, context: EventContext) -> None:
        profile = context.profile_after
        if event.name == "Cart Abandoned":
            self.carts.append([item.sku for item in profile.cart])
            decision = context.decide(SendRequest(customer_id=profile.id, candidates=(PROMO,)))
            self.decisions.append(decision)
        if event.properties.get("sku") == "SKU-BAD":
            raise RuntimeError("handler bug")


@pytest.fixture
def offers(pipeline: Pipeline) -> OfferOnAbandon:
    made = OfferOnAbandon()
    pipeline.add_handler(made)
    return made


def profile(db: Database, profile_id: str) -> Profile | None:
    with db.session() as session:
        return store.load(Raw(session.connection()), profile_id, lock=False)


def test_a_consent_changed_earlier_in_the_batch_rules_its_later_decisions(
    pipeline: Pipeline, offers: OfferOnAbandon
) -> None:
    # María prefers WhatsApp and had granted marketing there: she withdraws it, then abandons.
    pipeline.ingest(track(MARIA, "Product Viewed"), "wk:t")  # her profile exists before the batch
    withdrawn = {"channel": "whatsapp", "purpose": "marketing", "granted": False}
    pipeline.ingest_batch(
        [track(MARIA, "Consent Updated", **withdrawn), track(MARIA, "Cart Abandoned")], "wk:t"
    )
    [decision] = offers.decisions
    assert decision.outcome == "send" and decision.channel == "email"
    assert any(r.detail == "marketing on whatsapp was refused" for r in decision.reasons)


def test_a_send_earlier_in_the_batch_counts_toward_the_frequency_caps(
    pipeline: Pipeline, offers: OfferOnAbandon
) -> None:
    pipeline.ingest(track(MARIA, "Product Viewed"), "wk:t")
    pipeline.ingest_batch([track(MARIA, "Cart Abandoned") for _ in range(3)], "wk:t")
    first, second, third = offers.decisions
    assert (first.channel, second.channel) == ("whatsapp", "email")
    assert third.outcome == "suppress"
    assert any(r.rule == "frequency_cap" for r in third.reasons)


def test_a_visitor_identified_in_the_batch_is_one_profile_for_the_rest_of_it(
    pipeline: Pipeline, offers: OfferOnAbandon, seeded: Database
) -> None:
    visitor = "v-batch-1"
    added = {"type": "track", "anonymousId": visitor, "event": "Product Added"}
    pipeline.ingest(event({**added, "properties": {"sku": "SKU-A"}}), "wk:t")
    pipeline.ingest(track(MARIA, "Product Viewed"), "wk:t")
    pipeline.ingest_batch(
        [
            event({"type": "identify", "userId": MARIA, "anonymousId": visitor}),
            event({**added, "properties": {"sku": "SKU-B"}}),
            track(MARIA, "Cart Abandoned"),
        ],
        "wk:t",
    )
    assert offers.carts == [["SKU-A", "SKU-B"]]
    assert profile(seeded, f"anon:{visitor}") is None
    maria = profile(seeded, MARIA)
    assert maria is not None and [item.sku for item in maria.cart] == ["SKU-A", "SKU-B"]


def test_an_event_rolled_back_in_the_batch_leaves_nothing_for_the_next_ones(
    pipeline: Pipeline, offers: OfferOnAbandon, seeded: Database
) -> None:
    pipeline.ingest(track(OLIVIA, "Product Viewed"), "wk:t")
    results = pipeline.ingest_batch(
        [
            track(OLIVIA, "Product Added", sku="SKU-A"),
            track(OLIVIA, "Product Added", sku="SKU-BAD"),
            track(OLIVIA, "Product Added", sku="SKU-B"),
            track(OLIVIA, "Cart Abandoned"),
        ],
        "wk:t",
    )
    assert [r.status for r in results] == ["accepted", "failed", "accepted", "accepted"]
    # The failed event's item went with it: the later events saw the cart without it.
    assert offers.carts == [["SKU-A", "SKU-B"]]
    assert offers.decisions[0].outcome == "send"
    olivia = profile(seeded, OLIVIA)
    assert olivia is not None and [item.sku for item in olivia.cart] == ["SKU-A", "SKU-B"]


class NotesCustomers:
    """Records, through the transaction's ORM session, a customer named in a "Customer
    Referred" event; a referral whose e-mail is already taken fails at the flush."""

    def handle(self, event: Event, context: EventContext) -> None:
        if event.name != "Customer Referred":
            return
        context.session.add(
            Customer(
                id=str(event.properties["id"]),
                first_name="Referred",
                last_name="Friend",
                email=str(event.properties["email"]),
                language="es",
                timezone="Europe/Madrid",
                preferred_channel="email",
                tier="standard",
                lifetime_value_cents=0,
                created_at=NOON,
            )
        )
        context.flush()


def test_a_handlers_failed_orm_write_loses_only_its_event(
    pipeline: Pipeline, seeded: Database
) -> None:
    # A failed flush rolls back the whole transaction the session joined, not only the event's
    # savepoint: the batch runs again without that event.
    pipeline.add_handler(NotesCustomers())
    results = pipeline.ingest_batch(
        [
            track(MARIA, "Customer Referred", id="CUS-900001", email="friend1@example.com"),
            track(MARIA, "Customer Referred", id="CUS-900002", email="maria.garcia@example.com"),
            track(MARIA, "Customer Referred", id="CUS-900003", email="friend3@example.com"),
        ],
        "wk:t",
    )
    assert [r.status for r in results] == ["accepted", "failed", "accepted"]
    with seeded.session() as session:
        kept = session.scalars(select(Customer.id).where(Customer.id.like("CUS-9%"))).all()
        stored = session.scalars(select(EventRecord.name).where(EventRecord.user_id == MARIA))
        assert sorted(kept) == ["CUS-900001", "CUS-900003"]
        assert list(stored).count("Customer Referred") == 2


def test_a_profile_merged_away_in_the_batch_takes_its_devices_with_it(
    pipeline: Pipeline, offers: OfferOnAbandon, seeded: Database
) -> None:
    # An older user id with a device of its own becomes María through an alias in the batch;
    # the device's next event belongs to María, not to the profile that is gone.
    pipeline.ingest(event({"type": "identify", "userId": "U-OLD", "anonymousId": "dev-1"}), "wk:t")
    pipeline.ingest(track(MARIA, "Product Viewed"), "wk:t")
    device_added = {"type": "track", "anonymousId": "dev-1", "event": "Product Added"}
    pipeline.ingest_batch(
        [
            event({"type": "alias", "userId": MARIA, "previousId": "U-OLD"}),
            event({**device_added, "properties": {"sku": "SKU-C"}}),
            track(MARIA, "Cart Abandoned"),
        ],
        "wk:t",
    )
    assert offers.carts == [["SKU-C"]]
    assert profile(seeded, "U-OLD") is None
