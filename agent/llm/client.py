"""The model client: `ChatOpenAI` against any OpenAI-compatible endpoint, within a time budget.

`ModelClient.complete` makes one chat completion (with tools, optionally streamed) and either
returns the assistant message or raises `ModelFailure` before the caller's deadline. Retries of
429s, 5xx answers and connection errors are done here rather than inside the `openai` client,
because that client honours a server's `Retry-After` of up to two minutes: here no wait or
request ever runs past the deadline.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import openai
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from cerebro.settings import Settings

log = logging.getLogger(__name__)

FailureKind = Literal[
    "timeout", "connection", "rate_limited", "server_error", "refused", "malformed", "budget"
]

UNUSED_KEY = "not-needed"
"""The key sent to a local server that asks for none (the `openai` client insists on one)."""

FIRST_BACKOFF = 0.5
MAX_BACKOFF = 4.0


@dataclass(frozen=True, slots=True)
class LLMConfig:
    """How the LLM brain reaches its model and how long it may take.

    Attributes:
        model: The model name sent to the endpoint (`CEREBRO_LLM_MODEL`).
        base_url: The endpoint's base URL ending in `/v1` (`OPENAI_BASE_URL`); None for OpenAI.
        api_key: The bearer key (`OPENAI_API_KEY`); None for a server that wants none.
        timeout: Seconds one request may take (for a streamed answer: between two chunks).
        max_retries: How many times a 429, 5xx or connection failure is retried in a call.
        budget: Seconds all model requests of one brain call (`understand`, or the tool loop of
            `act`) may take together, retries and waits included; past it, the brain falls back.
        max_steps: Model requests per turn in the tool-calling loop.
        cooldown: Seconds the brain leaves the model alone after the endpoint failed (timeout,
            connection, rate limit, 5xx, budget), answering with its fallback brain meanwhile.
        streaming: Ask for server-sent events and assemble the answer from its chunks.
        temperature: Sampling temperature sent with every request.
    """

    model: str
    base_url: str | None = None
    api_key: SecretStr | None = None
    timeout: float = 15.0
    max_retries: int = 2
    budget: float = 25.0
    max_steps: int = 6
    cooldown: float = 30.0
    streaming: bool = False
    temperature: float = 0.0

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.budget <= 0 or self.cooldown < 0:
            raise ValueError("timeout and budget must be positive, cooldown not negative")
        if self.max_retries < 0 or self.max_steps < 1:
            raise ValueError("max_retries must be >= 0 and max_steps >= 1")

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> LLMConfig:
        """The configuration the environment gives; `overrides` set the other attributes.

        Raises ValueError when neither `OPENAI_API_KEY` nor `OPENAI_BASE_URL` is set (OpenAI
        itself needs a key; a local server may not).
        """
        key = settings.openai_api_key
        if key is None and settings.openai_base_url is None:
            raise ValueError(
                "the LLM brain needs OPENAI_API_KEY (for OpenAI) or OPENAI_BASE_URL (for any "
                "other OpenAI-compatible server)"
            )
        values: dict[str, Any] = {
            "timeout": settings.llm_timeout,
            "budget": settings.llm_budget,
            "streaming": settings.llm_streaming,
            **overrides,
        }
        return cls(
            model=settings.llm_model, base_url=settings.openai_base_url, api_key=key, **values
        )


class ModelFailure(Exception):
    """The model gave no usable answer in time; `kind` says why."""

    def __init__(self, kind: FailureKind, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


def chat_model(config: LLMConfig) -> ChatOpenAI:
    """The `ChatOpenAI` for `config`, on the Chat Completions API, retrying nothing itself."""
    return ChatOpenAI(
        model=config.model,
        base_url=config.base_url,
        api_key=config.api_key or SecretStr(UNUSED_KEY),
        timeout=config.timeout,
        max_retries=0,
        streaming=config.streaming,
        temperature=config.temperature,
        use_responses_api=False,
    )


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            continue
    return None


def _classify(error: Exception) -> tuple[ModelFailure, bool, float | None]:
    """The failure an exception of the client means, whether to retry, and the server's wait."""
    if isinstance(error, openai.APITimeoutError):
        return ModelFailure("timeout", "the model did not answer in time"), True, None
    if isinstance(error, openai.APIConnectionError):
        return ModelFailure("connection", "the model endpoint cannot be reached"), True, None
    if isinstance(error, openai.APIStatusError):
        detail = f"HTTP {error.status_code}: {error.message}"
        wait = _retry_after(error.response.headers)
        if error.status_code == 429:
            return ModelFailure("rate_limited", detail), True, wait
        if error.status_code >= 500 or error.status_code == 408:
            return ModelFailure("server_error", detail), True, wait
        return ModelFailure("refused", detail), False, None
    return ModelFailure("malformed", f"{type(error).__name__}: {error}"), False, None


class ModelClient:
    """Chat completions with tools for the brain, bounded by a deadline per call."""

    def __init__(
        self,
        config: LLMConfig,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._model = chat_model(config)
        self._monotonic = monotonic
        self._sleep = sleep

    def deadline(self) -> float:
        """The deadline of a brain call starting now (in `monotonic` seconds)."""
        return self._monotonic() + self.config.budget

    def complete(
        self,
        messages: Sequence[BaseMessage],
        *,
        tools: Sequence[dict[str, Any]],
        deadline: float,
        tool_choice: str | None = None,
    ) -> AIMessage:
        """The assistant's next message, or `ModelFailure` no later than `deadline`."""
        attempt = 0
        while True:
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                raise ModelFailure("budget", "the time budget for the model ran out")
            try:
                return self._request(messages, tools, tool_choice, remaining, deadline)
            except (openai.APIError, ValueError, LookupError, TypeError) as error:
                failure, retryable, wait = _classify(error)
            log.warning(
                "model request failed", extra={"kind": failure.kind, "attempt": attempt + 1}
            )
            if not retryable or attempt >= self.config.max_retries:
                raise failure
            attempt += 1
            pause = (
                wait if wait is not None else min(FIRST_BACKOFF * 2 ** (attempt - 1), MAX_BACKOFF)
            )
            if self._monotonic() + pause >= deadline:
                raise failure
            self._sleep(pause)

    def _request(
        self,
        messages: Sequence[BaseMessage],
        tools: Sequence[dict[str, Any]],
        tool_choice: str | None,
        remaining: float,
        deadline: float,
    ) -> AIMessage:
        timeout = min(self.config.timeout, remaining)
        runnable = (
            self._model.bind_tools(list(tools), tool_choice=tool_choice) if tools else self._model
        )
        if not self.config.streaming:
            answer = runnable.invoke(list(messages), timeout=timeout)
            if not isinstance(answer, AIMessage):
                raise TypeError(f"expected an assistant message, got {type(answer).__name__}")
            return answer
        merged: AIMessageChunk | None = None
        for chunk in runnable.stream(list(messages), timeout=timeout):
            if not isinstance(chunk, AIMessageChunk):
                raise TypeError(f"expected assistant chunks, got {type(chunk).__name__}")
            merged = chunk if merged is None else merged + chunk
            if self._monotonic() > deadline:
                raise ModelFailure("budget", "the answer was still streaming at the deadline")
        if merged is None:
            raise ValueError("the stream ended without any chunk")
        return AIMessage(
            content=merged.content,
            tool_calls=merged.tool_calls,
            invalid_tool_calls=merged.invalid_tool_calls,
            response_metadata=merged.response_metadata,
            usage_metadata=merged.usage_metadata,
            id=merged.id,
        )
