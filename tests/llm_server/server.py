"""A local server that speaks the OpenAI Chat Completions wire protocol, answering from a script.

`POST /v1/chat/completions` validates the request the way OpenAI does (roles, tool messages that
answer the assistant's tool calls by id, tool definitions), records it, and answers with the
script's next step: a `chat.completion` object, or with `"stream": true` server-sent events of
`chat.completion.chunk`s (text and tool-call deltas, a usage chunk when `stream_options` asks for
it) ending in `data: [DONE]`; or an OpenAI error body with its status (429 with `Retry-After`).
Slow answers sleep before answering; leaving `serve_openai` wakes them so shutdown is prompt.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.llm_server.script import ChatRequest, Failure, Raw, Reply, Script
from tests.web import serve_in_thread

STARTUP_TIMEOUT = 10.0
ROLES = {"system", "developer", "user", "assistant", "tool"}
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
FINGERPRINT = "fp_cerebro_local"


def validate(body: Any) -> str | None:
    """Why OpenAI would refuse this chat completions body with a 400, or None if it would not."""
    if not isinstance(body, dict):
        return "We could not parse the JSON body of your request."
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "[] is too short - 'messages'"
    for position, tool in enumerate(body.get("tools") or []):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or tool.get("type") != "function":
            return f"Invalid value for 'tools[{position}]': expected a function tool."
        if not TOOL_NAME.fullmatch(str(function.get("name", ""))):
            return f"Invalid 'tools[{position}].function.name': string does not match pattern."
    awaiting: set[str] = set()
    for position, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ROLES:
            return f"Invalid value for 'messages[{position}].role': {role!r}."
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in awaiting:
                return (
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'."
                )
            awaiting.discard(call_id)
            continue
        if awaiting:
            return (
                "An assistant message with 'tool_calls' must be followed by tool messages "
                "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                f"response messages: {', '.join(sorted(awaiting))}"
            )
        if role == "assistant":
            awaiting.update(str(call["id"]) for call in message.get("tool_calls") or ())
    if awaiting:
        return f"tool_call_ids without response messages: {', '.join(sorted(awaiting))}"
    return None


def _tokens(text: str) -> int:
    """A rough token count (4 characters a token), enough for a plausible `usage`."""
    return max(1, len(text) // 4)


def _pieces(text: str, size: int) -> list[str]:
    return [text[start : start + size] for start in range(0, len(text), size)] or [""]


class ChatCompletions:
    """The app's state: the script, call numbering and the release of slow answers."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.release = threading.Event()
        self.invalid: list[tuple[Any, str]] = []
        """Bodies refused with a 400, and why: a well-behaved client sends none."""
        self._ids = count(1)
        self._lock = threading.Lock()

    def next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    async def pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.release.is_set():
            await asyncio.sleep(min(0.01, max(0.0, deadline - time.monotonic())))

    def app(self) -> FastAPI:
        app = FastAPI(title="Local OpenAI protocol server")

        @app.post("/v1/chat/completions")
        async def chat_completions(request: Request) -> Response:
            raw = await request.body()
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            problem = validate(body)
            if problem is not None:
                self.invalid.append((body, problem))
                return self.error(Failure(400, problem, "invalid_request_error"))
            chat = ChatRequest(body, dict(request.headers))
            answer = self.script.answer(chat)
            if answer is None:
                return self.error(
                    Failure(500, "no scripted answer for this request", "server_error")
                )
            await self.pause(answer.delay)
            if isinstance(answer, Failure):
                return self.error(answer)
            if isinstance(answer, Raw):
                return Response(answer.body, answer.status, media_type=answer.content_type)
            if chat.stream:
                return StreamingResponse(self.chunks(chat, answer), media_type="text/event-stream")
            return JSONResponse(self.completion(chat, answer))

        return app

    def error(self, failure: Failure) -> Response:
        return JSONResponse(failure.body(), failure.status, headers=failure.headers())

    def _calls(self, reply: Reply) -> list[dict[str, Any]]:
        return [
            {
                "id": tool_call.id or f"call_{self.next_id()}",
                "type": "function",
                "function": {"name": tool_call.name, "arguments": tool_call.arguments_json()},
            }
            for tool_call in reply.tool_calls
        ]

    def _usage(self, chat: ChatRequest, reply: Reply, calls: list[dict[str, Any]]) -> Any:
        prompt = _tokens(json.dumps(chat.messages))
        completion = _tokens((reply.content or "") + json.dumps(calls))
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def completion(self, chat: ChatRequest, reply: Reply) -> dict[str, Any]:
        calls = self._calls(reply)
        message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
        if calls:
            message["tool_calls"] = calls
        return {
            "id": f"chatcmpl-{self.next_id()}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": chat.model,
            "system_fingerprint": FINGERPRINT,
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": reply.finish}
            ],
            "usage": self._usage(chat, reply, calls),
        }

    async def chunks(self, chat: ChatRequest, reply: Reply) -> AsyncIterator[bytes]:
        completion_id = f"chatcmpl-{self.next_id()}"
        created = int(time.time())
        calls = self._calls(reply)

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            data: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": chat.model,
                "system_fingerprint": FINGERPRINT,
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
            }
            if chat.include_usage:
                data["usage"] = None
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()

        yield chunk({"role": "assistant", "content": "", "refusal": None})
        for word in re.findall(r"\S+\s*|\s+", reply.content or ""):
            yield chunk({"content": word})
            await asyncio.sleep(0)
        for index, made in enumerate(calls):
            function = made["function"]
            head = {"name": function["name"], "arguments": ""}
            yield chunk(
                {
                    "tool_calls": [
                        {"index": index, "id": made["id"], "type": "function", "function": head}
                    ]
                }
            )
            for fragment in _pieces(function["arguments"], 7):
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
        yield chunk({}, reply.finish)
        if chat.include_usage:
            usage = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": chat.model,
                "system_fingerprint": FINGERPRINT,
                "choices": [],
                "usage": self._usage(chat, reply, calls),
            }
            yield f"data: {json.dumps(usage)}\n\n".encode()
        yield b"data: [DONE]\n\n"


@dataclass(frozen=True)
class LocalOpenAI:
    """A running server: point `OPENAI_BASE_URL` at `base_url`."""

    base_url: str
    script: Script
    state: ChatCompletions

    @property
    def requests(self) -> list[ChatRequest]:
        return self.script.requests

    @property
    def invalid(self) -> list[tuple[Any, str]]:
        return self.state.invalid


@contextmanager
def serve_openai(script: Script | None = None) -> Iterator[LocalOpenAI]:
    """Serve the chat completions protocol from `script` on a free 127.0.0.1 port."""
    state = ChatCompletions(script or Script())
    with serve_in_thread(
        state.app(),
        startup_timeout=STARTUP_TIMEOUT,
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=2,
    ) as base_url:
        try:
            yield LocalOpenAI(f"{base_url}/v1", state.script, state)
        finally:
            state.release.set()  # wake stalled answers so the server can stop
