"""The policy layer: the one place that decides, at send time, whether, what and where to send.

A journey (or anything else) asks with a `SendRequest`: a customer and one or more candidate
messages (offers). The rules run in this order, each recording its reasons:

1. **consent** per channel and purpose (`marketing` and `sales` need a granted consent; `service`
   goes unless refused);
2. **suppression**: rules on profile facts (by default an open critical ticket suppresses
   `marketing` and `sales`) and holds a journey put on the profile;
3. **frequency caps** per channel (or all channels) and window;
4. **channel availability**: the customer must have an address on the channel;
5. **quiet hours** in the customer's time zone: the request is deferred, never dropped;
6. **next-best-action arbitration** among the offers still eligible: priority =
   propensity x context weight x value x business lever;
7. **channel choice**: the preferred channel when it passed, else the offer's (or the
   configured) order.

`evaluate` is a pure function of the request, what is known of the recipient and the time;
`journeys.pipeline.Pipeline` loads that, logs every decision (sent or not, with its reasons) and
hands the messages to the messaging adapter (the outbox).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache, cached_property
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from journeys.profiles import Profile
from memory.vocabulary import Channel, Purpose

RuleName = Literal[
    "consent", "suppression", "frequency_cap", "channel", "quiet_hours", "arbitration"
]
Verdict = Literal["pass", "block", "defer", "chosen", "lost"]
Outcome = Literal["send", "defer", "suppress"]
"""What a decision says: send now on a channel, send later (quiet hours), or send nothing."""

DecisionState = Literal["pending", "dispatched", "failed", "waiting", "redecided", "final"]
"""Where a logged decision is: a `send` is `pending` until the outbox took it (`dispatched`) or
refused it (`failed`); a `defer` is `waiting` until it is decided again (`redecided`); a
`suppress` is `final`."""

Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Candidate(_Frozen):
    """One message that could be sent: an offer, a survey, a notice."""

    offer_id: Key
    purpose: Purpose
    body: Text
    subject: Annotated[str, StringConstraints(max_length=200)] | None = None
    channels: tuple[Channel, ...] = Field(
        default=(), description="Channels it may go on, best first; empty means any."
    )
    propensity: float = Field(default=1.0, ge=0, le=1, description="Likelihood of a response.")
    context_weight: float = Field(default=1.0, ge=0, description="Fit with the moment.")
    value: float = Field(default=1.0, ge=0, description="What a response is worth.")
    lever: float = Field(default=1.0, ge=0, description="Business boost (1 = neutral).")

    @property
    def priority(self) -> float:
        return self.propensity * self.context_weight * self.value * self.lever


class SendRequest(_Frozen):
    """A request to reach a customer with the best of some candidate messages."""

    customer_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    candidates: tuple[Candidate, ...] = Field(min_length=1, max_length=50)
    journey_id: Key | None = None
    step: Key | None = None

    @model_validator(mode="after")
    def _distinct_offers(self) -> SendRequest:
        ids = [candidate.offer_id for candidate in self.candidates]
        if len(set(ids)) != len(ids):
            raise ValueError("candidates must have distinct offer_id values")
        return self


@dataclass(frozen=True, slots=True)
class Reason:
    """Why one rule let a candidate (or a channel of it) through, or not.

    A plain dataclass, not a model: the policy writes several per decision and nothing outside
    builds one (a `Decision` validates and serializes it like a model all the same)."""

    rule: RuleName
    verdict: Verdict
    detail: str
    offer_id: str | None = None
    channel: Channel | None = None


class Decision(_Frozen):
    """A logged decision: its outcome, its reasons, and what became of it."""

    id: int
    customer_id: str
    outcome: Outcome
    state: DecisionState
    decided_at: datetime
    reasons: tuple[Reason, ...]
    offer_id: str | None = None
    purpose: Purpose | None = None
    channel: Channel | None = None
    defer_until: datetime | None = None
    journey_id: str | None = None
    step: str | None = None
    event_id: int | None = None
    replaces: int | None = Field(default=None, description="The deferred decision it retakes.")
    message_id: str | None = None
    error: str | None = None


class SuppressionRule(_Frozen):
    """Suppress some purposes while a numeric profile fact is above (or below) a threshold."""

    name: Key
    fact: Literal[
        "open_critical_tickets", "open_tickets", "recent_sentiment", "lifetime_value_cents"
    ]
    above: float | None = None
    below: float | None = None
    purposes: tuple[Purpose, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _threshold(self) -> SuppressionRule:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above or below")
        return self

    def matches(self, profile: Profile) -> float | None:
        """The fact's value when the rule applies, else None."""
        value: float | None
        if self.fact == "open_tickets":
            value = len(profile.open_tickets)
        else:
            value = getattr(profile, self.fact)
        if value is None:
            return None
        if self.above is not None and value > self.above:
            return value
        if self.below is not None and value < self.below:
            return value
        return None


