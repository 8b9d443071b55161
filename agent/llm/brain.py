"""The LLM brain: understanding, tool-calling plans and phrasing by a chat model.

`LLMBrain` implements `agent.brain.Brain` for the conversation graph:

- `understand` asks the model to call `classify_message` (forced); any failure or an invalid
  classification gives the fallback brain's understanding instead. A plain yes or no to a
  pending change needs no model: it is `affirm` or `deny`.
- `act` first settles a pending change: on a plain "yes" (decided by code) it makes exactly the
  proposed change and sends the written record itself; then it runs a bounded tool-calling loop
  (`LLMConfig.max_steps` requests, `LLMConfig.budget` seconds). A change tool ends the turn with
  a proposal and Cerebro's own confirmation question; `transfer_to_human` ends it with an
  escalation; a text answer ends it with that reply.
- On a timeout, connection error, rate limit or 5xx after retries, a refusal, a malformed answer
  (broken tool-call JSON, an unknown tool, nothing said) or too many steps, the turn is played by
  the fallback brain (the offline brain) with the same tools facade, so the customer's message
  is answered and nothing done so far is lost. Endpoint trouble also opens a breaker: for
  `LLMConfig.cooldown` seconds every turn goes to the fallback brain without waiting on the
  model again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.brain import (
    Brain,
    EscalationRequest,
    HistoryLine,
    Outcome,
    TurnRequest,
    Understanding,
)
from agent.customer_tools import CustomerTools
from agent.llm.client import LLMConfig, ModelClient, ModelFailure
from agent.llm.prompts import Prompts, prompts_for
from agent.llm.toolkit import (
    TOOLS,
    Answered,
    Escalated,
    Proposed,
    TurnTools,
    change_call_args,
    make_confirmed_change,
)
from agent.nlu.types import EntityKind, Intent
from agent.state import PendingChange
from tools.errors import ToolError

log = logging.getLogger(__name__)

TRIPPING = frozenset({"timeout", "connection", "rate_limited", "server_error", "budget"})
"""Failures that say the endpoint is in trouble (they open the breaker), unlike a refusal or a
malformed answer, which are about one request."""

HISTORY_FOR_UNDERSTANDING = 4
CONFIRMED_CALL_ID = "call_confirmed_change"


class Entity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EntityKind
    value: str = Field(min_length=1, max_length=200)


class Classification(BaseModel):
    """The arguments of `classify_message`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    intent: Intent
    confidence: float = Field(ge=0.0, le=1.0)
    entities: list[Entity] = Field(default_factory=list)
    """Values found in the message, in order of appearance."""


CLASSIFY_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "classify_message",
        "description": "Record what the customer's message asks for.",
        "parameters": {
            key: value
            for key, value in Classification.model_json_schema().items()
            if key not in ("title", "description")
        },
    },
}


def history_messages(history: Sequence[HistoryLine]) -> list[BaseMessage]:
    """Earlier messages as chat messages: the customer's as user turns, the assistant's and
    human agents' as assistant turns; status lines are left out."""
    messages: list[BaseMessage] = []
    for line in history:
        if line.source == "customer":
            messages.append(HumanMessage(line.text))
        elif line.source in ("ai_agent", "human_agent"):
            messages.append(AIMessage(line.text))
    return messages


