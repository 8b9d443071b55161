"""The conversation service: creates conversations and plays their turns through the graph, one
turn at a time per conversation, and tells listeners (the event stream) when one changed."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from langchain_core.runnables import RunnableConfig

from agent.graph import ConversationGraph
from agent.locks import ConversationLocks
from agent.state import ConversationState, Customer, Inbox, Source, Turn
from cerebro.clock import Clock
from memory.vocabulary import Language

log = logging.getLogger(__name__)

TOKEN_HASHES_KEPT = 10_000
"""Conversations whose token hash is cached in memory (a miss reads the checkpoint)."""


class ConversationNotFoundError(Exception):
    """No conversation has this id."""


class ModeError(Exception):
    """The request does not fit the conversation's mode (e.g. handing back an AI conversation)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Created:
    conversation_id: str
    token: str
    """The conversation's secret bearer token: returned once, never stored in clear."""
    state: ConversationState


@dataclass(frozen=True, slots=True)
class TurnResult:
    """The conversation after one run, and the turns that run added (oldest first)."""

    state: ConversationState
    new_turns: tuple[Turn, ...]
    seconds: float
    """How long the run took, lock wait excluded."""

    def first(self, source: Source) -> Turn | None:
        return next((turn for turn in self.new_turns if turn["source"] == source), None)


def _config(conversation_id: str, client: str | None = None) -> RunnableConfig:
    """The graph run's config: the conversation's thread, and who sent the turn (`client`, an
    opaque key the API derives from the caller's address; never stored in the checkpoint)."""
    if client is None:
        return {"configurable": {"thread_id": conversation_id}}
    return {"configurable": {"thread_id": conversation_id, "client": client}}


class ConversationService:
    """Plays conversations on a compiled graph (see `agent.graph`).

    Thread-safe: the per-conversation lock (`locks`) serializes the turns of one conversation,
    different conversations run in parallel.
    """

    def __init__(
        self,
        graph: ConversationGraph,
        clock: Clock,
        locks: ConversationLocks,
        *,
        wait: float = 30.0,
    ) -> None:
        self._graph = graph
        self._clock = clock
        self._locks = locks
        self._wait = wait
        self._hashes: OrderedDict[str, str] = OrderedDict()
        self._hashes_lock = threading.Lock()
        self._listeners: list[Callable[[str], None]] = []

    def subscribe(self, listener: Callable[[str], None]) -> None:
        """Call `listener(conversation_id)` after every run that changed a conversation."""
        self._listeners.append(listener)

    def _changed(self, conversation_id: str) -> None:
        for listener in self._listeners:
            listener(conversation_id)

    def _remember(self, conversation_id: str, digest: str) -> None:
        with self._hashes_lock:
            self._hashes[conversation_id] = digest
            self._hashes.move_to_end(conversation_id)
            while len(self._hashes) > TOKEN_HASHES_KEPT:
                self._hashes.popitem(last=False)

    # --- reading -------------------------------------------------------------------------------

    def get(self, conversation_id: str) -> ConversationState:
        """The conversation's state as of its last checkpoint."""
        values = cast(ConversationState, self._graph.get_state(_config(conversation_id)).values)
        if not values or "conversation_id" not in values:
            raise ConversationNotFoundError(conversation_id)
        self._remember(conversation_id, values["token_hash"])
        return values

    def authorized(self, conversation_id: str, token: str) -> bool:
        """Whether `token` is the conversation's token (`ConversationNotFoundError` if there
        is no such conversation)."""
        with self._hashes_lock:
            digest = self._hashes.get(conversation_id)
        if digest is None:
            digest = self.get(conversation_id)["token_hash"]
        return hmac.compare_digest(digest, token_hash(token))

    # --- writing -------------------------------------------------------------------------------

    def create(
        self, *, language: Language | None = None, customer: Customer | None = None
    ) -> Created:
        """A new conversation, optionally already verified for a logged-in `customer`."""
        conversation_id = f"conv_{uuid.uuid4().hex}"
        token = secrets.token_urlsafe(32)
        now = self._clock.now().isoformat()
        chosen: Language = language or (customer["language"] if customer else "en")
        initial: ConversationState = {
            "conversation_id": conversation_id,
            "created_at": now,
            "token_hash": token_hash(token),
            "language": chosen,
            "language_fixed": language is not None,
            "mode": "ai",
            "customer": customer,
            "flow": None,
            "pending_change": None,
            "low_confidence_streak": 0,
            "identity_failures": 0,
            "order_facts": {},
            "handoff": None,
            "notes": [],
            "turns": [],
            "inbox": Inbox(kind="open", source="system", text="", at=now, author=None),
            "perception": None,
            "understanding": None,
            "escalation": None,
            "reply": None,
            "turn_tool_calls": [],
        }
        state = cast(
            ConversationState,
            self._graph.invoke(initial, _config(conversation_id), durability="exit"),
        )
        self._remember(conversation_id, initial["token_hash"])
        return Created(conversation_id, token, state)

    def _run(
        self,
        conversation_id: str,
        inbox: Inbox,
        check: Callable[[ConversationState], None] | None = None,
        client: str | None = None,
    ) -> TurnResult:
        with self._locks.hold(conversation_id, self._wait):
            started = time.perf_counter()
            if check is not None:
                check(self.get(conversation_id))
            elif conversation_id not in self._hashes:
                self.get(conversation_id)
            update: ConversationState = {"inbox": inbox}
            state = cast(
                ConversationState,
                self._graph.invoke(update, _config(conversation_id, client), durability="exit"),
            )
            seconds = time.perf_counter() - started
        turns = state.get("turns") or []
        start = max(
            (i for i, turn in enumerate(turns) if turn["source"] == inbox["source"]),
            default=len(turns),
        )
        if (
            start > 0
            and turns[start - 1]["source"] == "system"
            and inbox["source"] == "human_agent"
        ):
            start -= 1
        result = TurnResult(state, tuple(turns[start:]), seconds)
        self._changed(conversation_id)
        return result

    def _inbox(self, kind: str, source: Source, text: str, author: str | None = None) -> Inbox:
        return Inbox(
            kind="message" if kind == "message" else "handback",
            source=source,
            text=text,
            at=self._clock.now().isoformat(),
            author=author,
        )

    def post_message(
        self, conversation_id: str, text: str, *, client: str | None = None
    ) -> TurnResult:
        """Play a customer message: the assistant's answer, or (human mode) just the record.
        `client`: who sent it (see `agent.identity_throttle`); None skips the per-client limit
        (the conversation's own limit still holds)."""
        return self._run(conversation_id, self._inbox("message", "customer", text), client=client)

    def post_agent_message(self, conversation_id: str, text: str, author: str) -> TurnResult:
        """A human agent's message; it takes the conversation over if the assistant had it."""
        return self._run(conversation_id, self._inbox("message", "human_agent", text, author))

    def hand_back(self, conversation_id: str, author: str) -> TurnResult:
        """Return a human-mode conversation to the assistant (`ModeError` if it is not)."""

        def in_human_mode(state: ConversationState) -> None:
            if state.get("mode") != "human":
                raise ModeError("the assistant already has this conversation")

        inbox = self._inbox("handback", "system", "", author)
        return self._run(conversation_id, inbox, in_human_mode)
