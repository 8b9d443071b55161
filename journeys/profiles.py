"""The customer profile of the CDP: traits plus facts computed from events, kept current.

A `Profile` is an immutable snapshot; `apply` returns the profile an event turns it into. Every
fact keeps the time of the event that set it, so events arriving out of order land where their
timestamps put them: an older identify never overwrites a newer trait, a ticket resolved before
its "opened" event arrives stays resolved, an item added after an order completed stays in the
cart.

The events that compute facts (names from Segment's e-commerce spec where there is one):

| event | fact |
|---|---|
| identify | traits; `timezone`, `preferred_channel` (or `preferredChannel`) |
| page | pages seen (newest `MAX_PAGES`) |
| Product Added / Product Removed | cart contents |
| Cart Abandoned | `cart_abandoned_at` (and the cart, from `products`, when it was empty) |
| Order Completed | lifetime value (+ `revenue` or `total`), cart emptied of what came before |
| Ticket Opened / Ticket Resolved | tickets, `open_critical_tickets` |
| Message Received | recent sentiment (`sentiment`, -1 to 1) |
| Handoff Requested / Agent Assigned | last agent spoken to (`agent_id`) |
| Survey Answered | last survey (`survey_id`, `score`, `positive`) |
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from journeys.events import Event
from memory.vocabulary import Channel, Purpose, TicketSeverity, TicketStatus, values

if TYPE_CHECKING:
    from journeys.profile_rows import StoredState

MAX_PAGES = 50
MAX_SENTIMENTS = 10
MAX_TICKETS = 20
RECENT_SENTIMENT_WINDOW = 3
"""`recent_sentiment` is the mean of this many newest scores."""

CHANNELS = frozenset(values(Channel))
PURPOSES = frozenset(values(Purpose))
SEVERITIES = frozenset(values(TicketSeverity))
OPEN_STATUSES = frozenset({"open", "pending"})


@dataclass(frozen=True, slots=True)
class TicketFact:
    """A ticket as events told it; `severity` is None until an event gave it."""

    ticket_id: str
    severity: TicketSeverity | None
    status: TicketStatus
    updated_at: datetime
    category: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class CartItem:
    sku: str
    quantity: int
    added_at: datetime
    name: str | None = None
    price_cents: int | None = None


@dataclass(frozen=True, slots=True)
class PageView:
    path: str
    at: datetime
    name: str | None = None


@dataclass(frozen=True, slots=True)
class SentimentFact:
    score: float
    at: datetime
    conversation_id: str | None = None


@dataclass(frozen=True, slots=True)
class SurveyFact:
    survey_id: str
    positive: bool
    at: datetime
    score: float | None = None


@dataclass(frozen=True, slots=True)
class Hold:
    """A pause on some purposes set by a journey (e.g. marketing until a survey is answered)."""

    purposes: tuple[Purpose, ...]
    reason: str
    since: datetime


@dataclass(frozen=True, slots=True)
class Profile:
    """One customer (or one not-yet-identified visitor) as the CDP knows them now.

    `id` is the customer id (the Segment `userId`) once known, `anon:<anonymousId>` before.
    `customer_id` is set when a `customers` record exists for the profile (only then can
    messages be sent). `trait_times` holds when each trait was last set.
    """

    id: str
    created_at: datetime
    last_seen_at: datetime
    customer_id: str | None = None
    traits: Mapping[str, Any] = field(default_factory=dict)
    trait_times: Mapping[str, datetime] = field(default_factory=dict)
    timezone: str | None = None
    preferred_channel: Channel | None = None
    lifetime_value_cents: int = 0
    tickets: tuple[TicketFact, ...] = ()
    last_agent_id: str | None = None
    last_agent_at: datetime | None = None
    sentiments: tuple[SentimentFact, ...] = ()
    cart: tuple[CartItem, ...] = ()
    cart_cleared_at: datetime | None = None
    cart_abandoned_at: datetime | None = None
    pages: tuple[PageView, ...] = ()
    last_survey: SurveyFact | None = None
    holds: Mapping[str, Hold] = field(default_factory=dict)
    stored: StoredState | None = field(default=None, compare=False, repr=False)
    """The state this profile was read from, carried along by every change made to it, so
    that saving it encodes only what changed (`journeys.profile_rows`); None when it was not
    read from the database."""

    @property
    def is_anonymous(self) -> bool:
        return self.id.startswith(ANONYMOUS_PREFIX)

    @property
    def open_tickets(self) -> tuple[TicketFact, ...]:
        return tuple(ticket for ticket in self.tickets if ticket.is_open)

    @property
    def open_critical_tickets(self) -> int:
        return sum(1 for ticket in self.open_tickets if ticket.severity == "critical")

    @property
    def recent_sentiment(self) -> float | None:
        """Mean of the newest `RECENT_SENTIMENT_WINDOW` scores (-1 negative to 1 positive)."""
        newest = self.sentiments[-RECENT_SENTIMENT_WINDOW:]
        return round(sum(s.score for s in newest) / len(newest), 4) if newest else None

    @property
    def cart_value_cents(self) -> int:
        return sum((item.price_cents or 0) * item.quantity for item in self.cart)

    def held_purposes(self) -> dict[Purpose, str]:
        """Each purpose a hold pauses, with the hold's name."""
        held: dict[Purpose, str] = {}
        for name, hold in sorted(self.holds.items()):
            for purpose in hold.purposes:
                held.setdefault(purpose, name)
        return held


