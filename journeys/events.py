"""The event model: Segment-shaped messages as they arrive, and the one normalized `Event` that
every part of the engine works on.

Incoming messages follow the Segment spec (identify, track, page, alias, batch) with its field
names (`userId`, `anonymousId`, `messageId`...). `parse_message` validates one of them and turns it
into an `Event`, whatever its origin: the HTTP API, the chat (`journeys.chat_events`), a journey
or the system itself. Validation errors name the field at fault (`timestamp`,
`batch[3].timestamp`), so a client can fix exactly that.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

EventType = Literal["identify", "track", "page", "alias"]
"""The Segment message types Cerebro ingests (a batch is a list of these)."""

Source = Literal["api", "chat", "journey", "system"]
"""Where an event came from: a client with a write key, the chat, a journey, or Cerebro itself."""

MAX_ID_LENGTH = 100
MAX_NAME_LENGTH = 200

Id = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ID_LENGTH)
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH)
]


class SegmentMessage(BaseModel):
    """Fields every Segment message shares. Unknown fields (`integrations`, `_metadata`...) are
    accepted and ignored, as Segment's own API does."""

    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)

    userId: Id | None = None
    anonymousId: Id | None = None
    messageId: Id | None = None
    timestamp: AwareDatetime | None = None
    sentAt: AwareDatetime | None = None
    context: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _someone(self) -> SegmentMessage:
        if self.userId is None and self.anonymousId is None:
            raise ValueError("either userId or anonymousId is required")
        return self


class IdentifyMessage(SegmentMessage):
    """Who the user is: their traits (name, email, preferred channel, time zone...)."""

    type: Literal["identify"] = "identify"
    traits: dict[str, Any] = Field(default_factory=dict)


class TrackMessage(SegmentMessage):
    """Something the user did: `event` names it ("Product Added"), `properties` describe it."""

    type: Literal["track"] = "track"
    event: Name
    properties: dict[str, Any] = Field(default_factory=dict)


class PageMessage(SegmentMessage):
    """A page the user saw (`properties.url`, `properties.path`...)."""

    type: Literal["page"] = "page"
    name: Name | None = None
    category: Name | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class AliasMessage(SegmentMessage):
    """`previousId` (an anonymous id or an older user id) and `userId` are the same person."""

    type: Literal["alias"] = "alias"
    previousId: Id
    userId: Id


IncomingMessage = Annotated[
    IdentifyMessage | TrackMessage | PageMessage | AliasMessage, Field(discriminator="type")
]
_ANY_MESSAGE: TypeAdapter[IdentifyMessage | TrackMessage | PageMessage | AliasMessage] = (
    TypeAdapter(IncomingMessage)
)


@dataclass(frozen=True, slots=True)
class Event:
    """One event, normalized: what every handler, fact and rule of the engine reads.

    `timestamp` is when it happened (the client's clock, corrected by `sentAt` when given) and
    decides the order of facts; `received_at` is when Cerebro got it. `name` is the track event
    or the page name. `message_id` makes it idempotent per source key (a write key, or the
    internal source's name). `user_id` is the customer id once known.
    """

    type: EventType
    message_id: str
    source: Source
    timestamp: datetime
    received_at: datetime
    user_id: str | None = None
    anonymous_id: str | None = None
    previous_id: str | None = None
    name: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    traits: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)


class InvalidEvent(ValueError):
    """An incoming message that does not follow the spec; `errors` name each field at fault."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


def parse_message(
    payload: object,
    *,
    received_at: datetime,
    source: Source = "api",
    expected: EventType | None = None,
    prefix: str = "",
) -> Event:
    """Validate one Segment message (a JSON object) and normalize it into an `Event`.

    `expected` is the type an endpoint implies (`/v1/track`): `type` may then be left out but
    must not say otherwise. `prefix` goes before field names in errors (`batch[3].`).
    Raises `InvalidEvent`.
    """
    if not isinstance(payload, dict):
        raise InvalidEvent([FieldError(prefix.rstrip(".") or "body", "must be a JSON object")])
    if expected is not None:
        given = payload.get("type", expected)
        if given != expected:
            raise InvalidEvent([FieldError(f"{prefix}type", f"must be '{expected}' here")])
        payload = {**payload, "type": expected}
    try:
        message = _ANY_MESSAGE.validate_python(payload)
    except ValidationError as error:
        raise InvalidEvent(_field_errors(error, prefix)) from None
    return normalize(message, received_at=received_at, source=source)


def normalize(message: SegmentMessage, *, received_at: datetime, source: Source) -> Event:
    """The `Event` for a validated message; a missing `messageId` gets a random one."""
    timestamp = message.timestamp or received_at
    if message.timestamp is not None and message.sentAt is not None:
        # Segment's clock-skew correction: the device's clock was off by sentAt - received_at.
        timestamp = message.timestamp + (received_at - message.sentAt)
    common: dict[str, Any] = {
        "message_id": message.messageId or uuid.uuid4().hex,
        "source": source,
        "timestamp": timestamp.astimezone(UTC),
        "received_at": received_at,
        "user_id": message.userId,
        "anonymous_id": message.anonymousId,
        "context": message.context,
    }
    if isinstance(message, IdentifyMessage):
        return Event(type="identify", traits=message.traits, **common)
    if isinstance(message, TrackMessage):
        return Event(type="track", name=message.event, properties=message.properties, **common)
    if isinstance(message, PageMessage):
        properties = message.properties
        if message.category is not None:
            properties = {**properties, "category": message.category}
        return Event(type="page", name=message.name, properties=properties, **common)
    assert isinstance(message, AliasMessage)
    return Event(type="alias", previous_id=message.previousId, **common)


def _field_errors(error: ValidationError, prefix: str) -> list[FieldError]:
    found = []
    for item in error.errors():
        # The discriminated union puts the type tag first in the location: drop it.
        location = [str(part) for part in item["loc"][1:]]
        name = ".".join(location)
        if not name:
            name = "type" if item["type"].startswith("union_tag") else ""
        message = str(item["msg"]).removeprefix("Value error, ")
        if not name and "userId or anonymousId" in message:
            name = "userId"
        found.append(
            FieldError(f"{prefix}{name}" if name else prefix.rstrip(".") or "body", message)
        )
    return found
