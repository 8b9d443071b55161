"""The chat API: conversations with the support assistant, their events, and human takeover.

A customer only ever sees their own conversation: creating one returns a secret token, and every
customer call for that conversation needs it as `Authorization: Bearer <token>`. A customer id is
accepted at creation only from the site's backend (with the admin token), for a customer its web
session already identified; never from a message. Human agents and the agent console use the
admin token (`CEREBRO_ADMIN_TOKEN`) to post messages, take over and hand back.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from agent.locks import ConversationBusyError
from agent.runtime import AgentRuntime, build_runtime
from agent.service import (
    ConversationNotFoundError,
    ConversationService,
    ModeError,
    TurnResult,
)
from agent.state import ConversationState, Customer, Turn, verified_customer
from api.problems import Problem
from cerebro.clock import SystemClock
from cerebro.settings import Settings
from memory.vocabulary import Language
from tools.errors import ConflictError, ErrorCode, NotFoundError, ToolError

logger = logging.getLogger("cerebro.api.conversations")

POLL_SECONDS = 2.0
"""How often an event stream re-reads the conversation when no change was signalled (changes
made by another process of a scaled deployment arrive this way)."""
KEEPALIVE_SECONDS = 15.0
MAX_TEXT = 2000

TOOL_ERROR_STATUS: dict[ErrorCode, int] = {
    "not_found": 404,
    "rule_violation": 422,
    "invalid_input": 400,
    "unavailable": 503,
    "conflict": 409,
}
"""The HTTP status of each `tools.errors.ToolError` code, where one surfaces in this API."""


class EventHub:
    """Wakes the event streams of a conversation when the service changed it (this process)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: defaultdict[str, set[asyncio.Event]] = defaultdict(set)

    def notify(self, conversation_id: str) -> None:
        """Called from any thread after a conversation changed."""
        self._loop.call_soon_threadsafe(self._wake, conversation_id)

    def _wake(self, conversation_id: str) -> None:
        for event in self._waiting.get(conversation_id, ()):
            event.set()

    async def wait(self, conversation_id: str, timeout: float) -> None:
        """Return when the conversation changes, or after `timeout` seconds."""
        event = asyncio.Event()
        self._waiting[conversation_id].add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            self._waiting[conversation_id].discard(event)
            if not self._waiting[conversation_id]:
                del self._waiting[conversation_id]


AssistantStatus = Literal["not_started", "starting", "ready", "failed"]
"""Where the process's assistant is: not built yet, loading its models, answering at full speed,
or failed to warm up (it will try again on the next message)."""


class AgentHolder:
    """The process's assistant, built on first use (so an app that never chats never loads the
    models) unless the app was given one in `app.state.agent` before starting, or was created to
    start it at once (`create_app(start_assistant=True)`, as `cerebro serve` does)."""

    def __init__(self, app: FastAPI, hub: EventHub) -> None:
        self._app = app
        self._hub = hub
        self._lock = threading.Lock()
        given: AgentRuntime | None = getattr(app.state, "agent", None)
        self._runtime = given
        self._owned = given is None
        self.status: AssistantStatus = "not_started" if given is None else "ready"
        if given is not None:
            given.service.subscribe(hub.notify)

    def get(self) -> AgentRuntime:
        with self._lock:
            if self._runtime is None:
                self.status = "starting"
                state = self._app.state
                self._runtime = build_runtime(state.settings, state.db, SystemClock())
                self._runtime.service.subscribe(self._hub.notify)
                threading.Thread(
                    target=self._warm_up,
                    args=(self._runtime,),
                    name="assistant-warm-up",
                    daemon=True,
                ).start()
            return self._runtime

    def start_in_background(self) -> None:
        """Build and warm the assistant now, so the first customer does not wait for the models."""
        self.status = "starting"
        threading.Thread(target=self._start, name="assistant-start", daemon=True).start()

    def _start(self) -> None:
        try:
            self.get()
        except Exception:
            self.status = "failed"
            logger.exception("starting the assistant failed; it will try again on first use")

    def _warm_up(self, runtime: AgentRuntime) -> None:
        """Load the models and index the knowledge base now, not on the first message."""
        try:
            runtime.warm_up()
        except Exception:
            self.status = "failed"
            logger.exception("warming up the assistant failed; it will load on first use")
        else:
            self.status = "ready"

    def close(self) -> None:
        with self._lock:
            if self._owned and self._runtime is not None:
                self._runtime.close()
                self._runtime = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    hub = EventHub(asyncio.get_running_loop())
    holder = AgentHolder(app, hub)
    app.state.agent_holder = holder
    app.state.agent_events = hub
    if getattr(app.state, "start_assistant", False):
        holder.start_in_background()
    try:
        yield
    finally:
        holder.close()


