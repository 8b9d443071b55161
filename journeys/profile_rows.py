"""A profile as a `profiles` row and back: a few columns the database filters on, and the rest
in the `state` JSON.

An active customer's state is mostly history (the newest `MAX_PAGES` pages seen, the cart,
sentiments, tickets), and an event changes little of it: a page view adds one page. A profile
loaded from its row therefore keeps, in `Profile.stored`, each section of the state as it was
read; saving it encodes again only the sections, and in lists only the facts, that are not the
very objects that were read. The identity test is exact because `StoredState` holds those
objects: while it lives, no new object can take the id of one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from journeys.profiles import (
    CartItem,
    Hold,
    PageView,
    Profile,
    SentimentFact,
    SurveyFact,
    TicketFact,
)

_when = datetime.fromisoformat


@dataclass(frozen=True, slots=True)
class StoredState:
    """The sections of a profile's `state` as read: per section, the value the profile got
    and the JSON it came from."""

    sections: Mapping[str, tuple[object, Any]]


def to_row(profile: Profile, at: datetime) -> dict[str, Any]:
    """Column values for `profile` (without `id`); `state` is a JSON-ready dict."""
    return {
        "customer_id": profile.customer_id,
        "timezone": profile.timezone,
        "preferred_channel": profile.preferred_channel,
        "lifetime_value_cents": profile.lifetime_value_cents,
        "open_critical_tickets": profile.open_critical_tickets,
        "last_agent_id": profile.last_agent_id,
        "recent_sentiment": profile.recent_sentiment,
        "cart_value_cents": profile.cart_value_cents,
        "cart_abandoned_at": profile.cart_abandoned_at,
        "last_seen_at": profile.last_seen_at,
        "created_at": profile.created_at,
        "updated_at": at,
        "state": encode_state(profile),
    }


def encode_state(profile: Profile) -> dict[str, Any]:
    """The `state` JSON of `profile`, reusing what `profile.stored` already holds."""
    stored = profile.stored.sections if profile.stored is not None else {}
    state: dict[str, Any] = {}
    if profile.traits:
        state["traits"] = _reused(stored, "traits", profile.traits, dict)
        state["trait_times"] = _reused(stored, "trait_times", profile.trait_times, _times_json)
    for name, facts, encode in (
        ("tickets", profile.tickets, _ticket_json),
        ("sentiments", profile.sentiments, _sentiment_json),
        ("cart", profile.cart, _cart_item_json),
        ("pages", profile.pages, _page_json),
    ):
        if facts:
            state[name] = _encoded_facts(stored.get(name), facts, encode)
    if profile.last_agent_at is not None:
        state["last_agent_at"] = profile.last_agent_at.isoformat()
    if profile.cart_cleared_at is not None:
        state["cart_cleared_at"] = profile.cart_cleared_at.isoformat()
    if profile.last_survey is not None:
        survey = profile.last_survey
        state["last_survey"] = [
            survey.survey_id,
            survey.positive,
            survey.at.isoformat(),
            survey.score,
        ]
    if profile.holds:
        state["holds"] = _reused(stored, "holds", profile.holds, _holds_json)
    return state


def from_row(row: Mapping[str, Any]) -> Profile:
    """The profile of a row whose `state` is already parsed (a dict); it keeps the sections
    it was read from (`Profile.stored`)."""
    state: Mapping[str, Any] = row["state"]
    sections: dict[str, tuple[object, Any]] = {}

    def section(name: str, decode: Callable[[Any], Any], empty: Any) -> Any:
        encoded = state.get(name)
        if not encoded:
            return empty
        value = decode(encoded)
        sections[name] = (value, encoded)
        return value

    traits = section("traits", lambda encoded: encoded, {})
    trait_times = section("trait_times", _times, {})
    tickets = section("tickets", lambda encoded: tuple(map(_ticket, encoded)), ())
    sentiments = section("sentiments", lambda encoded: tuple(map(_sentiment, encoded)), ())
    cart = section("cart", lambda encoded: tuple(map(_cart_item, encoded)), ())
    pages = section("pages", lambda encoded: tuple(map(_page, encoded)), ())
    holds = section("holds", _holds, {})
    survey = state.get("last_survey")
    agent_at = state.get("last_agent_at")
    cleared = state.get("cart_cleared_at")
    return Profile(
        id=row["id"],
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
        customer_id=row["customer_id"],
        traits=traits,
        trait_times=trait_times,
        timezone=row["timezone"],
        preferred_channel=row["preferred_channel"],
        lifetime_value_cents=row["lifetime_value_cents"],
        tickets=tickets,
        last_agent_id=row["last_agent_id"],
        last_agent_at=_when(agent_at) if agent_at else None,
        sentiments=sentiments,
        cart=cart,
        cart_cleared_at=_when(cleared) if cleared else None,
        cart_abandoned_at=row["cart_abandoned_at"],
        pages=pages,
        last_survey=(
            SurveyFact(survey[0], survey[1], _when(survey[2]), survey[3]) if survey else None
        ),
        holds=holds,
        stored=StoredState(sections) if sections else None,
    )


def _reused(
    stored: Mapping[str, tuple[object, Any]], name: str, value: Any, encode: Callable[[Any], Any]
) -> Any:
    """The section's stored JSON when `value` is the object read from it, else `value`
    encoded."""
    before = stored.get(name)
    if before is not None and before[0] is value:
        return before[1]
    return encode(value)


def _encoded_facts(
    before: tuple[object, Any] | None, facts: Sequence[Any], encode: Callable[[Any], list[Any]]
) -> list[Any]:
    """A list section's JSON: the stored JSON of each fact that was read, the others encoded."""
    if before is None:
        return [encode(fact) for fact in facts]
    read, encoded = before
    if read is facts:
        return list(encoded)
    assert isinstance(read, tuple)
    known = {id(fact): json for fact, json in zip(read, encoded, strict=True)}
    return [known.get(id(fact)) or encode(fact) for fact in facts]


def _times_json(times: Mapping[str, datetime]) -> dict[str, str]:
    return {key: at.isoformat() for key, at in times.items()}


def _times(encoded: Mapping[str, str]) -> dict[str, datetime]:
    return {key: _when(at) for key, at in encoded.items()}


def _ticket_json(t: TicketFact) -> list[Any]:
    return [t.ticket_id, t.severity, t.status, t.updated_at.isoformat(), t.category]


def _ticket(t: list[Any]) -> TicketFact:
    return TicketFact(t[0], t[1], t[2], _when(t[3]), t[4])


def _sentiment_json(s: SentimentFact) -> list[Any]:
    return [s.score, s.at.isoformat(), s.conversation_id]


def _sentiment(s: list[Any]) -> SentimentFact:
    return SentimentFact(s[0], _when(s[1]), s[2])


def _cart_item_json(i: CartItem) -> list[Any]:
    return [i.sku, i.quantity, i.added_at.isoformat(), i.name, i.price_cents]


def _cart_item(i: list[Any]) -> CartItem:
    return CartItem(i[0], i[1], _when(i[2]), i[3], i[4])


def _page_json(p: PageView) -> list[Any]:
    return [p.path, p.at.isoformat(), p.name]


def _page(p: list[Any]) -> PageView:
    return PageView(p[0], _when(p[1]), p[2])


def _holds_json(holds: Mapping[str, Hold]) -> dict[str, list[Any]]:
    return {name: [list(h.purposes), h.reason, h.since.isoformat()] for name, h in holds.items()}


def _holds(encoded: Mapping[str, list[Any]]) -> dict[str, Hold]:
    return {name: Hold(tuple(h[0]), h[1], _when(h[2])) for name, h in encoded.items()}
