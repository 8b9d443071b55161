"""The journey definition: what a YAML file (or `POST /v1/journeys`) says, as pydantic models.

docs/journeys.md, section Journeys, is the reference with an example. `parse_journey` in
`journeys.definitions.parse` turns a document into a `Journey` or raises an error whose lines
name the path at fault (`steps[2].wait.duration: invalid duration '48x'`).
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    model_validator,
)

from journeys.clock import parse_duration
from journeys.definitions.conditions import Condition, check_templates, check_value_templates
from memory.vocabulary import Channel, Language, Purpose, TicketCategory, TicketSeverity, values

END = "end"
"""The step id that ends a journey (`next: end`, `then: end`...): it completes."""

MAX_WEBHOOK_TIMEOUT = 60.0
_LANGUAGES = frozenset(values(Language))
_TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

Id = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", min_length=1, max_length=64)
]
"""Journey and step ids: lower-case letters, digits, `_` and `-`, up to 64."""
Key = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        found = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        found = timedelta(seconds=value)
    elif isinstance(value, str):
        try:
            found = parse_duration(value)
        except ValueError:
            raise ValueError(
                f"invalid duration '{value}' (try 48h, 2d, 90m, 1h30m or 45s)"
            ) from None
    else:
        raise ValueError(f"invalid duration {value!r} (try 48h, 2d, 90m, 1h30m or 45s)")
    if found <= timedelta(0):
        raise ValueError(f"the duration must be positive, not '{value}'")
    return found


def format_duration(value: timedelta) -> str:
    """`2d`, `48h`, `1h30m`: the shortest way to write a duration the parser reads back."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


Duration = Annotated[
    timedelta, PlainValidator(_duration), PlainSerializer(format_duration, return_type=str)
]


def _time_of_day(value: object) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted 10:00 as a sexagesimal number (600).
        return time(value // 60, value % 60)
    match = _TIME_OF_DAY.match(str(value))
    if match is None:
        raise ValueError(f"invalid time of day '{value}' (use HH:MM, 24-hour, e.g. '09:30')")
    return time(int(match.group(1)), int(match.group(2)))


TimeOfDay = Annotated[
    time,
    PlainValidator(_time_of_day),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
]


class LocalText:
    """A text, or one text per language; `for_language` picks the customer's."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts

    def for_language(self, language: str | None) -> str:
        order = (language, "", "en", *sorted(self.texts))
        return next(self.texts[key] for key in order if key is not None and key in self.texts)

    def dump(self) -> str | dict[str, str]:
        return self.texts[""] if set(self.texts) == {""} else dict(self.texts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalText) and other.texts == self.texts

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.texts.items())))


def _local_text(value: object) -> LocalText:
    if isinstance(value, LocalText):
        return value
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty")
        return LocalText({"": check_templates(value)})
    if isinstance(value, dict) and value:
        texts: dict[str, str] = {}
        for language, text in value.items():
            if language not in _LANGUAGES:
                raise ValueError(
                    f"unknown language '{language}' (use {', '.join(sorted(_LANGUAGES))})"
                )
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"the '{language}' text must be a non-empty text")
            texts[language] = check_templates(text)
        return LocalText(texts)
    raise ValueError("must be a text, or one text per language like {es: '...', en: '...'}")


Text = Annotated[
    LocalText, PlainValidator(_local_text), PlainSerializer(lambda value: value.dump())
]


def _json_value(value: object) -> object:
    return check_value_templates(value)


JsonValue = Annotated[Any, PlainValidator(_json_value)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


# --- actions ----------------------------------------------------------------------------------


class Offer(_Model):
    """A message the policy layer may send (consent, suppression, caps, quiet hours, next best
    action and channel choice all apply)."""

    offer_id: Key
    purpose: Purpose
    body: Text
    subject: Text | None = None
    channels: tuple[Channel, ...] = ()
    propensity: float = Field(default=1.0, ge=0, le=1)
    context_weight: float = Field(default=1.0, ge=0)
    value: float = Field(default=1.0, ge=0)
    lever: float = Field(default=1.0, ge=0)


class SendAction(Offer):
    """Send an offer; with `alternatives`, next-best-action arbitration picks one."""

    alternatives: tuple[Offer, ...] = ()

    @model_validator(mode="after")
    def _distinct(self) -> SendAction:
        ids = [self.offer_id, *(offer.offer_id for offer in self.alternatives)]
        if len(set(ids)) != len(ids):
            raise ValueError("the offer and its alternatives need distinct offer_id values")
        return self


class ChatAction(_Model):
    """Offer a proactive chat: an in-app `service` message the widget shows as an invitation."""

    body: Text
    offer_id: Key = "proactive_chat"


class TaskAction(_Model):
    """A task for people: a CRM ticket on the customer (assigned to an agent with `skill`)."""

    subject: Text
    description: Text
    category: TicketCategory = "other"
    severity: TicketSeverity = "medium"
    skill: Key | None = None


class AlertAction(_Model):
    """Alert a sales executive: a CRM ticket assigned to an active agent with `skill`."""

    subject: Text
    description: Text
    skill: Key = "sales"
    severity: TicketSeverity = "high"


class WebhookAction(_Model):
    """Call an HTTP endpoint; the body (JSON) defaults to the journey run's facts."""

    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)]
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    headers: dict[Annotated[str, StringConstraints(min_length=1, max_length=100)], str] = {}
    body: JsonValue = None
    timeout: float | None = Field(default=None, gt=0, le=MAX_WEBHOOK_TIMEOUT)

    @model_validator(mode="after")
    def _templates(self) -> WebhookAction:
        check_templates(self.url)
        for value in self.headers.values():
            check_templates(value)
        return self