router = APIRouter(prefix="/v1/conversations", tags=["conversations"], lifespan=lifespan)
bearer = HTTPBearer(auto_error=False, description="The conversation's token, or the admin token")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


# --- models --------------------------------------------------------------------------------------


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewConversation(Model):
    language: Language | None = None
    """Fix the language (`en` or `es`); without it the assistant follows the customer's."""
    customer_id: str | None = Field(default=None, min_length=1, max_length=32)
    """A customer the caller's web session already identified; needs the admin token."""


class CustomerOut(BaseModel):
    id: str
    first_name: str
    verified_by: str


class SentimentOut(BaseModel):
    label: Literal["negative", "neutral", "positive"]
    score: float


class ToolCallOut(BaseModel):
    tool: str
    args: dict[str, Any]
    ok: bool
    error: str | None
    outcome: str


class TurnOut(BaseModel):
    id: str
    offset: int
    source: Literal["customer", "ai_agent", "human_agent", "system"]
    kind: Literal["message", "status"]
    text: str
    at: str
    language: str | None
    intent: str | None
    confidence: float | None
    sentiment: SentimentOut | None
    mode: Literal["ai", "human"]
    tool_calls: list[ToolCallOut]
    author: str | None


class HandoffOut(BaseModel):
    reason: str
    status: str
    handoff_id: str | None
    at: str


class ConversationCreated(BaseModel):
    id: str
    token: str
    """Send it as `Authorization: Bearer <token>` on every call for this conversation. It is
    shown once and cannot be recovered."""
    language: Language
    mode: Literal["ai", "human"]
    created_at: str
    customer: CustomerOut | None


class NewMessage(Model):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class MessageReply(BaseModel):
    """The answer to a customer message, and what the assistant made of it."""

    conversation_id: str
    mode: Literal["ai", "human"]
    language: Language
    reply: str | None
    """The assistant's answer; null in human mode, where a human agent answers (see events)."""
    intent: str | None
    """Null in human mode, and when the message was handed off before being understood."""
    confidence: float | None
    sentiment: SentimentOut | None
    tool_calls: list[ToolCallOut]
    handoff: HandoffOut | None
    turns: list[TurnOut]
    """Every transcript entry this message added (customer, assistant, status)."""
    elapsed_ms: float


class Transcript(BaseModel):
    conversation_id: str
    mode: Literal["ai", "human"]
    language: Language
    created_at: str
    customer: CustomerOut | None
    handoff: HandoffOut | None
    turns: list[TurnOut]


class AgentMessage(Model):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    author: str = Field(min_length=1, max_length=120)
    """The human agent writing (an agent id or name)."""


class HandBack(Model):
    author: str = Field(min_length=1, max_length=120)


class AgentResult(BaseModel):
    conversation_id: str
    mode: Literal["ai", "human"]
    turns: list[TurnOut]


# --- helpers -------------------------------------------------------------------------------------


def _runtime(request: Request) -> AgentRuntime:
    holder: AgentHolder | None = getattr(request.app.state, "agent_holder", None)
    if holder is None:
        raise Problem(503, "The assistant is not running.")
    return holder.get()


def _service(request: Request) -> ConversationService:
    return _runtime(request).service


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, type_="/problems/unauthorized")


def _is_admin(request: Request, credentials: HTTPAuthorizationCredentials | None) -> bool:
    settings: Settings = request.app.state.settings
    if credentials is None or settings.admin_token is None:
        return False
    expected = settings.admin_token.get_secret_value().encode()
    return hmac.compare_digest(credentials.credentials.encode(), expected)


def _require_admin(request: Request, credentials: HTTPAuthorizationCredentials | None) -> None:
    settings: Settings = request.app.state.settings
    if settings.admin_token is None:
        raise Problem(403, "The agent API is disabled: set CEREBRO_ADMIN_TOKEN to enable it.")
    if not _is_admin(request, credentials):
        raise _unauthorized("This needs the admin token as a Bearer token.")


def _not_found(conversation_id: str) -> Problem:
    return Problem(404, f"There is no conversation {conversation_id}.", type_="/problems/not-found")