class FrequencyCap(_Frozen):
    """At most `limit` messages of these purposes per `window`, on `channel` (None: all)."""

    channel: Channel | None = None
    purposes: tuple[Purpose, ...] = ("marketing", "sales")
    limit: int = Field(ge=0)
    window: timedelta

    def describe(self) -> str:
        where = f"on {self.channel}" if self.channel else "on all channels"
        return f"{self.limit} {'/'.join(self.purposes)} per {_duration(self.window)} {where}"


class QuietHours(_Frozen):
    """Local hours (the customer's time zone) when nothing of these purposes goes out."""

    start: time = time(21, 0)
    end: time = time(9, 0)
    purposes: tuple[Purpose, ...] = ("service", "marketing", "sales")

    def deferral(self, local: datetime) -> datetime | None:
        """When the quiet window that `local` falls in ends (aware), or None outside it."""
        now = local.time().replace(tzinfo=None)
        spans_midnight = self.start > self.end
        inside = (
            (now >= self.start or now < self.end)
            if spans_midnight
            else self.start <= now < self.end
        )
        if not inside:
            return None
        day = local.date() if now < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=local.tzinfo)


DEFAULT_SUPPRESSION = (
    SuppressionRule(
        name="open_critical_ticket",
        fact="open_critical_tickets",
        above=0,
        purposes=("marketing", "sales"),
    ),
)
DEFAULT_CAPS = (
    *(
        FrequencyCap(channel=channel, limit=1, window=timedelta(days=1))
        for channel in ("email", "sms", "whatsapp", "in_app")
    ),
    FrequencyCap(limit=3, window=timedelta(days=7)),
)


class PolicyConfig(_Frozen):
    """The policy's rules; defaults follow the seeds (load your own with `CEREBRO_POLICY_FILE`)."""

    suppression: tuple[SuppressionRule, ...] = DEFAULT_SUPPRESSION
    caps: tuple[FrequencyCap, ...] = DEFAULT_CAPS
    quiet_hours: QuietHours | None = QuietHours()
    channel_order: tuple[Channel, ...] = ("whatsapp", "email", "sms", "in_app")
    default_timezone: str = "UTC"

    @cached_property
    def longest_cap_window(self) -> timedelta:
        return max((cap.window for cap in self.caps), default=timedelta(0))


@dataclass(frozen=True, slots=True)
class PastSend:
    """A message the policy let out earlier (for frequency caps)."""

    channel: Channel
    purpose: Purpose
    at: datetime


@dataclass(frozen=True, slots=True)
class Recipient:
    """Everything the rules need to know about the customer at send time."""

    profile: Profile
    addresses: frozenset[Channel]
    consents: Mapping[tuple[str, str], bool]
    past_sends: Sequence[PastSend] = ()


@dataclass(frozen=True, slots=True)
class Ruling:
    """What `evaluate` concluded, before it is logged."""

    outcome: Outcome
    reasons: tuple[Reason, ...]
    candidate: Candidate | None = None
    channel: Channel | None = None
    defer_until: datetime | None = None


def evaluate(
    config: PolicyConfig, request: SendRequest, recipient: Recipient, now: datetime
) -> Ruling:
    """Run the rules in order; the verdict carries the reasons of every rule that spoke."""
    reasons: list[Reason] = []
    profile = recipient.profile
    held = profile.held_purposes()
    eligible: list[tuple[Candidate, list[Channel]]] = []
    for candidate in request.candidates:
        channels = _consented(candidate, config, recipient, reasons)
        if channels and not _suppressed(candidate, config, profile, held, reasons):
            channels = _uncapped(candidate, channels, config, recipient, now, reasons)
            channels = _reachable(candidate, channels, recipient, reasons)
            if channels:
                eligible.append((candidate, channels))
    if not eligible:
        return Ruling("suppress", tuple(reasons))

    zone, zone_note = _zone(profile.timezone, config.default_timezone)
    local = now.astimezone(zone)
    quiet = config.quiet_hours
    until = quiet.deferral(local) if quiet else None
    if quiet is not None and until is not None:
        waiting = [c for c, _ in eligible if c.purpose in quiet.purposes]
        eligible = [(c, chs) for c, chs in eligible if c.purpose not in quiet.purposes]
        window = f"{quiet.start:%H:%M}-{quiet.end:%H:%M}"
        for candidate in waiting:
            reasons.append(
                Reason(
                    rule="quiet_hours",
                    verdict="defer",
                    detail=f"{local:%H:%M} in {zone.key}{zone_note} is within quiet hours "
                    f"{window}; deferred to {until:%Y-%m-%d %H:%M} local",
                    offer_id=candidate.offer_id,
                )
            )
        if not eligible:
            return Ruling("defer", tuple(reasons), defer_until=until.astimezone(now.tzinfo))

    ranked = sorted(eligible, key=lambda pair: pair[0].priority, reverse=True)
    winner, channels = ranked[0]
    reasons.append(
        Reason(
            rule="arbitration",
            verdict="chosen",
            detail=f"priority {_priority(winner)}"
            + (f", ahead of {len(ranked) - 1} other offer(s)" if len(ranked) > 1 else ""),
            offer_id=winner.offer_id,
        )
    )
    for loser, _ in ranked[1:]:
        reasons.append(
            Reason(
                rule="arbitration",
                verdict="lost",
                detail=f"priority {_priority(loser)} is below {winner.offer_id}'s "
                f"{winner.priority:.4g}",
                offer_id=loser.offer_id,
            )
        )
    channel, why = _choose_channel(channels, profile.preferred_channel)
    reasons.append(
        Reason(
            rule="channel", verdict="chosen", detail=why, offer_id=winner.offer_id, channel=channel
        )
    )
    return Ruling("send", tuple(reasons), candidate=winner, channel=channel)


