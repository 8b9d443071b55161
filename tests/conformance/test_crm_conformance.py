"""The CRM contract: lookups, profile, tickets and notes, scoped to one verified customer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cerebro.clock import FixedClock
from tests.conformance import world as w
from tests.conformance.expect import expect_error
from tools.crm import CrmTools

# --- lookups -----------------------------------------------------------------------------------


@pytest.mark.parametrize("email", [w.MARIA_EMAIL, "  MARIA.Lopez@Example.COM "])
def test_find_by_email_ignores_case_and_spaces(crm: CrmTools, email: str) -> None:
    match = crm.find_customer_by_email(email)
    assert match.customer_id == w.MARIA
    assert (match.first_name, match.last_name) == ("María", "López García")
    assert match.language == "es"
    assert match.preferred_channel == "whatsapp"


@pytest.mark.parametrize(
    "phone", [w.MARIA_PHONE, "+34 600 11 12 22", "0034-600-111-222", "600111222"]
)
def test_find_by_phone_ignores_formatting(crm: CrmTools, phone: str) -> None:
    assert crm.find_customer_by_phone(phone).customer_id == w.MARIA


def test_a_phone_shared_by_two_customers_is_not_a_match(crm: CrmTools) -> None:
    with expect_error("invalid_input", "2 customers"):
        crm.find_customer_by_phone("0111222")


def test_a_too_short_phone_is_refused(crm: CrmTools) -> None:
    with expect_error("invalid_input", "phone"):
        crm.find_customer_by_phone("1222")


@pytest.mark.parametrize(
    ("name", "zip_code", "expected"),
    [
        ("María López García", w.MARIA_ZIP, w.MARIA),
        ("maria lopez", w.MARIA_ZIP, w.MARIA),
        ("GARCÍA MARIA", f" {w.MARIA_ZIP} ", w.MARIA),
        ("Pablo López", w.MARIA_ZIP, w.PABLO),
        ("lin chen", "sw1a2aa", w.LIN),
    ],
)
def test_find_by_name_and_zip_ignores_case_accents_and_order(
    crm: CrmTools, name: str, zip_code: str, expected: str
) -> None:
    assert crm.find_customer_by_name_and_zip(name, zip_code).customer_id == expected


@pytest.mark.parametrize(
    ("name", "zip_code"),
    [
        ("María López", "62701"),  # a real name, another customer's postal code
        ("James Carter", w.MARIA_ZIP),  # a real postal code, another customer's name
        ("López García", w.MARIA_ZIP),  # no first name
        ("María Pérez", w.MARIA_ZIP),  # wrong surname
    ],
)
def test_name_and_zip_must_both_match(crm: CrmTools, name: str, zip_code: str) -> None:
    with expect_error("not_found", "no customer"):
        crm.find_customer_by_name_and_zip(name, zip_code)


def test_an_unknown_email_is_not_found(crm: CrmTools) -> None:
    with expect_error("not_found", "nobody@example.com"):
        crm.find_customer_by_email("nobody@example.com")


def test_a_blank_lookup_is_invalid_input(crm: CrmTools) -> None:
    with expect_error("invalid_input", "email"):
        crm.find_customer_by_email("")
    with expect_error("invalid_input", "zip_code"):
        crm.find_customer_by_name_and_zip("María López", "")


# --- profile -----------------------------------------------------------------------------------


def test_profile_has_contact_preferences_consents_addresses_and_masked_cards(
    crm: CrmTools,
) -> None:
    profile = crm.get_profile(w.MARIA)
    assert profile.id == w.MARIA
    assert (profile.email, profile.phone) == (w.MARIA_EMAIL, w.MARIA_PHONE)
    assert (profile.language, profile.timezone) == ("es", "Europe/Madrid")
    assert (profile.preferred_channel, profile.tier) == ("whatsapp", "standard")
    assert profile.lifetime_value_cents == 48_500
    assert profile.customer_since == w.days_ago(400)
    consents = {(c.channel, c.purpose): c.granted for c in profile.consents}
    assert consents == {("whatsapp", "marketing"): True, ("email", "marketing"): False}
    [address] = profile.addresses
    assert (address.line1, address.postal_code, address.country) == (
        "Calle Mayor 1",
        w.MARIA_ZIP,
        "ES",
    )
    [card] = profile.payment_methods
    assert (card.kind, card.brand, card.last4, card.is_default) == ("card", "visa", "4242", True)
    assert "2028" not in card.model_dump_json()  # nothing but brand and last 4 digits


def test_profile_of_a_vip_lists_default_payment_method_first(crm: CrmTools) -> None:
    profile = crm.get_profile(w.JAMES)
    assert profile.tier == "vip"
    assert [(m.brand, m.last4) for m in profile.payment_methods] == [
        ("amex", "1005"),
        ("paypal", None),
    ]


def test_profile_without_phone_or_consents(crm: CrmTools) -> None:
    profile = crm.get_profile(w.LIN)
    assert profile.phone is None
    assert profile.consents == ()
    assert profile.tier == "new"


def test_profile_of_an_unknown_customer_is_not_found(crm: CrmTools) -> None:
    with expect_error("not_found", "CUS-999999"):
        crm.get_profile("CUS-999999")


# --- tickets -----------------------------------------------------------------------------------


def test_list_tickets_optionally_by_status(crm: CrmTools) -> None:
    assert [t.id for t in crm.list_tickets(w.MARIA)] == [w.MARIA_TICKET]
    assert crm.list_tickets(w.MARIA, "resolved") == []
    [resolved] = crm.list_tickets(w.JAMES, "resolved")
    assert resolved.id == w.JAMES_TICKET
    assert resolved.resolution == "Refund confirmed by the bank."


def test_open_ticket_is_stored_open_and_listed_first(crm: CrmTools) -> None:
    ticket = crm.open_ticket(
        w.MARIA,
        subject="  Chaqueta sin llegar ",
        description="El pedido no avanza desde hace dos días.",
        category="delivery",
        severity="critical",
        order_id=w.MARIA_SHIPPED,
    )
    assert ticket.id == "TCK-000003"
    assert ticket.subject == "Chaqueta sin llegar"
    assert (ticket.status, ticket.severity, ticket.category) == ("open", "critical", "delivery")
    assert ticket.order_id == w.MARIA_SHIPPED
    assert ticket.created_at == ticket.updated_at == w.NOW
    assert ticket.resolved_at is None and ticket.owner_agent_id is None
    assert crm.list_tickets(w.MARIA, "open") == [ticket, *crm.list_tickets(w.MARIA)[1:]]
    assert [t.id for t in crm.list_tickets(w.MARIA)] == ["TCK-000003", w.MARIA_TICKET]


def test_open_ticket_about_another_customers_order_is_not_found(crm: CrmTools) -> None:
    with expect_error("not_found", w.JAMES_PENDING):
        crm.open_ticket(
            w.MARIA,
            subject="Pedido",
            description="¿Dónde está?",
            category="order",
            severity="low",
            order_id=w.JAMES_PENDING,
        )
    assert [t.id for t in crm.list_tickets(w.MARIA)] == [w.MARIA_TICKET]


def test_open_ticket_checks_its_fields(crm: CrmTools) -> None:
    with expect_error("invalid_input", "subject"):
        crm.open_ticket(w.MARIA, subject=" ", description="x", category="order", severity="low")
    with expect_error("invalid_input", "category"):
        crm.open_ticket(
            w.MARIA,
            subject="x",
            description="x",
            category="complaint",  # type: ignore[arg-type]
            severity="low",
        )
    assert len(crm.list_tickets(w.MARIA)) == 1


def test_update_ticket_changes_status_severity_and_owner(crm: CrmTools, clock: FixedClock) -> None:
    clock.set(w.NOW + timedelta(hours=1))
    updated = crm.update_ticket(
        w.MARIA, w.MARIA_TICKET, status="pending", severity="high", owner_agent_id=w.ACTIVE_AGENT
    )
    assert (updated.status, updated.severity, updated.owner_agent_id) == (
        "pending",
        "high",
        w.ACTIVE_AGENT,
    )
    assert updated.updated_at == w.NOW + timedelta(hours=1)
    assert crm.list_tickets(w.MARIA, "pending") == [updated]
    assert crm.update_ticket(w.MARIA, w.MARIA_TICKET, severity="low").status == "pending"


def test_update_ticket_refuses_unknown_or_inactive_agents_and_empty_changes(
    crm: CrmTools,
) -> None:
    with expect_error("not_found", "AGT-404"):
        crm.update_ticket(w.MARIA, w.MARIA_TICKET, owner_agent_id="AGT-404")
    with expect_error("rule_violation", "inactive"):
        crm.update_ticket(w.MARIA, w.MARIA_TICKET, owner_agent_id=w.INACTIVE_AGENT)
    with expect_error("invalid_input", "at least one"):
        crm.update_ticket(w.MARIA, w.MARIA_TICKET)
    [ticket] = crm.list_tickets(w.MARIA)
    assert ticket.owner_agent_id is None and ticket.updated_at == w.days_ago(5)


def test_resolve_ticket_once_then_conflict_until_reopened(crm: CrmTools, clock: FixedClock) -> None:
    resolved = crm.resolve_ticket(w.MARIA, w.MARIA_TICKET, "Se envió un par nuevo.")
    assert (resolved.status, resolved.resolution, resolved.resolved_at) == (
        "resolved",
        "Se envió un par nuevo.",
        w.NOW,
    )
    assert crm.list_tickets(w.MARIA, "resolved") == [resolved]
    with expect_error("conflict", "already resolved", "2026-03-01"):
        crm.resolve_ticket(w.MARIA, w.MARIA_TICKET, "again")
    reopened = crm.update_ticket(w.MARIA, w.MARIA_TICKET, status="open")
    assert (reopened.status, reopened.resolution, reopened.resolved_at) == ("open", None, None)
    clock.set(w.NOW + timedelta(days=1))
    again = crm.resolve_ticket(w.MARIA, w.MARIA_TICKET, "Reembolso hecho.")
    assert again.resolved_at == w.NOW + timedelta(days=1)


def test_resolve_needs_a_resolution(crm: CrmTools) -> None:
    with expect_error("invalid_input", "resolution"):
        crm.resolve_ticket(w.MARIA, w.MARIA_TICKET, "   ")


def test_another_customers_ticket_is_not_found_and_unchanged(crm: CrmTools) -> None:
    with expect_error("not_found", w.MARIA_TICKET):
        crm.update_ticket(w.JAMES, w.MARIA_TICKET, severity="critical")
    with expect_error("not_found", w.MARIA_TICKET):
        crm.resolve_ticket(w.JAMES, w.MARIA_TICKET, "closed by someone else")
    with expect_error("not_found", w.JAMES_TICKET):
        crm.update_ticket(w.MARIA, w.JAMES_TICKET, status="open")
    [ticket] = crm.list_tickets(w.MARIA)
    assert (ticket.status, ticket.severity) == ("open", "medium")
    assert [t.status for t in crm.list_tickets(w.JAMES)] == ["resolved"]


# --- notes -------------------------------------------------------------------------------------


def test_notes_are_added_and_listed_newest_first(crm: CrmTools, clock: FixedClock) -> None:
    note = crm.add_note(w.MARIA, "Pidió hablar con Sofía la próxima vez.", "assistant")
    assert (note.id, note.author, note.created_at) == ("NTE-000002", "assistant", w.NOW)
    assert [n.id for n in crm.list_notes(w.MARIA)] == ["NTE-000002", w.MARIA_NOTE]
    assert crm.list_notes(w.MARIA)[0] == note
    assert crm.list_notes(w.JAMES) == []


def test_a_note_needs_text_and_a_known_customer(crm: CrmTools) -> None:
    with expect_error("invalid_input", "text"):
        crm.add_note(w.MARIA, "", "assistant")
    with expect_error("not_found", "CUS-999999"):
        crm.add_note("CUS-999999", "hello", "assistant")
