"""The agent console's API (`/v1/console`, admin token): the queue of escalations, one handoff
with its summary, and the routing side of a takeover: claim, hand back, resolve.

The chat itself goes through the conversation API with the same admin token: the transcript, its
event stream, and `POST /v1/conversations/{id}/agent/messages` (a human message takes the
conversation over). Hand back and resolve here do both halves at once: the conversation returns
to the assistant and the routing handoff is closed with its outcome, so the conversation can be
handed off again later.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from agent.locks import ConversationBusyError
from agent.service import ConversationNotFoundError, ConversationService, ModeError
from api.conversations import AgentHolder, tool_problem
from api.problems import Problem
from cerebro.settings import Settings
from memory.db import Database
from memory.vocabulary import HandoffOutcome, HandoffStatus, Language, Tier
from routing import queue
from tools import types as t
from tools.errors import ToolError
from tools.routing import RoutingTools

bearer = HTTPBearer(auto_error=False, description="The admin token (CEREBRO_ADMIN_TOKEN)")


def require_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """403 when the console is disabled (no admin token set), 401 for a missing or wrong token."""
    settings: Settings = request.app.state.settings
    if settings.admin_token is None:
        raise Problem(
            403,
            "The agent console is disabled: set CEREBRO_ADMIN_TOKEN to enable it.",
            type_="/problems/console-disabled",
        )
    expected = settings.admin_token.get_secret_value().encode()
    if credentials is None or not hmac.compare_digest(credentials.credentials.encode(), expected):
        raise Problem(
            401, "This needs the admin token as a Bearer token.", type_="/problems/unauthorized"
        )


router = APIRouter(
    prefix="/v1/console",
    tags=["agent console"],
    dependencies=[Depends(require_admin)],
    responses={
        401: {"description": "No admin token, or a wrong one"},
        403: {"description": "CEREBRO_ADMIN_TOKEN is not set"},
    },
)


# --- models --------------------------------------------------------------------------------------


class AgentOut(BaseModel):
    id: str
    name: str
    skills: list[str]
    languages: list[str]


class QueueEntry(BaseModel):
    """One open escalation, as the queue lists it."""

    handoff_id: str
    conversation_id: str
    customer_id: str | None
    """None for an unverified visitor (`customer_name` then says so)."""
    verified: bool
    """False for an unverified visitor: nobody proved who they are, so the agent checks identity
    before discussing any account."""
    customer_name: str
    customer_tier: Tier
    language: Language
    reason: str
    priority: int
    """1 is the most urgent, 5 the least."""
    skills: list[str]
    status: HandoffStatus
    """`queued` (waiting for an agent) or `assigned` (an agent has it)."""
    assigned_agent_id: str | None
    created_at: datetime
    waiting_seconds: float
    """Since the customer was handed off."""


class Queue(BaseModel):
    entries: list[QueueEntry]
    """Waiting ones first, then those an agent has; each by priority, then oldest first."""


class AgentAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: str = Field(min_length=1, max_length=32)
    """The human agent acting (an id from `GET /v1/console/agents`)."""


class ActionResult(BaseModel):
    handoff: t.Handoff
    conversation_mode: Literal["ai", "human"] | None
    """The conversation's mode afterwards; null when the handoff has no conversation here (e.g.
    it came from another channel)."""


# --- helpers -------------------------------------------------------------------------------------


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _holder(request: Request) -> AgentHolder:
    holder: AgentHolder | None = getattr(request.app.state, "agent_holder", None)
    if holder is None:
        raise Problem(503, "The assistant is not running.")
    return holder


def _routing(request: Request) -> RoutingTools:
    return _holder(request).get().deps.toolbox.routing


def _service(request: Request) -> ConversationService:
    return _holder(request).get().service


def _handoff(request: Request, handoff_id: str) -> t.Handoff:
    found = queue.find_handoff(_db(request), handoff_id)
    if found is None:
        raise Problem(404, f"There is no handoff {handoff_id}.", type_="/problems/not-found")
    return found


def _agent(request: Request, agent_id: str) -> queue.Agent:
    found = queue.find_agent(_db(request), agent_id)
    if found is None:
        raise Problem(404, f"There is no active agent {agent_id}.", type_="/problems/not-found")
    return found


def _close(
    request: Request, handoff_id: str, agent_id: str, outcome: HandoffOutcome
) -> ActionResult:
    """Give the conversation back to the assistant (when a human has it), then close the handoff."""
    handoff = _handoff(request, handoff_id)
    agent = _agent(request, agent_id)
    if handoff.status == "closed":
        raise Problem(
            409,
            f"Handoff {handoff.id} is closed already ({handoff.outcome}).",
            type_="/problems/tool/conflict",
        )
    service = _service(request)
    mode: Literal["ai", "human"] | None
    try:
        mode = service.get(handoff.conversation_id)["mode"]
        if mode == "human":
            mode = service.hand_back(handoff.conversation_id, agent.name).state["mode"]
    except ConversationNotFoundError:
        mode = None
    except ModeError:
        mode = "ai"
    except ConversationBusyError:
        raise Problem(
            409,
            "The conversation is busy with another message; try again.",
            type_="/problems/conversation-busy",
        ) from None
    try:
        closed = _routing(request).close_handoff(handoff.customer_id, handoff.id, outcome=outcome)
    except ToolError as error:
        raise tool_problem(error) from None
    return ActionResult(handoff=closed, conversation_mode=mode)


# --- endpoints -----------------------------------------------------------------------------------


@router.get("/agents", response_model=list[AgentOut], summary="The agents who can sign in")
def agents(request: Request) -> list[AgentOut]:
    return [
        AgentOut(id=a.id, name=a.name, skills=list(a.skills), languages=list(a.languages))
        for a in queue.active_agents(_db(request))
    ]


@router.get("/queue", response_model=Queue, summary="The open escalations, most urgent first")
def escalation_queue(request: Request) -> Queue:
    now = datetime.now(UTC)
    return Queue(
        entries=[
            QueueEntry(
                handoff_id=h.id,
                conversation_id=h.conversation_id,
                customer_id=h.customer_id,
                verified=h.customer_id is not None,
                customer_name=h.summary.customer_name,
                customer_tier=h.summary.customer_tier,
                language=h.language,
                reason=h.reason,
                priority=h.priority,
                skills=list(h.skills),
                status=h.status,
                assigned_agent_id=h.assigned_agent_id,
                created_at=h.created_at,
                waiting_seconds=max(0.0, (now - h.created_at).total_seconds()),
            )
            for h in queue.open_handoffs(_db(request))
        ]
    )


@router.get(
    "/handoffs/{handoff_id}",
    response_model=t.Handoff,
    summary="One handoff with its escalation summary",
)
def handoff(handoff_id: str, request: Request) -> t.Handoff:
    return _handoff(request, handoff_id)


@router.post(
    "/handoffs/{handoff_id}/claim",
    response_model=t.Handoff,
    summary="Take a handoff (it becomes `assigned` to the agent)",
    responses={409: {"description": "Another agent has it, or it is closed"}},
)
def claim(handoff_id: str, body: AgentAction, request: Request) -> t.Handoff:
    found = _handoff(request, handoff_id)
    try:
        return _routing(request).assign_handoff(found.customer_id, found.id, agent_id=body.agent_id)
    except ToolError as error:
        raise tool_problem(error) from None


@router.post(
    "/handoffs/{handoff_id}/handback",
    response_model=ActionResult,
    summary="Hand the conversation back to the assistant and close the handoff",
    responses={409: {"description": "The handoff is closed already"}},
)
def hand_back(handoff_id: str, body: AgentAction, request: Request) -> ActionResult:
    return _close(request, handoff_id, body.agent_id, "handed_back")


@router.post(
    "/handoffs/{handoff_id}/resolve",
    response_model=ActionResult,
    summary="Close the handoff as resolved (the assistant answers the customer's next message)",
    responses={409: {"description": "The handoff is closed already"}},
)
def resolve(handoff_id: str, body: AgentAction, request: Request) -> ActionResult:
    return _close(request, handoff_id, body.agent_id, "resolved")