def _consented(
    candidate: Candidate, config: PolicyConfig, recipient: Recipient, reasons: list[Reason]
) -> list[Channel]:
    passed: list[Channel] = []
    for channel in candidate.channels or config.channel_order:
        granted = recipient.consents.get((channel, candidate.purpose))
        if candidate.purpose == "service" and granted is not False:
            passed.append(channel)
            continue
        if granted:
            passed.append(channel)
            continue
        detail = (
            f"{candidate.purpose} on {channel} was refused"
            if granted is False
            else f"no consent for {candidate.purpose} on {channel}"
        )
        reasons.append(
            Reason(
                rule="consent",
                verdict="block",
                detail=detail,
                offer_id=candidate.offer_id,
                channel=channel,
            )
        )
    return passed


def _suppressed(
    candidate: Candidate,
    config: PolicyConfig,
    profile: Profile,
    held: Mapping[Purpose, str],
    reasons: list[Reason],
) -> bool:
    for rule in config.suppression:
        if candidate.purpose not in rule.purposes:
            continue
        value = rule.matches(profile)
        if value is not None:
            bound = f"> {rule.above:g}" if rule.above is not None else f"< {rule.below:g}"
            reasons.append(
                Reason(
                    rule="suppression",
                    verdict="block",
                    detail=f"{rule.name}: {rule.fact} is {value:g} ({bound}), which suppresses "
                    f"{candidate.purpose}",
                    offer_id=candidate.offer_id,
                )
            )
            return True
    hold_name = held.get(candidate.purpose)
    if hold_name is not None:
        hold = profile.holds[hold_name]
        reasons.append(
            Reason(
                rule="suppression",
                verdict="block",
                detail=f"hold {hold_name} pauses {candidate.purpose}: {hold.reason}",
                offer_id=candidate.offer_id,
            )
        )
        return True
    return False


def _uncapped(
    candidate: Candidate,
    channels: list[Channel],
    config: PolicyConfig,
    recipient: Recipient,
    now: datetime,
    reasons: list[Reason],
) -> list[Channel]:
    passed: list[Channel] = []
    for channel in channels:
        reached = _reached_cap(candidate.purpose, channel, config, recipient.past_sends, now)
        if reached is None:
            passed.append(channel)
            continue
        reasons.append(
            Reason(
                rule="frequency_cap",
                verdict="block",
                detail=f"cap of {reached.describe()} reached",
                offer_id=candidate.offer_id,
                channel=channel,
            )
        )
    return passed


def _reached_cap(
    purpose: Purpose,
    channel: Channel,
    config: PolicyConfig,
    past: Sequence[PastSend],
    now: datetime,
) -> FrequencyCap | None:
    for cap in config.caps:
        if purpose not in cap.purposes or cap.channel not in (None, channel):
            continue
        since = now - cap.window
        count = sum(
            1
            for sent in past
            if sent.at > since
            and sent.purpose in cap.purposes
            and (cap.channel is None or sent.channel == cap.channel)
        )
        if count >= cap.limit:
            return cap
    return None


def _reachable(
    candidate: Candidate, channels: list[Channel], recipient: Recipient, reasons: list[Reason]
) -> list[Channel]:
    passed = [channel for channel in channels if channel in recipient.addresses]
    for channel in channels:
        if channel not in recipient.addresses:
            reasons.append(
                Reason(
                    rule="channel",
                    verdict="block",
                    detail=f"no address on {channel}"
                    if recipient.profile.customer_id
                    else "no customer record, so no address on any channel",
                    offer_id=candidate.offer_id,
                    channel=channel,
                )
            )
    return passed


def _choose_channel(channels: list[Channel], preferred: Channel | None) -> tuple[Channel, str]:
    if preferred in channels:
        return preferred, f"{preferred} is the preferred channel"
    first = channels[0]
    if preferred is None:
        return first, f"{first} is the first channel allowed (no preferred channel)"
    return first, f"{first} is the first channel allowed; the preferred {preferred} did not pass"


@cache
def _zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _zone(name: str | None, default: str) -> tuple[ZoneInfo, str]:
    if name:
        try:
            return _zone_named(name), ""
        except (ZoneInfoNotFoundError, ValueError):
            return _zone_named(default), f" (unknown time zone {name!r})"
    return _zone_named(default), " (time zone unknown)"


def _priority(candidate: Candidate) -> str:
    return (
        f"{candidate.priority:.4g} = propensity {candidate.propensity:g} x context "
        f"{candidate.context_weight:g} x value {candidate.value:g} x lever {candidate.lever:g}"
    )


def _duration(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} s"