def _require_customer_token(
    service: ConversationService,
    conversation_id: str,
    credentials: HTTPAuthorizationCredentials | None,
) -> None:
    if credentials is None:
        raise _unauthorized("Send the conversation's token as `Authorization: Bearer <token>`.")
    try:
        allowed = service.authorized(conversation_id, credentials.credentials)
    except ConversationNotFoundError:
        raise _not_found(conversation_id) from None
    if not allowed:
        raise _unauthorized("This token is not the conversation's token.")


def _load(service: ConversationService, conversation_id: str) -> ConversationState:
    try:
        return service.get(conversation_id)
    except ConversationNotFoundError:
        raise _not_found(conversation_id) from None


def tool_problem(error: ToolError) -> Problem:
    """A tool error as a problem, with the status its code maps to."""
    return Problem(
        TOOL_ERROR_STATUS[error.code], error.message, type_=f"/problems/tool/{error.code}"
    )


def _turns(turns: list[Turn] | tuple[Turn, ...]) -> list[TurnOut]:
    return [TurnOut.model_validate(turn) for turn in turns]


def _customer(customer: Customer | None) -> CustomerOut | None:
    if customer is None:
        return None
    return CustomerOut(
        id=customer["id"], first_name=customer["first_name"], verified_by=customer["verified_by"]
    )


def _handoff(state: ConversationState) -> HandoffOut | None:
    handoff = state.get("handoff")
    return None if handoff is None else HandoffOut.model_validate(handoff)


def _busy() -> Problem:
    return Problem(
        409,
        "Another message of this conversation is still being answered; send this one again.",
        type_="/problems/conversation-busy",
    )


# --- customer endpoints --------------------------------------------------------------------------


@router.post(
    "",
    status_code=201,
    response_model=ConversationCreated,
    summary="Start a conversation",
    responses={401: {"description": "A customer id without the admin token"}},
)
def create_conversation(
    request: Request, credentials: Credentials, body: NewConversation | None = None
) -> ConversationCreated:
    service = _service(request)
    body = body or NewConversation()
    customer: Customer | None = None
    if body.customer_id is not None:
        _require_admin(request, credentials)
        try:
            profile = _runtime(request).deps.toolbox.crm.get_profile(body.customer_id)
        except ToolError as error:
            raise tool_problem(error) from None
        customer = verified_customer(profile, "session")
    created = service.create(language=body.language, customer=customer)
    state = created.state
    return ConversationCreated(
        id=created.conversation_id,
        token=created.token,
        language=state["language"],
        mode=state["mode"],
        created_at=state["created_at"],
        customer=_customer(customer),
    )


def client_key(request: Request) -> str | None:
    """Who is calling, for the per-client identity limit (`agent.identity_throttle`): a hash of
    their address, so the address itself is kept nowhere."""
    if request.client is None:
        return None
    return hashlib.sha256(f"cerebro-client:{request.client.host}".encode()).hexdigest()[:24]


def _reply(result: TurnResult) -> MessageReply:
    state = result.state
    customer_turn = result.first("customer")
    replies = [turn for turn in result.new_turns if turn["source"] == "ai_agent"]
    sentiment = customer_turn["sentiment"] if customer_turn else None
    return MessageReply(
        conversation_id=state["conversation_id"],
        mode=state["mode"],
        language=state["language"],
        reply=" ".join(turn["text"] for turn in replies) if replies else None,
        intent=customer_turn["intent"] if customer_turn else None,
        confidence=customer_turn["confidence"] if customer_turn else None,
        sentiment=SentimentOut.model_validate(sentiment) if sentiment else None,
        tool_calls=[ToolCallOut.model_validate(c) for t in replies for c in t["tool_calls"]],
        handoff=_handoff(state),
        turns=_turns(result.new_turns),
        elapsed_ms=round(result.seconds * 1000, 2),
    )


@router.post(
    "/{conversation_id}/messages",
    response_model=MessageReply,
    summary="Send a customer message and get the assistant's reply",
)
def post_message(
    conversation_id: str, body: NewMessage, request: Request, credentials: Credentials
) -> MessageReply:
    service = _service(request)
    _require_customer_token(service, conversation_id, credentials)
    try:
        result = service.post_message(conversation_id, body.text, client=client_key(request))
    except ConversationBusyError:
        raise _busy() from None
    return _reply(result)


@router.get(
    "/{conversation_id}/transcript",
    response_model=Transcript,
    summary="Read the transcript (the conversation's token, or the admin token)",
)
def transcript(conversation_id: str, request: Request, credentials: Credentials) -> Transcript:
    service = _service(request)
    if not _is_admin(request, credentials):
        _require_customer_token(service, conversation_id, credentials)
    state = _load(service, conversation_id)
    return Transcript(
        conversation_id=conversation_id,
        mode=state["mode"],
        language=state["language"],
        created_at=state["created_at"],
        customer=_customer(state.get("customer")),
        handoff=_handoff(state),
        turns=_turns(state.get("turns") or []),
    )