ANONYMOUS_PREFIX = "anon:"
FactUpdate = Callable[["Profile", Mapping[str, Any], datetime], "Profile"]
_Fact = TypeVar("_Fact")


def anonymous_profile_id(anonymous_id: str) -> str:
    return f"{ANONYMOUS_PREFIX}{anonymous_id}"


def new_profile(profile_id: str, at: datetime) -> Profile:
    return Profile(id=profile_id, created_at=at, last_seen_at=at)


def apply(profile: Profile, event: Event) -> Profile:
    """The profile after `event`, wherever its timestamp falls among those already applied."""
    at = event.timestamp
    profile = replace(profile, last_seen_at=max(profile.last_seen_at, at))
    if event.type == "identify":
        return set_traits(profile, event.traits, at)
    if event.type == "page":
        return _page(profile, event)
    if event.type == "track" and event.name in _TRACKED:
        return _TRACKED[event.name](profile, event.properties, at)
    return profile


def set_traits(profile: Profile, traits: Mapping[str, Any], at: datetime) -> Profile:
    """Set each trait unless a newer value is already there."""
    merged, times = dict(profile.traits), dict(profile.trait_times)
    for key, value in traits.items():
        if key in times and times[key] > at:
            continue
        merged[key], times[key] = value, at
    timezone = merged.get("timezone")
    channel = merged.get("preferred_channel", merged.get("preferredChannel"))
    return replace(
        profile,
        traits=merged,
        trait_times=times,
        timezone=timezone if isinstance(timezone, str) and timezone else profile.timezone,
        preferred_channel=(
            cast(Channel, channel) if channel in CHANNELS else profile.preferred_channel
        ),
    )


