"""Whole conversations, in English and Spanish, for every resolution the offline brain makes:
each asserts the tool calls made and the final state of orders, tickets and messages."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from memory.demo.generator import DEFAULT_NOW
from memory.schema import Handoff, Message, Order, Refund, Return, ReturnItem, Ticket
from tests.agent.conftest import EMAILS, EMILY, JAVIER, MARIA, OLIVIA, World, reply, tools_of


def assert_in_order(used: list[str], expected: list[str]) -> None:
    """`expected` tools were called, in this order (other calls may come between)."""
    position = 0
    for tool in used:
        if position < len(expected) and tool == expected[position]:
            position += 1
    assert position == len(expected), f"expected {expected} in order, got {used}"


def order(world: World, order_id: str) -> Order:
    with world.db.session() as session:
        found = session.get(Order, order_id)
        assert found is not None
        return found


def messages(world: World, customer_id: str) -> list[Message]:
    with world.db.session() as session:
        return list(
            session.scalars(
                select(Message)
                .where(Message.customer_id == customer_id, Message.status == "queued")
                .order_by(Message.id)
            )
        )


def tickets(world: World, customer_id: str) -> list[Ticket]:
    with world.db.session() as session:
        return list(
            session.scalars(
                select(Ticket)
                .where(Ticket.customer_id == customer_id, Ticket.status == "open")
                .order_by(Ticket.id)
            )
        )


def test_first_reply_says_it_is_an_ai_that_can_hand_over(world: World) -> None:
    english, spanish = world.chat(), world.chat()
    assert "AI assistant" in reply(english.say("Hello"))
    assert "human" in reply(english.results[0])
    first = reply(spanish.say("Hola, buenas"))
    assert "asistente de IA" in first and "persona" in first
    assert "AI assistant" not in reply(english.say("where is my order?"))


# --- where is my order ---------------------------------------------------------------------------


def test_order_status_en(world: World) -> None:
    chat = world.chat()
    asked = chat.say("Where is my order ORD-100011?")
    assert "email" in reply(asked) and tools_of(asked) == []
    answer = chat.say(EMAILS[EMILY])
    text = reply(answer)
    assert "Thanks, Emily" in text
    assert "ORD-100011" in text and "Fitness Smartwatch" in text
    assert "delivery problem" in text
    assert_in_order(
        tools_of(answer),
        ["crm.find_customer_by_email", "logistics.get_order", "logistics.track_shipment"],
    )
    assert order(world, "ORD-100011").status == "shipped"


def test_order_status_es_verified_by_name_and_postal_code(world: World) -> None:
    chat = world.chat()
    chat.say("Hola, ¿dónde está mi pedido?")
    asked = chat.say("María García, 28009")
    assert "Gracias, María" in reply(asked)
    assert "ORD-100004" in reply(asked) and "ORD-100005" in reply(asked)
    answer = chat.say("el ORD-100004")
    text = reply(answer)
    assert "en tránsito" in text and "Trail Running Shoes" in text
    assert_in_order(
        chat.tools_used(),
        [
            "crm.find_customer_by_name_and_zip",
            "logistics.list_orders",
            "logistics.get_order",
            "logistics.track_shipment",
        ],
    )


def test_naming_a_product_picks_the_order_holding_it(world: World) -> None:
    emily = world.chat(customer=world.session_customer(EMILY))
    text = reply(emily.say("what happened to the headphones I ordered?"))
    # The shipped smartwatch order is the usual candidate; the headphones came in another one.
    assert "ORD-100010" in text and "Noise-Cancelling Headphones" in text
    assert "ORD-100011" not in text
    maria = world.chat(customer=world.session_customer(MARIA))
    text = reply(maria.say("¿Por dónde van mis zapatillas de correr?"))
    assert "ORD-100004" in text and "Trail Running Shoes" in text and "ORD-100005" not in text


# --- cancel a pending order ----------------------------------------------------------------------


def test_cancel_order_en(world: World) -> None:
    chat = world.chat()
    chat.say("Hi, I want to cancel my order")
    proposal = chat.say(f"it's {EMAILS[OLIVIA]}")
    assert "ORD-100007" in reply(proposal) and "Shall I cancel it?" in reply(proposal)
    assert order(world, "ORD-100007").status == "pending"
    done = chat.say("yes please")
    assert "ORD-100007 is cancelled" in reply(done)
    assert_in_order(tools_of(done), ["logistics.cancel_order", "messaging.send"])
    assert order(world, "ORD-100007").status == "cancelled"
    with world.db.session() as session:
        refund = session.scalars(select(Refund).where(Refund.order_id == "ORD-100007")).one()
        assert (refund.status, refund.amount_cents, refund.return_id) == ("pending", 64900, None)
    sent = messages(world, OLIVIA)
    assert [(m.channel, m.purpose) for m in sent] == [("email", "service")]
    assert "ORD-100007" in sent[0].body


def test_cancel_order_es(world: World) -> None:
    chat = world.chat()
    chat.say("Quiero cancelar mi pedido")
    proposal = chat.say("diego.hernandez@example.com")
    assert "ORD-100008" in reply(proposal) and "¿Lo cancelo?" in reply(proposal)
    done = chat.say("Sí")
    assert "el pedido ORD-100008 está cancelado" in reply(done)
    assert "WhatsApp" in reply(done)
    assert order(world, "ORD-100008").status == "cancelled"
    sent = messages(world, "CUS-000003")
    assert [(m.channel, m.purpose) for m in sent] == [("whatsapp", "service")]


def test_a_shipped_order_cannot_be_cancelled_and_the_customer_hears_why(world: World) -> None:
    chat = world.chat()
    chat.say(EMAILS[MARIA])
    refused = chat.say("cancela el pedido ORD-100004")
    assert "ya se ha enviado" in reply(refused)
    assert order(world, "ORD-100004").status == "shipped"
    assert chat.state.get("pending_change") is None


# --- change the delivery address -----------------------------------------------------------------


def test_change_address_en(world: World) -> None:
    chat = world.chat(language="en")
    chat.say("I need to change the delivery address of my order")
    asked = chat.say(f"My email is {EMAILS[OLIVIA]}")
    assert "new delivery address for order ORD-100007" in reply(asked)
    proposal = chat.say("10 Downing Street, London SW1A 2AA")
    assert "10 Downing Street" in reply(proposal) and "(yes/no)" in reply(proposal)
    done = chat.say("yes")
    assert "will be delivered to 10 Downing Street" in reply(done)
    assert_in_order(chat.tools_used(), ["logistics.change_shipping_address", "messaging.send"])
    changed = order(world, "ORD-100007")
    assert (changed.ship_line1, changed.ship_postal_code, changed.ship_city) == (
        "10 Downing Street",
        "SW1A 2AA",
        "London",
    )
    assert changed.ship_country == "GB"
    assert messages(world, OLIVIA)[0].channel == "email"


def test_change_address_es(world: World) -> None:
    chat = world.chat()
    chat.say("Hola, quiero cambiar la dirección de entrega de mi pedido ORD-100005")
    asked = chat.say(EMAILS[MARIA])
    assert "nueva dirección" in reply(asked) and "Calle de Alcalá" in reply(asked)
    proposal = chat.say("Calle Mayor 5, 28013 Madrid")
    assert "Calle Mayor 5" in reply(proposal)
    chat.say("sí")
    changed = order(world, "ORD-100005")
    assert (changed.ship_line1, changed.ship_postal_code, changed.ship_country) == (
        "Calle Mayor 5",
        "28013",
        "ES",
    )
    assert messages(world, MARIA)[0].channel == "whatsapp"


# --- return delivered items, and the refund ------------------------------------------------------


def test_return_and_refund_status_en(world: World) -> None:
    world.clock.set(datetime(2026, 6, 20, 12, tzinfo=DEFAULT_NOW.tzinfo))
    chat = world.chat()
    chat.say(f"Hello, {EMAILS[OLIVIA]} here. I'd like to return something")
    asked = chat.say("ORD-100006")
    assert "Which items" in reply(asked) and "Handwoven Wool Rug" in reply(asked)
    reason = chat.say("the rug")
    assert "reason" in reply(reason)
    proposal = chat.say("The colour doesn't match my living room")
    assert "Handwoven Wool Rug" in reply(proposal) and "Shall I go ahead?" in reply(proposal)
    done = chat.say("yes")
    assert "Done: return RET-" in reply(done)
    assert_in_order(tools_of(done), ["logistics.return_items", "messaging.send"])
    with world.db.session() as session:
        created = session.scalars(select(Return).where(Return.order_id == "ORD-100006")).one()
        assert (created.status, created.reason) == (
            "requested",
            "The colour doesn't match my living room",
        )
        lines = session.scalars(select(ReturnItem).where(ReturnItem.return_id == created.id))
        assert [(line.order_item_id, line.quantity) for line in lines] == [("ITM-000010", 1)]
        refund = session.scalars(select(Refund).where(Refund.return_id == created.id)).one()
        assert refund.status == "pending"
    status = chat.say("When will I get my refund?")
    assert "ORD-100006" in reply(status) and "being processed" in reply(status)
    assert "logistics.refund_status" in tools_of(status)


def test_return_and_refund_status_es(world: World) -> None:
    chat = world.chat()
    chat.say("Quiero devolver algo de mi último pedido porque no me gusta el olor")
    asked = chat.say(EMAILS[MARIA])
    assert "1) Ceramic Table Lamp (1); 2) Scented Soy Candle (2)" in reply(asked)
    proposal = chat.say("la segunda")
    assert "2 x Scented Soy Candle" in reply(proposal)
    assert "¿Sigo adelante?" in reply(proposal)
    chat.say("vale")
    with world.db.session() as session:
        created = session.scalars(select(Return).where(Return.order_id == "ORD-100003")).one()
        assert created.reason == "no me gusta el olor"
        units = session.scalar(
            select(func.sum(ReturnItem.quantity)).where(ReturnItem.return_id == created.id)
        )
        assert units == 2
    status = chat.say("¿Y cuándo me devolvéis el dinero?")
    assert "Pedido ORD-100003" in reply(status) and "en trámite" in reply(status)


def test_a_spanish_customer_picks_an_item_by_its_spanish_name(world: World) -> None:
    chat = world.chat()
    chat.say("Hola, quiero devolver algo porque no me convence el color")
    asked = chat.say(EMAILS[MARIA])
    assert "Ceramic Table Lamp" in reply(asked) and "Scented Soy Candle" in reply(asked)
    proposal = chat.say("solo las lámparas")
    assert "Ceramic Table Lamp" in reply(proposal) and "Scented Soy Candle" not in reply(proposal)
    assert "¿Sigo adelante?" in reply(proposal)


def test_refund_status_only_en(world: World) -> None:
    chat = world.chat()
    chat.say("Where is my refund?")
    answer = chat.say(EMAILS[EMILY])
    assert "ORD-100010" in reply(answer)
    assert "299.00 EUR" in reply(answer) and "RET-000001" in reply(answer)
    assert_in_order(tools_of(answer), ["logistics.list_orders", "logistics.refund_status"])


def test_refund_status_only_es(world: World) -> None:
    chat = world.chat()
    chat.say("¿Dónde está mi reembolso?")
    answer = chat.say(EMAILS[JAVIER])
    assert "ORD-100013" in reply(answer) and "ya abonado" in reply(answer)


def test_a_return_outside_the_window_is_refused(world: World) -> None:
    chat = world.chat()
    chat.say(f"{EMAILS[JAVIER]}: quiero devolver el pedido ORD-100012")
    refused = chat.results[-1]
    assert "plazo de 30 días ha terminado" in reply(refused)
    with world.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Return)) == 2  # the seeded ones


# --- damaged or late delivery --------------------------------------------------------------------


def test_damaged_item_opens_a_high_severity_ticket_en(world: World) -> None:
    chat = world.chat()
    chat.say("My headphones arrived damaged, the left ear cup is cracked")
    proposal = chat.say(EMAILS[EMILY])
    assert "high priority" in reply(proposal) and "ORD-100010" in reply(proposal)
    done = chat.say("yes")
    assert "case TCK-" in reply(done)
    assert_in_order(tools_of(done), ["crm.open_ticket", "messaging.send"])
    (opened,) = tickets(world, EMILY)
    assert (opened.category, opened.severity, opened.order_id) == (
        "damaged_item",
        "high",
        "ORD-100010",
    )
    assert "cracked" in opened.description
    assert messages(world, EMILY)[0].channel == "sms"


def test_damaged_item_es(world: World) -> None:
    chat = world.chat()
    chat.say("Hola, me ha llegado algo roto")
    chat.say(EMAILS[MARIA])
    proposal = chat.say("La lámpara de cerámica tiene la base rajada")
    assert "prioridad alta" in reply(proposal) and "ORD-100003" in reply(proposal)
    chat.say("sí")
    opened = [t for t in tickets(world, MARIA) if t.order_id == "ORD-100003"]
    assert [(t.category, t.severity) for t in opened] == [("damaged_item", "high")]
    assert opened[0].description.endswith("La lámpara de cerámica tiene la base rajada")


def test_a_safety_problem_opens_a_critical_ticket(world: World) -> None:
    chat = world.chat(customer=world.session_customer(MARIA))
    proposal = chat.say("La lámpara que me llegó echa humo y me he quemado la mano al tocarla")
    assert "prioridad crítica" in reply(proposal)
    chat.say("sí, ábrelo")
    (opened,) = [t for t in tickets(world, MARIA) if t.order_id == "ORD-100003"]
    assert opened.severity == "critical"


def test_a_safety_problem_told_in_english_opens_a_critical_ticket(world: World) -> None:
    chat = world.chat(customer=world.session_customer(MARIA))
    proposal = chat.say("The table lamp gave off sparks and scorched my fingers")
    assert "critical priority" in reply(proposal) and proposal.state["mode"] == "ai"
    chat.say("yes")
    (opened,) = [t for t in tickets(world, MARIA) if t.order_id == "ORD-100003"]
    assert opened.severity == "critical"


def test_late_delivery_opens_a_medium_ticket_en(world: World) -> None:
    chat = world.chat()
    chat.say("My package still hasn't arrived")
    proposal = chat.say(EMAILS[EMILY])
    assert "ORD-100011" in reply(proposal) and "medium priority" in reply(proposal)
    chat.say("ok")
    (opened,) = tickets(world, EMILY)
    assert (opened.category, opened.severity, opened.order_id) == (
        "delivery",
        "medium",
        "ORD-100011",
    )


def test_late_delivery_es(world: World) -> None:
    world.clock.set(DEFAULT_NOW + timedelta(days=5))
    chat = world.chat(customer=world.session_customer(MARIA))
    proposal = chat.say("Mi pedido de las zapatillas va con retraso, todavía no ha llegado")
    assert "ORD-100004" in reply(proposal) and "prioridad media" in reply(proposal)
    chat.say("sí")
    opened = [t for t in tickets(world, MARIA) if t.order_id == "ORD-100004"]
    assert [(t.category, t.severity) for t in opened] == [("delivery", "medium")]


def test_an_order_on_time_is_not_late(world: World) -> None:
    chat = world.chat(customer=world.session_customer(MARIA))
    answer = chat.say("my running shoes are late, where are they?")
    assert "isn't late yet" in reply(answer)
    assert chat.state.get("pending_change") is None
    assert tickets(world, MARIA) == []


# --- account and contact details -----------------------------------------------------------------


def test_account_details_en(world: World) -> None:
    chat = world.chat()
    chat.say("What contact details do you have for me?")
    answer = chat.say(EMAILS[OLIVIA])
    text = reply(answer)
    assert "Olivia Bennett" in text and "o•••@example.com" in text and "W11 2EU" in text
    assert "olivia.bennett@example.com" not in text  # masked: verification may be by name
    assert tools_of(answer)[-1] == "crm.get_profile"


def test_account_details_es(world: World) -> None:
    chat = world.chat(customer=world.session_customer(JAVIER))
    answer = chat.say("¿Qué datos tenéis de mi cuenta?")
    assert "Javier López" in reply(answer) and "ninguno registrado" in reply(answer)


def test_contact_change_request_en(world: World) -> None:
    chat = world.chat()
    chat.say("I want to update my phone number to +1 212 555 0199")
    proposal = chat.say(EMAILS[EMILY])
    assert "+12125550199" in reply(proposal)
    chat.say("yes")
    (opened,) = tickets(world, EMILY)
    assert (opened.category, opened.severity) == ("account", "low")
    assert "+12125550199" in opened.description


def test_contact_change_request_es(world: World) -> None:
    chat = world.chat(customer=world.session_customer(JAVIER))
    asked = chat.say("Quiero cambiar mi correo electrónico")
    assert "¿Qué quieres cambiar" in reply(asked)
    proposal = chat.say("a javier.nuevo@example.com")
    assert "javier.nuevo@example.com" in reply(proposal)
    chat.say("sí")
    opened = [t for t in tickets(world, JAVIER) if t.category == "account"]
    assert len(opened) == 1 and "javier.nuevo@example.com" in opened[0].description


# --- questions answered from the knowledge base --------------------------------------------------


def test_knowledge_question_en(world: World) -> None:
    chat = world.chat()
    answer = chat.say("How long do refunds take?")
    assert tools_of(answer) == ["knowledge.search"]
    assert "business days" in reply(answer)
    assert chat.state.get("customer") is None  # no verification needed


def test_knowledge_question_es(world: World) -> None:
    chat = world.chat()
    answer = chat.say("¿Cuánto cuesta el envío a España?")
    assert tools_of(answer) == ["knowledge.search"]
    assert "EUR" in reply(answer)


# --- talk to a human -----------------------------------------------------------------------------


def _queued(world: World, customer_id: str) -> Handoff:
    with world.db.session() as session:
        return session.scalars(
            select(Handoff).where(Handoff.customer_id == customer_id, Handoff.status == "queued")
        ).one()


def test_talk_to_a_human_en(world: World) -> None:
    chat = world.chat()
    chat.say(f"Hi, I'm {EMAILS[EMILY]}, where's my order ORD-100011?")
    handed = chat.say("I'd like to talk to a human please")
    assert "passing you to a colleague" in reply(handed)
    assert tools_of(handed) == ["routing.request_handoff"]
    assert chat.state["mode"] == "human"
    queued = _queued(world, EMILY)
    assert queued.reason == "customer_request" and queued.language == "en"
    assert "orders" in queued.skills
    summary = queued.summary
    assert summary["customer_name"] == "Emily Johnson"
    assert summary["customer_tier"] == "standard"
    assert "order_status" in summary["request"]
    assert any(a["action"].startswith("logistics.track_shipment") for a in summary["attempts"])
    assert [f["order_id"] for f in summary["order_facts"]] == ["ORD-100011"]
    assert "exception" in summary["order_facts"][0]["detail"]
    assert summary["sentiment_trend"] in ("improving", "stable", "worsening")
    assert [m["role"] for m in summary["last_messages"]][:2] == ["customer", "assistant"]
    assert summary["last_messages"][-1]["text"] == "I'd like to talk to a human please"


def test_talk_to_a_human_es(world: World) -> None:
    chat = world.chat(customer=world.session_customer(MARIA))
    handed = chat.say("Quiero hablar con un asesor")
    assert "Te paso con un compañero" in reply(handed)
    queued = _queued(world, MARIA)
    assert queued.language == "es" and queued.summary["customer_name"] == "María García"
