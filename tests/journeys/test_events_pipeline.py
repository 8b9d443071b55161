"""The pipeline's extension point: handlers run after the profile update, inside the event's
transaction; their decisions go out after the commit; a failure rolls back that event only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from journeys.events import Event, parse_message
from journeys.pipeline import EventContext, Pipeline
from journeys.policy import Candidate, SendRequest
from journeys.schema import DecisionRecord, EventRecord
from memory.db import Database
from memory.schema import Message
from tests.journeys.conftest import MARIA, NOON, OLIVIA

PROMO = Candidate(offer_id="promo", purpose="marketing", body="Un 10% para ti")


def event(message: Mapping[str, object]) -> Event:
    return parse_message(message, received_at=NOON)


def count(db: Database, model: type[object]) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


class CartHandler:
    """Offers a discount on "Cart Abandoned"; fails on "Boom"; remembers what it saw."""

    def __init__(self) -> None:
        self.seen: list[tuple[str | None, int, tuple[str, ...]]] = []

    def handle(self, event: Event, context: EventContext) -> None:
        profile = context.profile_after
        self.seen.append((event.name, len(profile.cart), context.merged))
        if event.name == "Boom":
            context.decide(SendRequest(customer_id=profile.id, candidates=(PROMO,)))
            raise RuntimeError("handler bug")
        if event.name == "Cart Abandoned":
            context.decide(SendRequest(customer_id=profile.id, candidates=(PROMO,)))


@pytest.fixture
def handler(pipeline: Pipeline) -> CartHandler:
    made = CartHandler()
    pipeline.add_handler(made)
    return made


def test_handlers_see_the_updated_profile_and_their_decisions_are_sent(
    pipeline: Pipeline, handler: CartHandler, seeded: Database
) -> None:
    added = {"type": "track", "userId": MARIA, "event": "Product Added", "properties": {"sku": "A"}}
    pipeline.ingest(event(added), "wk:test")
    result = pipeline.ingest(
        event({"type": "track", "userId": MARIA, "event": "Cart Abandoned"}), "wk:test"
    )
    assert handler.seen == [("Product Added", 1, ()), ("Cart Abandoned", 1, ())]
    (decision,) = result.decisions
    assert decision.outcome == "send" and decision.event_id == result.event_id
    with seeded.session() as session:
        row = session.get(DecisionRecord, decision.id)
        assert row is not None and row.state == "dispatched"
        message = session.get(Message, row.message_id)
        assert message is not None and message.body == PROMO.body


def test_replays_do_not_reach_the_handlers(pipeline: Pipeline, handler: CartHandler) -> None:
    message = {"type": "track", "userId": MARIA, "event": "Cart Abandoned", "messageId": "m-1"}
    assert pipeline.ingest(event(message), "wk:test").status == "accepted"
    assert pipeline.ingest(event(message), "wk:test").status == "duplicate"
    assert len(handler.seen) == 1


def test_handlers_learn_which_profiles_an_event_merged(
    pipeline: Pipeline, handler: CartHandler
) -> None:
    pipeline.ingest(event({"type": "page", "anonymousId": "v-1"}), "wk:test")
    pipeline.ingest(event({"type": "identify", "userId": MARIA, "anonymousId": "v-1"}), "wk:test")
    assert handler.seen[-1] == (None, 0, ("anon:v-1",))


def test_a_failing_handler_rolls_back_its_event_alone(
    pipeline: Pipeline, handler: CartHandler, seeded: Database
) -> None:
    batch = [
        event({"type": "track", "userId": MARIA, "event": "Cart Abandoned"}),
        event({"type": "track", "userId": OLIVIA, "event": "Boom"}),
        event({"type": "track", "userId": OLIVIA, "event": "Fine"}),
    ]
    results = pipeline.ingest_batch(batch, "wk:test")
    assert [r.status for r in results] == ["accepted", "failed", "accepted"]
    assert count(seeded, EventRecord) == 2
    assert count(seeded, DecisionRecord) == 1  # Olivia's decision went with her event
    with pytest.raises(RuntimeError, match="handler bug"):
        pipeline.ingest(event({"type": "track", "userId": OLIVIA, "event": "Boom"}), "wk:test")
    assert count(seeded, EventRecord) == 2


def test_events_emitted_by_a_handler_are_ingested_after_the_commit(
    pipeline: Pipeline, seeded: Database
) -> None:
    class Emitter:
        def handle(self, event: Event, context: EventContext) -> None:
            if event.source == "api":
                outcome = replace(
                    event,
                    source="journey",
                    name="Journey Entered",
                    message_id=f"journey:{context.event_id}",
                    timestamp=event.timestamp + timedelta(seconds=1),
                )
                context.emit(outcome)

    pipeline.add_handler(Emitter())
    pipeline.ingest(event({"type": "track", "userId": MARIA, "event": "Signed In"}), "wk:test")
    with seeded.session() as session:
        stored = session.execute(
            select(EventRecord.source_key, EventRecord.source, EventRecord.name).order_by(
                EventRecord.id
            )
        ).all()
    assert [tuple(row) for row in stored] == [
        ("wk:test", "api", "Signed In"),
        ("journey", "journey", "Journey Entered"),
    ]
