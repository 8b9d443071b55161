"""What the local OpenAI protocol server was asked and what it answers: requests, scripted
replies and failures, and the script that picks one per request.

A test builds a `Script` of steps. Each request goes to the first step that still has uses left
and whose `when` predicate matches the request; the step's answer is a `Reply` (text and/or tool
calls), a `Failure` (an HTTP error exactly as OpenAI sends it) or a function of the request that
returns one of them (to answer from what the model was sent, e.g. a tool result).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

# --- What the model was sent -------------------------------------------------------------------


def _text_of(content: Any) -> str:
    """The text of a message's `content`: a string, or a list of parts of which text ones count."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))


@dataclass(frozen=True)
class ChatRequest:
    """One `POST /v1/chat/completions` the server received: its JSON body and headers."""

    body: Mapping[str, Any]
    headers: Mapping[str, str]

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream", False))

    @property
    def include_usage(self) -> bool:
        options = self.body.get("stream_options") or {}
        return bool(options.get("include_usage", False))

    @property
    def tools(self) -> list[dict[str, Any]]:
        return list(self.body.get("tools") or [])

    @property
    def tool_names(self) -> list[str]:
        return [tool["function"]["name"] for tool in self.tools]

    def tool_schema(self, name: str) -> dict[str, Any]:
        """The JSON schema of the parameters of the tool called `name`."""
        for tool in self.tools:
            if tool["function"]["name"] == name:
                return dict(tool["function"].get("parameters") or {})
        raise KeyError(name)

    @property
    def system_text(self) -> str:
        """Every system (or developer) message's text, joined."""
        return "\n".join(
            _text_of(message.get("content"))
            for message in self.messages
            if message.get("role") in ("system", "developer")
        )

    @property
    def last(self) -> dict[str, Any]:
        return self.messages[-1] if self.messages else {}

    @property
    def last_user_text(self) -> str | None:
        """The text of the last message if it is the user's, else None."""
        if self.last.get("role") != "user":
            return None
        return _text_of(self.last.get("content"))

    def tool_call_names(self) -> dict[str, str]:
        """Every tool call id the assistant made in the conversation sent, to its tool's name."""
        names: dict[str, str] = {}
        for message in self.messages:
            for call in message.get("tool_calls") or ():
                names[str(call["id"])] = str(call["function"]["name"])
        return names

    def trailing_tool_results(self) -> list[ToolResult]:
        """The `tool` messages that end the conversation sent (the answers to the last calls)."""
        names = self.tool_call_names()
        results: list[ToolResult] = []
        for message in reversed(self.messages):
            if message.get("role") != "tool":
                break
            call_id = str(message.get("tool_call_id"))
            content = _text_of(message.get("content"))
            results.append(ToolResult(call_id, names.get(call_id, ""), content))
        return list(reversed(results))

    @property
    def raw(self) -> str:
        """The whole body as JSON text, to assert what was never sent to the model."""
        return json.dumps(self.body, ensure_ascii=False)


@dataclass(frozen=True)
class ToolResult:
    """A `tool` message: the id of the call it answers, that call's tool, and its content."""

    tool_call_id: str
    name: str
    content: str

    def json(self) -> Any:
        """The content parsed as JSON."""
        return json.loads(self.content)


# --- What the server answers -------------------------------------------------------------------


@dataclass(frozen=True)
class ToolCall:
    """A tool call the model makes. `arguments` as a string is sent verbatim (e.g. broken JSON)."""

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str | None = None
    """The call id; the server numbers calls `call_1`, `call_2`... when none is given."""

    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(dict(self.arguments), ensure_ascii=False)


FinishReason = Literal["stop", "tool_calls", "length", "content_filter"]


@dataclass(frozen=True)
class Reply:
    """One assistant message: text, tool calls, or both, sent after `delay` seconds."""

    content: str | None = None
    tool_calls: Sequence[ToolCall] = ()
    delay: float = 0.0
    finish_reason: FinishReason | None = None
    """Defaults to `tool_calls` when there are calls, else `stop`."""

    @property
    def finish(self) -> FinishReason:
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"


def call(name: str, **arguments: Any) -> Reply:
    """A reply that calls one tool with `arguments`."""
    return Reply(tool_calls=(ToolCall(name, arguments),))


