"""The policy layer rule by rule, as a pure function: consent, suppression, frequency caps,
availability, quiet hours, next-best-action arbitration, channel choice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from pydantic import ValidationError

from journeys.policy import (
    Candidate,
    FrequencyCap,
    PastSend,
    PolicyConfig,
    QuietHours,
    Recipient,
    SendRequest,
    SuppressionRule,
    evaluate,
)
from journeys.profiles import Hold, Profile, TicketFact

NOW = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)  # 12:00 in Madrid
ALL = frozenset({"email", "sms", "whatsapp", "in_app"})
GRANTED = {
    (channel, purpose): True for channel in ALL for purpose in ("service", "marketing", "sales")
}


def customer(**changes: object) -> Profile:
    profile = Profile(
        id="CUS-000001",
        customer_id="CUS-000001",
        created_at=NOW,
        last_seen_at=NOW,
        timezone="Europe/Madrid",
        preferred_channel="whatsapp",
    )
    return replace(profile, **changes)  # type: ignore[arg-type]


def recipient(
    profile: Profile | None = None,
    consents: dict[tuple[str, str], bool] | None = None,
    addresses: frozenset[str] = ALL,
    past: tuple[PastSend, ...] = (),
) -> Recipient:
    return Recipient(
        profile=profile or customer(),
        addresses=addresses,  # type: ignore[arg-type]
        consents=GRANTED if consents is None else consents,
        past_sends=past,
    )


def offer(offer_id: str = "offer", purpose: str = "marketing", **fields: object) -> Candidate:
    return Candidate.model_validate(
        {"offer_id": offer_id, "purpose": purpose, "body": "Hola", **fields}
    )


def ask(*candidates: Candidate) -> SendRequest:
    return SendRequest(customer_id="CUS-000001", candidates=candidates or (offer(),))


def test_everything_granted_sends_on_the_preferred_channel() -> None:
    ruling = evaluate(PolicyConfig(), ask(), recipient(), NOW)
    assert ruling.outcome == "send"
    assert ruling.channel == "whatsapp"
    assert ruling.reasons[-1].rule == "channel"
    assert "preferred" in ruling.reasons[-1].detail


def test_marketing_needs_a_granted_consent_and_falls_back_to_another_channel() -> None:
    consents = {("whatsapp", "marketing"): False, ("email", "marketing"): True}
    ruling = evaluate(PolicyConfig(), ask(), recipient(consents=consents), NOW)
    assert ruling.outcome == "send" and ruling.channel == "email"
    blocked = {(r.channel, r.detail) for r in ruling.reasons if r.rule == "consent"}
    assert ("whatsapp", "marketing on whatsapp was refused") in blocked
    assert ("sms", "no consent for marketing on sms") in blocked
    assert "the preferred whatsapp did not pass" in ruling.reasons[-1].detail


def test_without_any_consent_nothing_is_sent_and_the_reasons_say_why() -> None:
    ruling = evaluate(PolicyConfig(), ask(), recipient(consents={}), NOW)
    assert ruling.outcome == "suppress"
    assert ruling.candidate is None
    assert [r.channel for r in ruling.reasons] == ["whatsapp", "email", "sms", "in_app"]
    assert {r.rule for r in ruling.reasons} == {"consent"}


def test_service_goes_without_consent_unless_refused() -> None:
    consents = {("whatsapp", "service"): False}
    ruling = evaluate(
        PolicyConfig(), ask(offer(purpose="service")), recipient(consents=consents), NOW
    )
    assert ruling.outcome == "send" and ruling.channel == "email"


@pytest.mark.parametrize("purpose", ["marketing", "sales"])
def test_an_open_critical_ticket_suppresses_marketing_and_sales(purpose: str) -> None:
    ticket = TicketFact("TCK-1", "critical", "open", NOW)
    ruling = evaluate(
        PolicyConfig(), ask(offer(purpose=purpose)), recipient(customer(tickets=(ticket,))), NOW
    )
    assert ruling.outcome == "suppress"
    (reason,) = ruling.reasons
    assert reason.rule == "suppression" and reason.verdict == "block"
    assert "open_critical_ticket" in reason.detail and purpose in reason.detail


def test_an_open_critical_ticket_lets_service_through() -> None:
    ticket = TicketFact("TCK-1", "critical", "open", NOW)
    request = ask(
        offer("promo", "marketing", propensity=0.9), offer("update", "service", propensity=0.1)
    )
    ruling = evaluate(PolicyConfig(), request, recipient(customer(tickets=(ticket,))), NOW)
    assert ruling.outcome == "send"
    assert ruling.candidate is not None and ruling.candidate.offer_id == "update"


def test_a_resolved_or_minor_ticket_suppresses_nothing() -> None:
    tickets = (
        TicketFact("TCK-1", "critical", "resolved", NOW),
        TicketFact("TCK-2", "low", "open", NOW),
    )
    ruling = evaluate(PolicyConfig(), ask(), recipient(customer(tickets=tickets)), NOW)
    assert ruling.outcome == "send"


def test_a_hold_pauses_its_purposes() -> None:
    hold = Hold(("marketing",), "waiting for the survey after TCK-1", NOW)
    profile = customer(holds={"after_incident": hold})
    ruling = evaluate(PolicyConfig(), ask(), recipient(profile), NOW)
    assert ruling.outcome == "suppress"
    assert "hold after_incident" in ruling.reasons[0].detail
    sales = evaluate(PolicyConfig(), ask(offer(purpose="sales")), recipient(profile), NOW)
    assert sales.outcome == "send"


def test_a_configured_sentiment_rule_suppresses_below_its_threshold() -> None:
    from journeys.profiles import SentimentFact

    rule = SuppressionRule(name="unhappy", fact="recent_sentiment", below=-0.5, purposes=("sales",))
    config = PolicyConfig(suppression=(rule,))
    sad = customer(sentiments=(SentimentFact(-0.9, NOW),))
    assert evaluate(config, ask(offer(purpose="sales")), recipient(sad), NOW).outcome == "suppress"
    assert evaluate(config, ask(offer(purpose="sales")), recipient(), NOW).outcome == "send"


def test_a_suppression_rule_needs_exactly_one_threshold() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        SuppressionRule(name="x", fact="open_tickets", purposes=("sales",))


def test_frequency_caps_count_per_channel_and_window() -> None:
    config = PolicyConfig(
        caps=(FrequencyCap(channel="whatsapp", limit=1, window=timedelta(days=1)),)
    )
    sent_today = (PastSend("whatsapp", "marketing", NOW - timedelta(hours=3)),)
    ruling = evaluate(config, ask(), recipient(past=sent_today), NOW)
    assert ruling.outcome == "send" and ruling.channel == "email"
    capped = [r for r in ruling.reasons if r.rule == "frequency_cap"]
    assert [(r.channel, r.detail) for r in capped] == [
        ("whatsapp", "cap of 1 marketing/sales per 1 day on whatsapp reached")
    ]
    sent_yesterday = (PastSend("whatsapp", "marketing", NOW - timedelta(hours=25)),)
    assert evaluate(config, ask(), recipient(past=sent_yesterday), NOW).channel == "whatsapp"
    service = evaluate(config, ask(offer(purpose="service")), recipient(past=sent_today), NOW)
    assert service.channel == "whatsapp"


def test_a_cap_across_channels_blocks_them_all() -> None:
    config = PolicyConfig(caps=(FrequencyCap(limit=2, window=timedelta(days=7)),))
    past = (
        PastSend("email", "marketing", NOW - timedelta(days=2)),
        PastSend("sms", "sales", NOW - timedelta(days=5)),
    )
    ruling = evaluate(config, ask(), recipient(past=past), NOW)
    assert ruling.outcome == "suppress"
    assert {r.rule for r in ruling.reasons} == {"frequency_cap"}


def test_a_channel_without_an_address_is_skipped() -> None:
    ruling = evaluate(
        PolicyConfig(), ask(), recipient(addresses=frozenset({"email", "in_app"})), NOW
    )
    assert ruling.channel == "email"
    missing = [r.channel for r in ruling.reasons if r.rule == "channel" and r.verdict == "block"]
    assert missing == ["whatsapp", "sms"]


def test_a_profile_without_a_customer_record_cannot_be_reached() -> None:
    visitor = customer(id="anon:x", customer_id=None)
    ruling = evaluate(PolicyConfig(), ask(), recipient(visitor, addresses=frozenset()), NOW)
    assert ruling.outcome == "suppress"
    assert "no customer record" in ruling.reasons[0].detail


def test_quiet_hours_defer_to_the_end_of_the_window_in_the_customer_time_zone() -> None:
    late = datetime(2026, 11, 2, 22, 30, tzinfo=UTC)  # 23:30 in Madrid, 17:30 in Mexico City
    ruling = evaluate(PolicyConfig(), ask(), recipient(), late)
    assert ruling.outcome == "defer"
    assert ruling.defer_until == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)  # 09:00 in Madrid
    (reason,) = ruling.reasons
    assert reason.rule == "quiet_hours" and reason.verdict == "defer"
    assert "23:30 in Europe/Madrid" in reason.detail
    mexico = recipient(customer(timezone="America/Mexico_City"))
    assert evaluate(PolicyConfig(), ask(), mexico, late).outcome == "send"


def test_quiet_hours_before_dawn_defer_to_the_same_morning() -> None:
    early = datetime(2026, 11, 2, 5, 0, tzinfo=UTC)  # 06:00 in Madrid
    ruling = evaluate(PolicyConfig(), ask(), recipient(), early)
    assert ruling.defer_until == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_quiet_hours_let_through_purposes_they_do_not_cover() -> None:
    config = PolicyConfig(quiet_hours=QuietHours(purposes=("marketing",)))
    late = datetime(2026, 11, 2, 22, 30, tzinfo=UTC)
    request = ask(offer("promo", "marketing", propensity=0.9), offer("notice", "service"))
    ruling = evaluate(config, request, recipient(), late)
    assert ruling.outcome == "send"
    assert ruling.candidate is not None and ruling.candidate.offer_id == "notice"
    assert [r.verdict for r in ruling.reasons if r.rule == "quiet_hours"] == ["defer"]


def test_a_daytime_quiet_window_and_an_unknown_time_zone() -> None:
    config = PolicyConfig(quiet_hours=QuietHours(start=time(12, 0), end=time(14, 0)))
    lost = recipient(customer(timezone="Mars/Olympus"))
    ruling = evaluate(config, ask(), lost, datetime(2026, 11, 2, 12, 30, tzinfo=UTC))
    assert ruling.outcome == "defer"
    assert ruling.defer_until == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert "unknown time zone 'Mars/Olympus'" in ruling.reasons[0].detail
    assert evaluate(config, ask(), lost, datetime(2026, 11, 2, 14, 0, tzinfo=UTC)).outcome == "send"


def test_arbitration_picks_the_highest_priority_among_eligible_offers() -> None:
    request = ask(
        offer("small", propensity=0.9, value=1.0),  # 0.9
        offer("big", propensity=0.5, value=3.0, context_weight=0.8),  # 1.2
        offer("boosted", propensity=0.3, value=2.0, lever=1.5),  # 0.9
        offer("refused", purpose="sales", propensity=1.0, value=10.0),
    )
    consents = {(c, "marketing"): True for c in ALL}
    ruling = evaluate(PolicyConfig(), request, recipient(consents=consents), NOW)
    assert ruling.candidate is not None and ruling.candidate.offer_id == "big"
    ranking = [(r.offer_id, r.verdict) for r in ruling.reasons if r.rule == "arbitration"]
    assert ranking == [("big", "chosen"), ("small", "lost"), ("boosted", "lost")]
    chosen = next(r for r in ruling.reasons if r.verdict == "chosen")
    assert "1.2 = propensity 0.5 x context 0.8 x value 3 x lever 1" in chosen.detail


def test_an_offer_s_own_channels_limit_and_order_the_choice() -> None:
    ruling = evaluate(
        PolicyConfig(),
        ask(offer(channels=["sms", "email"])),
        recipient(customer(preferred_channel=None)),
        NOW,
    )
    assert ruling.channel == "sms"
    assert "no preferred channel" in ruling.reasons[-1].detail


def test_requests_need_distinct_offers() -> None:
    with pytest.raises(ValidationError, match="distinct"):
        ask(offer("same"), offer("same"))