class HoldAction(_Model):
    """Pause purposes for the customer (the policy suppresses them) until a `release`."""

    name: Key
    purposes: tuple[Purpose, ...] = Field(min_length=1)
    reason: Text


class WaitAction(_Model):
    """Wait for a `duration`, `until` a time of day in the customer's time zone, or for an
    `event` (with `where` conditions), at most `timeout`, then go to `on_timeout`."""

    duration: Duration | None = None
    until: TimeOfDay | None = None
    event: Name | None = None
    where: tuple[Condition, ...] = ()
    timeout: Duration | None = None
    on_timeout: Id | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> WaitAction:
        kinds = [kind for kind in ("duration", "until", "event") if getattr(self, kind)]
        if len(kinds) != 1:
            raise ValueError("give exactly one of duration, until or event")
        if self.event is None and (self.where or self.timeout or self.on_timeout):
            raise ValueError("where, timeout and on_timeout only go with event")
        if self.on_timeout is not None and self.timeout is None:
            raise ValueError("on_timeout needs a timeout")
        return self


class BranchAction(_Model):
    """Go to `then` when the condition holds, else to `else`."""

    if_: Condition = Field(alias="if")
    then: Id
    else_: Id = Field(alias="else")


TraitName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class Step(_Model):
    """One step: exactly one action, then the next step in the list (or `next`)."""

    id: Id | None = None
    next: Id | None = None
    send: SendAction | None = None
    chat: ChatAction | None = None
    task: TaskAction | None = None
    alert: AlertAction | None = None
    webhook: WebhookAction | None = None
    update_traits: dict[TraitName, JsonValue] | None = Field(default=None, min_length=1)
    hold: HoldAction | None = None
    release: Key | None = None
    wait: WaitAction | None = None
    branch: BranchAction | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        given = [name for name in ACTIONS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "a step needs exactly one of "
                + ", ".join(ACTIONS)
                + (f" (found {', '.join(given)})" if given else "")
            )
        if self.branch is not None and self.next is not None:
            raise ValueError("a branch step goes to then/else, not to next")
        return self

    @property
    def action(self) -> str:
        return next(name for name in ACTIONS if getattr(self, name) is not None)


ACTIONS = (
    "send",
    "chat",
    "task",
    "alert",
    "webhook",
    "update_traits",
    "hold",
    "release",
    "wait",
    "branch",
)


# --- journey ----------------------------------------------------------------------------------


class Trigger(_Model):
    """What enters a customer: an event (`event`, or `type: page`/`identify`) matching `where`,
    seen `count` times `within` a window; or a `condition` on the profile, checked after every
    event of the customer."""

    event: Name | None = None
    type: Literal["track", "page", "identify"] = "track"
    where: tuple[Condition, ...] = ()
    count: int = Field(default=1, ge=1, le=1000)
    within: Duration | None = None
    condition: Condition | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Trigger:
        if self.condition is not None:
            if self.event is not None or self.where or self.count != 1 or self.within:
                raise ValueError("a condition trigger takes no event, where, count or within")
            if "type" in self.model_fields_set:
                raise ValueError("a condition trigger takes no type")
            return self
        if self.type == "track" and self.event is None:
            raise ValueError("give the event that enters customers (or a condition)")
        if (self.count > 1) != (self.within is not None):
            raise ValueError("count (above 1) and within go together")
        return self


class Reentry(_Model):
    """May a customer enter again? `never`; `after_exit` (default: once the previous run
    ended); `always` (runs side by side). `cooldown`: not again before this long since the
    previous run ended (`after_exit`) or started (`always`)."""

    mode: Literal["never", "after_exit", "always"] = "after_exit"
    cooldown: Duration | None = None


class ExitCriterion(_Model):
    """Leave the journey when this event (matching `where`) arrives, or the condition holds."""

    event: Name | None = None
    where: tuple[Condition, ...] = ()
    condition: Condition | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ExitCriterion:
        if (self.event is None) == (self.condition is None):
            raise ValueError("give exactly one of event or condition")
        if self.condition is not None and self.where:
            raise ValueError("where only goes with event")
        return self


class Journey(_Model):
    """A journey definition (one YAML document)."""

    id: Id
    name: Name
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    enabled: bool = True
    trigger: Trigger
    reentry: Reentry = Reentry()
    exit_when: tuple[ExitCriterion, ...] = ()
    steps: tuple[Step, ...] = Field(min_length=1, max_length=200)

    @cached_property
    def step_ids(self) -> tuple[str, ...]:
        """Each step's id: its own, or `step-<n>` (1-based) when it has none."""
        return tuple(step.id or f"step-{index + 1}" for index, step in enumerate(self.steps))

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {step_id: index for index, step_id in enumerate(self.step_ids)}

    def position(self, step_id: str) -> int:
        return self._positions[step_id]

    def step(self, step_id: str) -> Step:
        return self.steps[self._positions[step_id]]

    def following(self, step_id: str) -> str:
        """Where a step goes when it is done: its `next`, else the next in the list, else end."""
        index = self._positions[step_id]
        explicit = self.steps[index].next
        if explicit is not None:
            return explicit
        return self.step_ids[index + 1] if index + 1 < len(self.steps) else END

    @property
    def first(self) -> str:
        return self.step_ids[0]