def say(text: str, *, delay: float = 0.0) -> Reply:
    """A reply with text only."""
    return Reply(content=text, delay=delay)


@dataclass(frozen=True)
class Failure:
    """An HTTP error as OpenAI sends it: `{"error": {"message", "type", "param", "code"}}`."""

    status: int
    message: str
    type: str
    code: str | None = None
    retry_after: float | None = None
    """Seconds sent in `Retry-After` (and `retry-after-ms`), which the client honours."""
    delay: float = 0.0

    def body(self) -> dict[str, Any]:
        return {
            "error": {"message": self.message, "type": self.type, "param": None, "code": self.code}
        }

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {
            "retry-after": f"{self.retry_after:g}",
            "retry-after-ms": str(round(self.retry_after * 1000)),
        }


def rate_limited(retry_after: float = 0.05) -> Failure:
    """A 429 as OpenAI sends it when a rate limit is hit."""
    return Failure(
        429,
        "Rate limit reached for requests. Please try again shortly.",
        "requests",
        "rate_limit_exceeded",
        retry_after=retry_after,
    )


def server_error() -> Failure:
    """A 500 as OpenAI sends it."""
    return Failure(
        500,
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
    )


@dataclass(frozen=True)
class Raw:
    """Any HTTP answer, sent as it is: for servers that break the protocol."""

    status: int
    body: str
    content_type: str = "application/json"
    delay: float = 0.0


Answer = Reply | Failure | Raw
Responder = Callable[[ChatRequest], Answer]
Predicate = Callable[[ChatRequest], bool]


def user_says(*fragments: str) -> Predicate:
    """The last message is the user's and contains every fragment (case-insensitive)."""

    def matches(request: ChatRequest) -> bool:
        text = request.last_user_text
        return text is not None and all(part.lower() in text.lower() for part in fragments)

    return matches


def after_tool(name: str) -> Predicate:
    """The conversation sent ends with the result of a call to tool `name`."""

    def matches(request: ChatRequest) -> bool:
        return any(result.name == name for result in request.trailing_tool_results())

    return matches


@dataclass
class Step:
    """One scripted answer; used at most `times` times (forever when None), when `when` holds."""

    answer: Answer | Responder
    when: Predicate | None = None
    times: int | None = 1
    used: int = 0

    def open_for(self, request: ChatRequest) -> bool:
        if self.times is not None and self.used >= self.times:
            return False
        return self.when is None or self.when(request)


class Script:
    """The steps the server answers from, and every request it saw (thread-safe)."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.requests: list[ChatRequest] = []
        self.unscripted: list[ChatRequest] = []
        """Requests no step answered (the server sent them a 500)."""
        self.broken: list[str] = []
        """Errors raised by responders (the server sent a 500 for each)."""
        self._lock = threading.Lock()

    def then(
        self, *answers: Answer | Responder, when: Predicate | None = None, times: int | None = 1
    ) -> Script:
        """Append one step per answer, in order."""
        with self._lock:
            self.steps.extend(Step(answer, when, times) for answer in answers)
        return self

    def always(self, answer: Answer | Responder, *, when: Predicate | None = None) -> Script:
        """Append a step that never runs out."""
        return self.then(answer, when=when, times=None)

    def answer(self, request: ChatRequest) -> Answer | None:
        """Record `request` and pick its answer (None when no step is open)."""
        with self._lock:
            self.requests.append(request)
            step = next((step for step in self.steps if step.open_for(request)), None)
            if step is None:
                self.unscripted.append(request)
                return None
            step.used += 1
        if not callable(step.answer):
            return step.answer
        try:
            return step.answer(request)
        except Exception as error:
            self.broken.append(f"{type(error).__name__}: {error}")
            return Failure(500, f"the script's responder failed: {error}", "server_error")

    @property
    def pending(self) -> list[Step]:
        """Steps with a limited number of uses not all used."""
        return [s for s in self.steps if s.times is not None and s.used < s.times]

    def assert_done(self) -> None:
        """Every limited step was used, every request was scripted, no responder failed."""
        assert not self.broken, f"responders failed: {self.broken}"
        assert not self.unscripted, f"unscripted requests: {[r.last for r in self.unscripted]}"
        assert not self.pending, f"unused steps: {[s.answer for s in self.pending]}"