def merge(into: Profile, other: Profile) -> Profile:
    """`into` with everything `other` (an anonymous visitor, an older user id) knew."""
    merged = into
    for key, value in other.traits.items():
        merged = set_traits(merged, {key: value}, other.trait_times.get(key, other.last_seen_at))
    tickets = {t.ticket_id: t for t in other.tickets} | {t.ticket_id: t for t in merged.tickets}
    cart = {item.sku: item for item in other.cart} | {item.sku: item for item in merged.cart}
    return replace(
        merged,
        created_at=min(into.created_at, other.created_at),
        last_seen_at=max(into.last_seen_at, other.last_seen_at),
        timezone=into.timezone or other.timezone,
        preferred_channel=into.preferred_channel or other.preferred_channel,
        lifetime_value_cents=into.lifetime_value_cents + other.lifetime_value_cents,
        tickets=_newest(tickets.values(), MAX_TICKETS, key=lambda t: t.updated_at),
        last_agent_id=_later(into, other, "last_agent_at").last_agent_id,
        last_agent_at=_later(into, other, "last_agent_at").last_agent_at,
        sentiments=_newest([*into.sentiments, *other.sentiments], MAX_SENTIMENTS, key=_at),
        cart=tuple(sorted(cart.values(), key=lambda item: item.added_at)),
        cart_cleared_at=_max_time(into.cart_cleared_at, other.cart_cleared_at),
        cart_abandoned_at=_max_time(into.cart_abandoned_at, other.cart_abandoned_at),
        pages=_newest([*into.pages, *other.pages], MAX_PAGES, key=_at),
        last_survey=_later_survey(into.last_survey, other.last_survey),
        holds={**other.holds, **into.holds},
    )


def set_hold(profile: Profile, name: str, hold: Hold) -> Profile:
    return replace(profile, holds={**profile.holds, name: hold})


def release_hold(profile: Profile, name: str) -> Profile:
    return replace(profile, holds={k: v for k, v in profile.holds.items() if k != name})


def _page(profile: Profile, event: Event) -> Profile:
    properties = event.properties
    path = properties.get("path") or properties.get("url") or event.name or "/"
    view = PageView(path=str(path)[:500], at=event.timestamp, name=event.name)
    return replace(profile, pages=_newest([*profile.pages, view], MAX_PAGES, key=_at))


def _product_added(profile: Profile, properties: Mapping[str, Any], at: datetime) -> Profile:
    sku = _sku(properties)
    if sku is None or (profile.cart_cleared_at is not None and at <= profile.cart_cleared_at):
        return profile
    quantity = _positive_int(properties.get("quantity"), 1)
    items = {item.sku: item for item in profile.cart}
    before = items.get(sku)
    items[sku] = CartItem(
        sku=sku,
        quantity=quantity + (before.quantity if before else 0),
        added_at=max(at, before.added_at) if before else at,
        name=_text(properties.get("name")) or (before.name if before else None),
        price_cents=_cents(properties.get("price")),
    )
    return replace(profile, cart=tuple(sorted(items.values(), key=lambda item: item.added_at)))


def _product_removed(profile: Profile, properties: Mapping[str, Any], at: datetime) -> Profile:
    sku = _sku(properties)
    cart = tuple(item for item in profile.cart if item.sku != sku or item.added_at > at)
    return replace(profile, cart=cart)


def _cart_abandoned(profile: Profile, properties: Mapping[str, Any], at: datetime) -> Profile:
    if profile.cart_cleared_at is not None and at <= profile.cart_cleared_at:
        return profile
    if not profile.cart:
        products = properties.get("products")
        for product in products if isinstance(products, list) else []:
            if isinstance(product, dict):
                profile = _product_added(profile, product, at)
    return replace(profile, cart_abandoned_at=_max_time(profile.cart_abandoned_at, at))


def _order_completed(profile: Profile, properties: Mapping[str, Any], at: datetime) -> Profile:
    revenue = _cents(properties.get("revenue", properties.get("total"))) or 0
    abandoned = profile.cart_abandoned_at
    return replace(
        profile,
        lifetime_value_cents=profile.lifetime_value_cents + revenue,
        cart=tuple(item for item in profile.cart if item.added_at > at),
        cart_cleared_at=_max_time(profile.cart_cleared_at, at),
        cart_abandoned_at=None if abandoned is not None and abandoned <= at else abandoned,
    )