def _event(name: str, data: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _stream_once(state: ConversationState, after: int, mode: str | None) -> Iterator[str]:
    for turn in state.get("turns") or []:
        if turn["offset"] > after:
            yield _event("turn", TurnOut.model_validate(turn).model_dump(), turn["offset"])
    if state["mode"] != mode:
        yield _event("mode", {"mode": state["mode"], "handoff": state.get("handoff")})


@router.get(
    "/{conversation_id}/events",
    summary="Server-sent events: every new transcript entry (`turn`) and mode change (`mode`)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(
    conversation_id: str,
    request: Request,
    credentials: Credentials,
    after: Annotated[int, Query(ge=-1, description="Only entries after this offset")] = -1,
    last_event_id: Annotated[int | None, Header()] = None,
    max_seconds: Annotated[
        float, Query(gt=0, le=3600, description="Close the stream after this long")
    ] = 300.0,
) -> StreamingResponse:
    service = _service(request)
    if _is_admin(request, credentials):
        await run_in_threadpool(_load, service, conversation_id)
    else:
        await run_in_threadpool(_require_customer_token, service, conversation_id, credentials)
    hub: EventHub = request.app.state.agent_events
    start = last_event_id if last_event_id is not None else after

    async def stream() -> AsyncIterator[str]:
        sent, mode = start, None
        ends = time.monotonic() + max_seconds
        quiet_since = time.monotonic()
        while time.monotonic() < ends and not await request.is_disconnected():
            state = await run_in_threadpool(service.get, conversation_id)
            chunks = list(_stream_once(state, sent, mode))
            turns = state.get("turns") or []
            sent = max([sent, *(turn["offset"] for turn in turns)])
            mode = state["mode"]
            for chunk in chunks:
                yield chunk
            if chunks:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
                yield ": keep-alive\n\n"
                quiet_since = time.monotonic()
            await hub.wait(conversation_id, min(POLL_SECONDS, max(0.0, ends - time.monotonic())))

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# --- human agents --------------------------------------------------------------------------------


def _agent_result(result: TurnResult) -> AgentResult:
    return AgentResult(
        conversation_id=result.state["conversation_id"],
        mode=result.state["mode"],
        turns=_turns(result.new_turns),
    )


@router.post(
    "/{conversation_id}/agent/messages",
    response_model=AgentResult,
    summary="A human agent writes to the customer (taking the conversation over if needed)",
)
def agent_message(
    conversation_id: str, body: AgentMessage, request: Request, credentials: Credentials
) -> AgentResult:
    _require_admin(request, credentials)
    service = _service(request)
    _load(service, conversation_id)
    try:
        return _agent_result(service.post_agent_message(conversation_id, body.text, body.author))
    except ConversationBusyError:
        raise _busy() from None


@router.post(
    "/{conversation_id}/agent/handback",
    response_model=AgentResult,
    summary="A human agent hands the conversation back to the assistant",
)
def hand_back(
    conversation_id: str, body: HandBack, request: Request, credentials: Credentials
) -> AgentResult:
    _require_admin(request, credentials)
    service = _service(request)
    _load(service, conversation_id)
    try:
        result = service.hand_back(conversation_id, body.author)
    except ModeError as error:
        raise Problem(409, str(error), type_="/problems/wrong-mode") from None
    except ConversationBusyError:
        raise _busy() from None
    _close_handoff(request, result.state)
    return _agent_result(result)


def _close_handoff(request: Request, state: ConversationState) -> None:
    """Close the routing handoff of a handed-back conversation, so it leaves the agents' queue
    and the conversation can be handed off again (already closed: nothing to do)."""
    handoff, customer = state.get("handoff"), state.get("customer")
    if handoff is None or handoff["handoff_id"] is None:
        return
    routing = _runtime(request).deps.toolbox.routing
    customer_id = None if customer is None else customer["id"]  # None: an unverified visitor's
    try:
        routing.close_handoff(customer_id, handoff["handoff_id"], outcome="handed_back")
    except (ConflictError, NotFoundError):
        pass
    except ToolError as error:  # the hand-back stands; the routing service stays behind
        logger.warning("handoff %s not closed: %s", handoff["handoff_id"], error.code)
