"""Journey KPIs, computed from the events and the decision log of a time window [since, until).

- **Completion rate and time to completion**, per journey and in all: from the `Journey
  Entered` / `Completed` / `Exited` / `Failed` events the runtime records. The rate is
  completed / (completed + exited + failed) of the runs that ended in the window.
- **Repeat-contact rate**: a contact is a `Conversation Started`, or a `Ticket Opened` outside a
  conversation (no `conversation_id`); it is a repeat when the same customer made another
  contact in the 7 days before it.
- **Messages suppressed by each policy**: `suppress` decisions, by the rule that ruled each
  offer out (the last that blocked it: consent, suppression, frequency_cap or channel) and,
  for suppression, by the rule or journey hold (`hold:<name>`).
- **Revenue attributed to automated actions**: `Order Completed` (`revenue`, else `total`) of a
  customer who got a journey's message within `CEREBRO_KPI_ATTRIBUTION_WINDOW` before (the last
  such journey gets it).
- **Cost per service**: messages sent x cost per channel, plus agent minutes x cost per minute,
  over the services (contacts plus journey runs entered). Agent minutes run from `Agent
  Assigned` to the customer's next `Conversation Ended` or `Handoff Closed` (of the same
  conversation when both name one); spans still open are not counted.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from journeys.runtime import ENTERED_EVENT, LIFECYCLE_EVENTS
from journeys.runtime_settings import JourneySettings
from journeys.schema import DecisionRecord, EventRecord, table
from memory.vocabulary import Channel, values

_events = table(EventRecord)
_decisions = table(DecisionRecord)

REPEAT_CONTACT_WINDOW = timedelta(days=7)
CONTACT_EVENTS = ("Conversation Started", "Ticket Opened")
AGENT_START = "Agent Assigned"
AGENT_ENDS = ("Conversation Ended", "Handoff Closed")
ORDER_EVENT = "Order Completed"
MAX_AGENT_SPAN = timedelta(days=1)
"""A span longer than this is a conversation nobody closed: it is not counted."""


class JourneyKpis(BaseModel):
    journey_id: str
    entered: int = 0
    completed: int = 0
    exited: int = 0
    failed: int = 0
    completion_rate: float | None = Field(
        default=None, description="completed / (completed + exited + failed); null if none ended"
    )
    avg_time_to_completion_seconds: float | None = None
    median_time_to_completion_seconds: float | None = None
    messages_sent: int = 0
    revenue_cents: int = 0


class RepeatContacts(BaseModel):
    contacts: int
    repeats: int
    rate: float | None
    window_days: int = REPEAT_CONTACT_WINDOW.days


class Suppressions(BaseModel):
    total: int
    by_policy: dict[str, int] = Field(
        description="Suppressed decisions by the rule that ruled their offer out (consent, "
        "suppression, frequency_cap, channel)."
    )
    by_suppression_rule: dict[str, int] = Field(
        description="Within `suppression`: the rule or journey hold (`hold:<name>`) that blocked."
    )


class Revenue(BaseModel):
    attributed_cents: int
    orders: int
    attribution_window_hours: float


class ChannelCost(BaseModel):
    messages: int
    unit_cents: float
    cents: float


class Cost(BaseModel):
    currency: str
    by_channel: dict[str, ChannelCost]
    messages_cents: float
    agent_minutes: float
    agent_minute_cents: float
    agent_cents: float
    total_cents: float
    services: int = Field(description="Contacts plus journey runs entered in the window.")
    per_service_cents: float | None


class Kpis(BaseModel):
    since: datetime
    until: datetime
    totals: JourneyKpis
    journeys: list[JourneyKpis]
    repeat_contacts: RepeatContacts
    suppressed: Suppressions
    revenue: Revenue
    cost: Cost


@dataclass(frozen=True, slots=True)
class _Event:
    profile_id: str
    name: str
    at: datetime
    properties: Mapping[str, Any]


def compute(
    connection: Connection, since: datetime, until: datetime, settings: JourneySettings
) -> Kpis:
    """The KPIs of what happened in [since, until)."""
    window = settings.kpi_attribution_window
    events = _load_events(
        connection,
        [
            ENTERED_EVENT,
            *LIFECYCLE_EVENTS.values(),
            *CONTACT_EVENTS,
            AGENT_START,
            *AGENT_ENDS,
            ORDER_EVENT,
        ],
        since - max(REPEAT_CONTACT_WINDOW, MAX_AGENT_SPAN),
        until,
    )
    in_window = [event for event in events if event.at >= since]
    decisions = _load_decisions(connection, since - window, until)

    journeys: dict[str, JourneyKpis] = {}
    durations: dict[str, list[float]] = defaultdict(list)
    for event in in_window:
        journey_id = event.properties.get("journey_id")
        if not isinstance(journey_id, str):
            continue
        if event.name == ENTERED_EVENT:
            _kpis(journeys, journey_id).entered += 1
        elif event.name == LIFECYCLE_EVENTS["completed"]:
            _kpis(journeys, journey_id).completed += 1
            seconds = event.properties.get("duration_seconds")
            if isinstance(seconds, int | float):
                durations[journey_id].append(float(seconds))
        elif event.name == LIFECYCLE_EVENTS["exited"]:
            _kpis(journeys, journey_id).exited += 1
        elif event.name == LIFECYCLE_EVENTS["failed"]:
            _kpis(journeys, journey_id).failed += 1

    sent = [row for row in decisions if row["decided_at"] >= since and _sent(row)]
    for row in sent:
        if row["journey_id"]:
            _kpis(journeys, row["journey_id"]).messages_sent += 1

    orders, attributed = _attribute(in_window, decisions, window)
    for journey_id, cents in attributed.items():
        _kpis(journeys, journey_id).revenue_cents += cents
    for journey_id, kpis in journeys.items():
        _rates(kpis, durations[journey_id])
    totals = JourneyKpis(
        journey_id="all",
        entered=sum(k.entered for k in journeys.values()),
        completed=sum(k.completed for k in journeys.values()),
        exited=sum(k.exited for k in journeys.values()),
        failed=sum(k.failed for k in journeys.values()),
        messages_sent=sum(k.messages_sent for k in journeys.values()),
        revenue_cents=sum(attributed.values()),
    )
    _rates(totals, [seconds for found in durations.values() for seconds in found])

    contacts, repeats = _contacts(events, since)
    services = contacts + totals.entered
    return Kpis(
        since=since,
        until=until,
        totals=totals,
        journeys=sorted(journeys.values(), key=lambda k: k.journey_id),
        repeat_contacts=RepeatContacts(
            contacts=contacts, repeats=repeats, rate=_ratio(repeats, contacts)
        ),
        suppressed=_suppressions(row for row in decisions if row["decided_at"] >= since),
        revenue=Revenue(
            attributed_cents=sum(attributed.values()),
            orders=orders,
            attribution_window_hours=window.total_seconds() / 3600,
        ),
        cost=_cost(sent, _agent_minutes(events, since), services, settings),
    )


def _kpis(journeys: dict[str, JourneyKpis], journey_id: str) -> JourneyKpis:
    if journey_id not in journeys:
        journeys[journey_id] = JourneyKpis(journey_id=journey_id)
    return journeys[journey_id]


def _rates(kpis: JourneyKpis, durations: list[float]) -> None:
    kpis.completion_rate = _ratio(kpis.completed, kpis.completed + kpis.exited + kpis.failed)
    if durations:
        kpis.avg_time_to_completion_seconds = round(statistics.fmean(durations), 1)
        kpis.median_time_to_completion_seconds = round(statistics.median(durations), 1)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _load_events(
    connection: Connection, names: list[str], since: datetime, until: datetime
) -> list[_Event]:
    rows = connection.execute(
        select(_events.c.profile_id, _events.c.name, _events.c.timestamp, _events.c.payload)
        .where(
            _events.c.type == "track",
            _events.c.name.in_(names),
            _events.c.timestamp >= since,
            _events.c.timestamp < until,
        )
        .order_by(_events.c.timestamp, _events.c.id)
    )
    return [
        _Event(row.profile_id, row.name, row.timestamp, row.payload.get("properties", {}))
        for row in rows
    ]


def _load_decisions(
    connection: Connection, since: datetime, until: datetime
) -> list[Mapping[str, Any]]:
    rows = connection.execute(
        select(
            _decisions.c.profile_id,
            _decisions.c.outcome,
            _decisions.c.state,
            _decisions.c.channel,
            _decisions.c.journey_id,
            _decisions.c.reasons,
            _decisions.c.decided_at,
        )
        .where(_decisions.c.decided_at >= since, _decisions.c.decided_at < until)
        .order_by(_decisions.c.decided_at, _decisions.c.id)
    )
    return [dict(row._mapping) for row in rows]


def _sent(row: Mapping[str, Any]) -> bool:
    """A message that reached the outbox."""
    return bool(row["outcome"] == "send" and row["state"] == "dispatched")


def _attribute(
    events: list[_Event], decisions: list[Mapping[str, Any]], window: timedelta
) -> tuple[int, dict[str, int]]:
    """Orders in the window, and their revenue by the journey whose message came last before
    each (within `window`)."""
    touches: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for row in decisions:
        if row["journey_id"] and _sent(row):
            touches[row["profile_id"]].append((row["decided_at"], row["journey_id"]))
    orders = 0
    attributed: dict[str, int] = defaultdict(int)
    for event in events:
        if event.name != ORDER_EVENT:
            continue
        orders += 1
        amount = event.properties.get("revenue", event.properties.get("total"))
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            continue
        before = [
            touch
            for touch in touches.get(event.profile_id, ())
            if event.at - window <= touch[0] <= event.at
        ]
        if before:
            attributed[max(before)[1]] += round(amount * 100)
    return orders, dict(attributed)


def _contacts(events: list[_Event], since: datetime) -> tuple[int, int]:
    last: dict[str, datetime] = {}
    contacts = repeats = 0
    for event in events:
        if event.name not in CONTACT_EVENTS:
            continue
        if event.name == "Ticket Opened" and event.properties.get("conversation_id"):
            continue  # part of a conversation, which is the contact
        previous = last.get(event.profile_id)
        last[event.profile_id] = event.at
        if event.at < since:
            continue
        contacts += 1
        if previous is not None and event.at - previous <= REPEAT_CONTACT_WINDOW:
            repeats += 1
    return contacts, repeats


def _agent_minutes(events: list[_Event], since: datetime) -> float:
    """Minutes of agent time whose span ended in the window."""
    open_spans: dict[str, list[tuple[datetime, object]]] = defaultdict(list)
    minutes = 0.0
    for event in events:
        conversation = event.properties.get("conversation_id")
        if event.name == AGENT_START:
            open_spans[event.profile_id].append((event.at, conversation))
        elif event.name in AGENT_ENDS:
            spans = open_spans[event.profile_id]
            match = next(
                (
                    span
                    for span in spans
                    if conversation is None or span[1] is None or span[1] == conversation
                ),
                None,
            )
            if match is None:
                continue
            spans.remove(match)
            span = event.at - match[0]
            if event.at >= since and span <= MAX_AGENT_SPAN:
                minutes += span.total_seconds() / 60
    return round(minutes, 2)


def _suppressions(rows: Iterable[Mapping[str, Any]]) -> Suppressions:
    """Each suppressed decision counts once for each rule that had the last word on one of its
    offers (the rules run in order: the last block an offer got is what ruled it out)."""
    total = 0
    by_policy: dict[str, int] = defaultdict(int)
    by_rule: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["outcome"] != "suppress":
            continue
        total += 1
        decisive: dict[object, Mapping[str, Any]] = {}
        for reason in row["reasons"]:
            if reason.get("verdict") == "block":
                decisive[reason.get("offer_id")] = reason
        for rule in sorted({str(reason["rule"]) for reason in decisive.values()}):
            by_policy[rule] += 1
        names = {_suppression_name(r) for r in decisive.values() if r["rule"] == "suppression"}
        for name in sorted(names):
            by_rule[name] += 1
    return Suppressions(total=total, by_policy=dict(by_policy), by_suppression_rule=dict(by_rule))


def _suppression_name(reason: Mapping[str, Any]) -> str:
    """`open_critical_ticket` from "open_critical_ticket: open_critical_tickets is 1 ...",
    `hold:incident` from "hold incident pauses marketing: ..." (`journeys.policy` details)."""
    detail = str(reason.get("detail", ""))
    if detail.startswith("hold "):
        return "hold:" + detail.removeprefix("hold ").split(" ", 1)[0]
    return detail.split(":", 1)[0] or "unnamed"


def _cost(
    sent: list[Mapping[str, Any]],
    agent_minutes: float,
    services: int,
    settings: JourneySettings,
) -> Cost:
    counts: dict[str, int] = defaultdict(int)
    for row in sent:
        counts[row["channel"]] += 1
    costs: dict[str, float] = {str(k): v for k, v in settings.kpi_channel_costs.items()}
    by_channel = {
        channel: ChannelCost(
            messages=counts.get(channel, 0),
            unit_cents=costs.get(channel, 0.0),
            cents=round(counts.get(channel, 0) * costs.get(channel, 0.0), 2),
        )
        for channel in values(Channel)
    }
    messages_cents = round(sum(item.cents for item in by_channel.values()), 2)
    agent_cents = round(agent_minutes * settings.kpi_agent_minute_cost, 2)
    total = round(messages_cents + agent_cents, 2)
    return Cost(
        currency=settings.kpi_currency,
        by_channel=by_channel,
        messages_cents=messages_cents,
        agent_minutes=agent_minutes,
        agent_minute_cents=settings.kpi_agent_minute_cost,
        agent_cents=agent_cents,
        total_cents=total,
        services=services,
        per_service_cents=round(total / services, 2) if services else None,
    )