def _ticket(status: TicketStatus) -> FactUpdate:
    def update(profile: Profile, properties: Mapping[str, Any], at: datetime) -> Profile:
        ticket_id = _text(properties.get("ticket_id"))
        if ticket_id is None:
            return profile
        tickets = {ticket.ticket_id: ticket for ticket in profile.tickets}
        before = tickets.get(ticket_id)
        given = properties.get("severity")
        severity = cast(TicketSeverity, given) if given in SEVERITIES else None
        category = _text(properties.get("category"))
        if before is not None and before.updated_at > at:
            # A newer status is known: an older event only fills in what is missing.
            tickets[ticket_id] = replace(
                before,
                severity=before.severity or severity,
                category=before.category or category,
            )
        else:
            tickets[ticket_id] = TicketFact(
                ticket_id=ticket_id,
                severity=severity or (before.severity if before else None),
                status=status,
                updated_at=at,
                category=category or (before.category if before else None),
            )
        kept = _newest(tickets.values(), MAX_TICKETS, key=lambda t: t.updated_at)
        return replace(profile, tickets=kept)

    return update


def _message_received(profile: Profile, properties: Mapping[str, Any], at: datetime) -> Profile:
    score = properties.get("sentiment")
    if isinstance(score, bool) or not isinstance(score, int | float):
        return profile
    fact = SentimentFact(
        score=max(-1.0, min(1.0, float(score))),
        at=at,
        conversation_id=_text(properties.get("conversation_id")),
    )
    return replace(
        profile, sentiments=_newest([*profile.sentiments, fact], MAX_SENTIMENTS, key=_at)
    )


def _agent(profile: Profile, properties: Mapping[str, Any], at: datetime) -> Profile:
    agent_id = _text(properties.get("agent_id"))
    if agent_id is None or (profile.last_agent_at is not None and profile.last_agent_at > at):
        return profile
    return replace(profile, last_agent_id=agent_id, last_agent_at=at)


def _survey_answered(profile: Profile, properties: Mapping[str, Any], at: datetime) -> Profile:
    positive = properties.get("positive")
    if not isinstance(positive, bool):
        return profile
    score = properties.get("score")
    survey = SurveyFact(
        survey_id=_text(properties.get("survey_id")) or "survey",
        positive=positive,
        at=at,
        score=float(score)
        if isinstance(score, int | float) and not isinstance(score, bool)
        else None,
    )
    return replace(profile, last_survey=_later_survey(profile.last_survey, survey))


_TRACKED: dict[str, FactUpdate] = {
    "Product Added": _product_added,
    "Product Removed": _product_removed,
    "Cart Abandoned": _cart_abandoned,
    "Order Completed": _order_completed,
    "Ticket Opened": _ticket("open"),
    "Ticket Resolved": _ticket("resolved"),
    "Message Received": _message_received,
    "Handoff Requested": _agent,
    "Agent Assigned": _agent,
    "Survey Answered": _survey_answered,
}
"""Track events that change a fact, by name."""


def _at(fact: PageView | SentimentFact) -> datetime:
    return fact.at


def _newest(
    facts: Iterable[_Fact], limit: int, *, key: Callable[[_Fact], datetime]
) -> tuple[_Fact, ...]:
    return tuple(sorted(facts, key=key)[-limit:])


def _max_time(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _later(a: Profile, b: Profile, attribute: str) -> Profile:
    at_a, at_b = getattr(a, attribute), getattr(b, attribute)
    return b if at_a is None or (at_b is not None and at_b > at_a) else a


def _later_survey(a: SurveyFact | None, b: SurveyFact | None) -> SurveyFact | None:
    return b if a is None or (b is not None and b.at >= a.at) else a


def _sku(properties: Mapping[str, Any]) -> str | None:
    return _text(properties.get("sku")) or _text(properties.get("product_id"))


def _text(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    return text[:200] or None


def _positive_int(value: object, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return default


def _cents(value: object) -> int | None:
    """An amount in currency units (Segment's `price`, `revenue`) as integer cents."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return round(value * 100)
