"""Handoff to a human on every trigger, the escalation summary, and human mode."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from agent.nlu import Parser
from agent.sentiment import SentimentAnalyzer
from memory.db import Database
from memory.knowledge.store import KnowledgeBase
from memory.schema import Handoff, Order
from memory.vocabulary import Language
from tests.agent.conftest import EMAILS, EMILY, JAVIER, MARIA, World, make_world, reply, tools_of
from tools.errors import UnavailableError
from tools.factory import Toolbox


def queued(world: World, customer_id: str) -> list[Handoff]:
    with world.db.session() as session:
        return list(
            session.scalars(
                select(Handoff)
                .where(Handoff.customer_id == customer_id, Handoff.status == "queued")
                .order_by(Handoff.id)
            )
        )


def new_handoff(world: World, customer_id: str, conversation_id: str) -> Handoff:
    (handoff,) = [h for h in queued(world, customer_id) if h.conversation_id == conversation_id]
    return handoff


@pytest.mark.parametrize(
    ("customer", "text", "said"),
    [
        (EMILY, "Honestly I'm fed up with this shop", "fed up"),
        (MARIA, "Estoy harta, esto es un desastre", "harta"),
        (JAVIER, "Quiero poner un reclamo", "reclamo"),
    ],
)
def test_trigger_words_hand_off(world: World, customer: str, text: str, said: str) -> None:
    chat = world.chat(customer=world.session_customer(customer))
    handed = chat.say(text)
    assert chat.state["mode"] == "human"
    handoff = new_handoff(world, customer, chat.conversation_id)
    assert handoff.reason == "trigger_word"
    assert handoff.priority == 2  # an upset customer is more urgent
    assert any(said in attempt["outcome"] for attempt in handoff.summary["attempts"])
    turn = handed.first("customer")
    assert turn is not None and turn["intent"] is None  # handed off before understanding
    statuses = [t for t in handed.new_turns if t["source"] == "system"]
    assert [t["kind"] for t in statuses] == ["status"] and handoff.id in statuses[0]["text"]


@pytest.mark.parametrize(
    ("text", "language"),
    [("Can I speak to an agent?", "en"), ("Quiero hablar con una persona, por favor", "es")],
)
def test_asking_for_a_person_hands_off(world: World, text: str, language: str) -> None:
    chat = world.chat(customer=world.session_customer(EMILY))
    handed = chat.say(text)
    handoff = new_handoff(world, EMILY, chat.conversation_id)
    assert (handoff.reason, handoff.language) == ("customer_request", language)
    assert handoff.id in reply(handed)


def test_order_cancellation_words_are_resolved_not_handed_off(world: World) -> None:
    chat = world.chat(customer=world.session_customer(MARIA))
    answer = chat.say("quiero cancelar mi pedido")
    assert chat.state["mode"] == "ai" and "¿Lo cancelo?" in reply(answer)
    assert chat.say("sí, cancelar").first("customer") is not None
    assert chat.state["mode"] == "ai"


def test_cancelling_the_account_hands_off(world: World) -> None:
    chat = world.chat(customer=world.session_customer(MARIA))
    chat.say("quiero cancelar mi cuenta")
    assert new_handoff(world, MARIA, chat.conversation_id).reason == "trigger_word"


def test_two_low_confidence_turns_in_a_row_hand_off(world: World) -> None:
    chat = world.chat(customer=world.session_customer(EMILY))
    first = chat.say("and the stuff?")
    assert "didn't get that" in reply(first) and chat.state["mode"] == "ai"
    assert chat.state["low_confidence_streak"] == 1
    chat.say("and the stuff?")
    assert new_handoff(world, EMILY, chat.conversation_id).reason == "low_confidence"


@pytest.mark.parametrize(
    "messages",
    [
        ["This is taking forever, awful experience", "Terrible service, really bad"],
        ["Qué servicio tan malo, es horrible", "Es una vergüenza, pésimo"],
    ],
)
def test_sustained_negative_sentiment_hands_off(world: World, messages: list[str]) -> None:
    chat = world.chat(customer=world.session_customer(MARIA))
    chat.say(messages[0])
    assert chat.state["mode"] == "ai"
    chat.say(messages[1])
    handoff = new_handoff(world, MARIA, chat.conversation_id)
    assert handoff.reason == "negative_sentiment"
    assert handoff.summary["sentiment_trend"] in ("stable", "worsening")
    labels = [t["sentiment"]["label"] for t in chat.state["turns"] if t["sentiment"]]
    assert labels == ["negative", "negative"]


@pytest.mark.parametrize(
    "text", ["What's the weather like in Paris tomorrow?", "¿Quién ganó el partido ayer?"]
)
def test_an_out_of_scope_request_hands_off(world: World, text: str) -> None:
    chat = world.chat(customer=world.session_customer(EMILY))
    chat.say(text)
    assert new_handoff(world, EMILY, chat.conversation_id).reason == "out_of_scope"


class DownLogistics:
    """A logistics system that cannot be reached."""

    def __getattr__(self, name: str) -> object:
        def fail(*_args: object, **_kwargs: object) -> None:
            raise UnavailableError("the logistics service did not answer (timeout)")

        return fail


@pytest.fixture
def broken_world(
    seeded: Database,
    parser: Parser,
    sentiment: SentimentAnalyzer,
    knowledge: KnowledgeBase,
) -> Iterator[World]:
    healthy = make_world(seeded, parser, sentiment, knowledge)
    tools = healthy.toolbox
    broken = Toolbox(tools.crm, DownLogistics(), tools.messaging, tools.routing)  # type: ignore[arg-type]
    yield make_world(seeded, parser, sentiment, knowledge, toolbox=broken)
    tools.close()


def test_a_tool_failure_hands_off_honestly(broken_world: World) -> None:
    chat = broken_world.chat(customer=broken_world.session_customer(EMILY))
    handed = chat.say("Where is my order ORD-100011?")
    text = reply(handed)
    assert "something went wrong on our side" in text and "colleague" in text
    handoff = new_handoff(broken_world, EMILY, chat.conversation_id)
    assert handoff.reason == "tool_failure"
    assert handoff.summary["customer_tier"] == "standard"
    failed = [a for a in handoff.summary["attempts"] if "timeout" in a["outcome"]]
    assert failed and failed[0]["action"].startswith("logistics.get_order")


def test_an_unidentified_customer_is_asked_who_they_are_then_handed_off(world: World) -> None:
    chat = world.chat()
    asked = chat.say("I want to talk to a human")
    assert "email" in reply(asked) and chat.state["mode"] == "ai"
    assert chat.state["handoff"] is not None
    assert chat.state["handoff"]["status"] == "awaiting_identity"
    handed = chat.say(EMAILS[EMILY])
    assert tools_of(handed) == ["crm.find_customer_by_email", "routing.request_handoff"]
    assert chat.state.get("mode") == "human"
    assert new_handoff(world, EMILY, chat.conversation_id).reason == "customer_request"


def visitor_handoff(world: World, conversation_id: str) -> Handoff:
    with world.db.session() as session:
        (handoff,) = session.scalars(
            select(Handoff).where(Handoff.conversation_id == conversation_id)
        )
        return handoff


@pytest.mark.parametrize(
    ("language", "ask", "again", "unverified_words"),
    [
        ("en", "I want to talk to a human", "just get me a person", "haven't confirmed"),
        ("es", "Quiero hablar con un humano", "pásame con una persona", "no hemos confirmado"),
    ],
)
def test_an_unidentified_customer_who_insists_reaches_a_human_unverified(
    world: World, language: Language, ask: str, again: str, unverified_words: str
) -> None:
    chat = world.chat(language=language)
    asked = chat.say(ask)
    assert tools_of(asked) == [] and chat.state["mode"] == "ai"
    handed = chat.say(again)
    assert tools_of(handed) == ["routing.request_handoff"]
    assert unverified_words in reply(handed) and chat.state.get("mode") == "human"
    assert chat.state["customer"] is None
    handoff = visitor_handoff(world, chat.conversation_id)
    assert (handoff.customer_id, handoff.status, handoff.reason) == (
        None,
        "queued",
        "customer_request",
    )
    assert handoff.summary["customer_name"] == "Unverified visitor"
    assert [m["text"] for m in handoff.summary["last_messages"]][-2:] == [
        reply(asked),
        again,
    ]


def test_details_that_match_no_one_hand_off_unverified_without_echoing_them(world: World) -> None:
    chat = world.chat()
    chat.say("Can I speak to someone?")
    handed = chat.say("it's nobody@example.org or call me on +34 611 222 333")
    assert tools_of(handed) == ["routing.request_handoff"]
    assert chat.state["mode"] == "human" and chat.state["customer"] is None
    summary = visitor_handoff(world, chat.conversation_id).summary
    assert summary["customer_name"] == "Unverified visitor (identity verification failed once)"
    shown = json.dumps(summary)
    assert "nobody@example.org" not in shown and "611 222 333" not in shown
    assert "[email]" in summary["last_messages"][-1]["text"]
    assert {"action": "crm.find_customer_by_email", "outcome": "not_found"} in summary["attempts"]


def test_human_mode_records_messages_until_an_agent_hands_back(world: World) -> None:
    chat = world.chat(customer=world.session_customer(MARIA))
    chat.say("quiero hablar con un humano")
    waiting = chat.say("¿hola? ¿hay alguien? quiero cancelar el pedido ORD-100005")
    assert [t["source"] for t in waiting.new_turns] == ["customer"]
    recorded = waiting.new_turns[0]
    assert recorded["mode"] == "human" and recorded["sentiment"] is not None
    assert recorded["intent"] is None
    with world.db.session() as session:
        assert session.get(Order, "ORD-100005").status == "pending"  # type: ignore[union-attr]

    answered = world.service.post_agent_message(
        chat.conversation_id, "Hola María, soy Lucía. Lo miro ahora mismo.", "AGT-000001"
    )
    (agent_turn,) = answered.new_turns
    assert (agent_turn["source"], agent_turn["author"]) == ("human_agent", "AGT-000001")
    assert answered.state["mode"] == "human"

    back = world.service.hand_back(chat.conversation_id, "AGT-000001")
    assert back.state["mode"] == "ai"
    assert [t["source"] for t in back.new_turns] == ["system"]
    assert back.state["handoff"]["status"] == "handed_back"  # type: ignore[index]
    again = chat.say("gracias, ¿dónde está mi pedido ORD-100004?")
    assert "ORD-100004" in reply(again) and chat.state["mode"] == "ai"


def test_an_agent_can_take_over_an_ai_conversation(world: World) -> None:
    chat = world.chat(customer=world.session_customer(EMILY))
    chat.say("where is my order ORD-100011?")
    taken = world.service.post_agent_message(
        chat.conversation_id, "Hi Emily, Daniel here, I'll chase the carrier.", "AGT-000004"
    )
    assert [t["source"] for t in taken.new_turns] == ["system", "human_agent"]
    assert taken.state["mode"] == "human"
    assert [t["source"] for t in chat.say("thanks!").new_turns] == ["customer"]


def test_handing_back_an_ai_conversation_is_refused(world: World) -> None:
    from agent.service import ModeError

    chat = world.chat()
    with pytest.raises(ModeError):
        world.service.hand_back(chat.conversation_id, "AGT-000001")
