"""Chat events into the same pipeline as every other event.

The assistant, the agent console and the ticketing tools call `record` with one of the typed
events below; each becomes a Segment `track` event with `source="chat"` (named as in the table in
`journeys.profiles`), so profiles, journeys and the policy layer see it like any other:

    from journeys.chat_events import TicketOpened, record
    record(pipeline, TicketOpened(customer_id="CUS-000001", ticket_id="TCK-000042",
                                  severity="critical", category="damaged_item"))

`event_id` makes a call idempotent: give a stable one (e.g. `"<conversation>:<turn>"`) so a
retried call changes nothing; left out, a random one is used. Times default to the pipeline's
clock. Nothing here carries message text: a sentiment score, not what the customer wrote.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from journeys.events import Event
from journeys.pipeline import IngestResult, Pipeline
from memory.vocabulary import Channel, Language, TicketCategory, TicketSeverity

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ChatEvent(BaseModel):
    """Who it is about (a customer id, or the widget's anonymous id) and when it happened."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: ClassVar[str]

    customer_id: Id | None = None
    anonymous_id: Id | None = None
    conversation_id: Id | None = None
    at: AwareDatetime | None = None
    event_id: Id | None = None

    @model_validator(mode="after")
    def _someone(self) -> ChatEvent:
        if self.customer_id is None and self.anonymous_id is None:
            raise ValueError("either customer_id or anonymous_id is required")
        return self

    def properties(self) -> dict[str, Any]:
        return self.model_dump(
            mode="json",
            exclude={"customer_id", "anonymous_id", "at", "event_id"},
            exclude_none=True,
        )


class ConversationStarted(ChatEvent):
    name = "Conversation Started"
    channel: Channel = "in_app"
    language: Language | None = None


class MessageReceived(ChatEvent):
    """A customer turn, with its sentiment (-1 negative to 1 positive) and label."""

    name = "Message Received"
    sentiment: float = Field(ge=-1, le=1)
    label: Literal["negative", "neutral", "positive"] | None = None
    intent: Annotated[str, StringConstraints(max_length=64)] | None = None


class HandoffRequested(ChatEvent):
    """The conversation goes to a human (`agent_id` once one is assigned)."""

    name = "Handoff Requested"
    reason: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    agent_id: Id | None = None


class AgentAssigned(ChatEvent):
    """A human agent took the conversation: the customer's last agent from now on."""

    name = "Agent Assigned"
    agent_id: Id


class TicketOpened(ChatEvent):
    name = "Ticket Opened"
    ticket_id: Id
    severity: TicketSeverity
    category: TicketCategory | None = None


class TicketResolved(ChatEvent):
    name = "Ticket Resolved"
    ticket_id: Id


class SurveyAnswered(ChatEvent):
    """A satisfaction survey's answer: `positive` is what re-enables marketing after an
    incident; `score` is the raw answer (e.g. 1 to 5)."""

    name = "Survey Answered"
    survey_id: Id
    positive: bool
    score: float | None = None


def to_event(chat_event: ChatEvent, received_at: datetime) -> Event:
    """The `track` event a chat event becomes."""
    return Event(
        type="track",
        message_id=chat_event.event_id or uuid.uuid4().hex,
        source="chat",
        timestamp=chat_event.at or received_at,
        received_at=received_at,
        user_id=chat_event.customer_id,
        anonymous_id=chat_event.anonymous_id,
        name=chat_event.name,
        properties=chat_event.properties(),
    )


def record(pipeline: Pipeline, chat_event: ChatEvent) -> IngestResult:
    """Ingest a chat event now (its own transaction; handlers and decisions included)."""
    return pipeline.ingest(to_event(chat_event, pipeline.clock.now()))