def _text(message: AIMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content.strip()
    return "".join(
        str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content
    ).strip()


class LLMBrain:
    """A `Brain` driven by a chat model, falling back to `fallback` (see the module docstring)."""

    name = "llm"

    def __init__(
        self,
        config: LLMConfig,
        fallback: Brain,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.fallback = fallback
        self._client = ModelClient(config, monotonic=monotonic)
        self._monotonic = monotonic
        self._open_until = float("-inf")
        self._lock = threading.Lock()

    # --- the breaker ---------------------------------------------------------------------------

    @property
    def model_available(self) -> bool:
        """False while the breaker is open after endpoint trouble."""
        return self._monotonic() >= self._open_until

    def _failed(self, step: str, failure: ModelFailure) -> None:
        log.warning("LLM brain falls back", extra={"step": step, "failure": failure.kind})
        if failure.kind in TRIPPING:
            with self._lock:
                self._open_until = self._monotonic() + self.config.cooldown

    # --- understand ----------------------------------------------------------------------------

    def understand(self, request: TurnRequest) -> Understanding:
        if request.pending_change is not None and request.affirmation is not None:
            # the answer to Cerebro's confirmation question, as code read it: nothing to ask
            return Understanding("affirm" if request.affirmation == "yes" else "deny", 1.0)
        if not self.model_available:
            return self.fallback.understand(request)
        prompts = prompts_for(request.language)
        messages: list[BaseMessage] = [
            SystemMessage(prompts.understand),
            *history_messages(request.history[-HISTORY_FOR_UNDERSTANDING:]),
            HumanMessage(request.text),
        ]
        try:
            answer = self._client.complete(
                messages,
                tools=[CLASSIFY_TOOL],
                tool_choice="classify_message",
                deadline=self._client.deadline(),
            )
            return self._classification(answer)
        except ModelFailure as failure:
            self._failed("understand", failure)
            return self.fallback.understand(request)

    @staticmethod
    def _classification(answer: AIMessage) -> Understanding:
        calls = [c for c in answer.tool_calls if c["name"] == "classify_message"]
        if not calls:
            raise ModelFailure("malformed", "no classify_message call")
        try:
            found = Classification.model_validate(calls[0]["args"])
        except ValidationError as error:
            raise ModelFailure("malformed", f"bad classification: {error}") from None
        return Understanding(
            found.intent,
            found.confidence,
            tuple((entity.kind, entity.value.strip()) for entity in found.entities),
        )

    # --- act -----------------------------------------------------------------------------------

    def act(
        self, request: TurnRequest, understanding: Understanding, tools: CustomerTools
    ) -> Outcome:
        if not self.model_available:
            return self.fallback.act(request, understanding, tools)
        prompts = prompts_for(request.language)
        turn = TurnTools(tools)
        settled: PendingChange | None = None
        messages: list[BaseMessage] = []
        context: list[str] = []
        change = request.pending_change
        if change is not None:
            described = prompts.describe(change)
            if request.affirmation == "yes":
                settled = change
                made, result = make_confirmed_change(tools, change)
                if made:
                    self._send_record(tools, prompts, described)
                context.append(
                    prompts.phrase(
                        "context.confirmed" if made else "context.confirmed_failed",
                        change=described,
                    )
                )
                messages = [
                    AIMessage(
                        "",
                        tool_calls=[
                            {
                                "name": change["action"],
                                "args": change_call_args(change),
                                "id": CONFIRMED_CALL_ID,
                            }
                        ],
                    ),
                    ToolMessage(json.dumps(result), tool_call_id=CONFIRMED_CALL_ID),
                ]
            else:
                key = "context.declined" if request.affirmation == "no" else "context.lapsed"
                context.append(prompts.phrase(key, change=described))
        try:
            return self._loop(request, prompts, turn, context, messages)
        except ModelFailure as failure:
            self._failed("act", failure)
            if settled is None:
                return self.fallback.act(request, understanding, tools)
            if tools.changed:
                reply = prompts.phrase("done", change=prompts.describe(settled))
                return Outcome(reply=reply)
            return Outcome(
                reply="",
                escalate=EscalationRequest(
                    "tool_failure", f"a confirmed change failed and the model is {failure.kind}"
                ),
            )

    def _send_record(self, tools: CustomerTools, prompts: Prompts, described: str) -> None:
        """The written record of a change just made, on the customer's preferred channel."""
        customer = tools.customer
        assert customer is not None
        try:
            tools.notify(
                prompts.phrase("record.body", first_name=customer["first_name"], change=described),
                prompts.phrase("record.subject", change=described),
            )
        except ToolError as error:
            log.warning("the written record was not sent", extra={"code": error.code})

    def _context(self, prompts: Prompts, tools: CustomerTools, extra: list[str]) -> str:
        customer = tools.customer
        who = (
            prompts.phrase("context.verified", first_name=customer["first_name"])
            if customer is not None
            else prompts.phrase("context.unverified")
        )
        return "\n\n".join([who, *extra])

    def _loop(
        self,
        request: TurnRequest,
        prompts: Prompts,
        turn: TurnTools,
        context: list[str],
        prelude: list[BaseMessage],
    ) -> Outcome:
        deadline = self._client.deadline()
        conversation: list[BaseMessage] = [
            *history_messages(request.history),
            HumanMessage(request.text),
            *prelude,
        ]
        for step in range(self.config.max_steps):
            system = SystemMessage(
                prompts.system_prompt(self._context(prompts, turn.facade, context))
            )
            answer = self._client.complete(
                [system, *conversation], tools=turn.offered(), deadline=deadline
            )
            log.info(
                "LLM step",
                extra={"step": step, "calls": len(answer.tool_calls), "prompts": prompts.versions},
            )
            if answer.invalid_tool_calls:
                raise ModelFailure("malformed", "a tool call's arguments are not valid JSON")
            unknown = [c["name"] for c in answer.tool_calls if c["name"] not in TOOLS]
            if unknown or any(not c.get("id") for c in answer.tool_calls):
                raise ModelFailure("malformed", f"unknown tools or missing ids: {unknown}")
            if not answer.tool_calls:
                reply = _text(answer)
                if not reply:
                    raise ModelFailure("malformed", "the model said nothing")
                return Outcome(reply=reply)
            conversation.append(answer)
            outcome = self._run_calls(answer, turn, prompts, conversation)
            if outcome is not None:
                return outcome
        raise ModelFailure("malformed", f"no answer after {self.config.max_steps} steps")

    def _run_calls(
        self,
        answer: AIMessage,
        turn: TurnTools,
        prompts: Prompts,
        conversation: list[BaseMessage],
    ) -> Outcome | None:
        """Run the answer's tool calls, appending their results; the outcome when one of them
        ends the turn (a proposal or an escalation)."""
        proposal: PendingChange | None = None
        escalation: Escalated | None = None
        for call in answer.tool_calls:
            result = turn.run(call["name"], call["args"])
            content: Any
            if isinstance(result, Answered):
                content = result.content
            elif isinstance(result, Proposed) and proposal is None:
                proposal = result.change
                content = {"status": "the customer is being asked to confirm this change"}
            elif isinstance(result, Proposed):
                content = {"error": "one_change_at_a_time", "message": "propose it afterwards"}
            else:
                escalation = result
                content = {"status": "a human agent will take over"}
            conversation.append(ToolMessage(json.dumps(content), tool_call_id=call["id"]))
        if proposal is not None:
            question = prompts.phrase("confirm", change=prompts.describe(proposal, turn.item_names))
            return Outcome(reply=question, proposal=proposal)
        if escalation is not None:
            return Outcome(
                reply="", escalate=EscalationRequest(escalation.reason, escalation.detail)
            )
        return None
