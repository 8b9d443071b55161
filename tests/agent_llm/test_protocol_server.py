"""The local OpenAI protocol server, checked with the official clients (openai, langchain-openai).

If these pass, what the LLM brain's tests see is what a real OpenAI-compatible endpoint sends.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import cast

import httpx
import openai
import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_openai import ChatOpenAI
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
)

from tests.llm_server import (
    ChatRequest,
    LocalOpenAI,
    Reply,
    Script,
    ToolCall,
    after_tool,
    call,
    rate_limited,
    say,
    serve_openai,
    server_error,
    user_says,
)

TRACK_TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "track_order",
        "description": "Where an order is.",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
    },
}


@pytest.fixture
def server() -> Iterator[LocalOpenAI]:
    with serve_openai() as running:
        yield running


def first_call(completion: ChatCompletion) -> ChatCompletionMessageFunctionToolCall:
    calls = completion.choices[0].message.tool_calls
    assert calls is not None and isinstance(calls[0], ChatCompletionMessageFunctionToolCall)
    return calls[0]


def as_param(completion: ChatCompletion) -> ChatCompletionMessageParam:
    """The completion's message, to send back in the conversation."""
    return cast(
        ChatCompletionMessageParam, completion.choices[0].message.model_dump(exclude_none=True)
    )


def client(server: LocalOpenAI, *, timeout: float = 5.0, max_retries: int = 0) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=server.base_url, api_key="sk-local", timeout=timeout, max_retries=max_retries
    )


def test_a_text_reply_is_a_chat_completion_with_usage(server: LocalOpenAI) -> None:
    server.script.then(say("Hello María."))
    completion = client(server).chat.completions.create(
        model="local-model", messages=[{"role": "user", "content": "hola"}]
    )
    choice = completion.choices[0]
    assert (choice.message.role, choice.message.content) == ("assistant", "Hello María.")
    assert choice.finish_reason == "stop"
    assert choice.message.tool_calls is None
    assert completion.model == "local-model"
    assert completion.usage is not None and completion.usage.total_tokens > 0
    request = server.requests[0]
    assert request.headers["authorization"] == "Bearer sk-local"
    assert request.last_user_text == "hola"
    server.script.assert_done()


def test_tool_calls_are_numbered_and_their_results_must_answer_them(server: LocalOpenAI) -> None:
    server.script.then(call("track_order", order_id="ORD-100042"), say("On its way."))
    api = client(server)
    messages: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "where is ORD-100042?"}
    ]
    first = api.chat.completions.create(
        model="m", messages=messages, tools=[TRACK_TOOL], tool_choice="auto"
    )
    assert first.choices[0].finish_reason == "tool_calls"
    tool_call = first_call(first)
    assert tool_call.function.name == "track_order"
    assert json.loads(tool_call.function.arguments) == {"order_id": "ORD-100042"}
    messages += [
        as_param(first),
        {"role": "tool", "tool_call_id": tool_call.id, "content": '{"status": "shipped"}'},
    ]
    second = api.chat.completions.create(model="m", messages=messages, tools=[TRACK_TOOL])
    assert second.choices[0].message.content == "On its way."
    (result,) = server.requests[1].trailing_tool_results()
    assert (result.tool_call_id, result.name, result.json()) == (
        tool_call.id,
        "track_order",
        {"status": "shipped"},
    )
    assert server.requests[0].tool_names == ["track_order"]
    assert server.requests[0].body["tool_choice"] == "auto"


def test_a_tool_message_that_answers_no_call_is_refused_like_openai_does(
    server: LocalOpenAI,
) -> None:
    server.script.always(say("never sent"))
    with pytest.raises(openai.BadRequestError) as refused:
        client(server).chat.completions.create(
            model="m",
            messages=[
                {"role": "user", "content": "hi"},
                {"role": "tool", "tool_call_id": "call_9", "content": "{}"},
            ],
        )
    assert "must be a response to a preceeding message with 'tool_calls'" in str(refused.value)
    assert refused.value.type == "invalid_request_error"
    assert len(server.invalid) == 1 and server.requests == []


def test_an_unanswered_tool_call_is_refused(server: LocalOpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="call_1"):
        client(server).chat.completions.create(
            model="m",
            messages=[
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "x", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "user", "content": "and?"},
            ],
        )


def test_streaming_sends_text_and_tool_call_deltas_then_usage_and_done(
    server: LocalOpenAI,
) -> None:
    server.script.then(
        Reply(
            content="Let me check that order for you.",
            tool_calls=(ToolCall("track_order", {"order_id": "ORD-100042"}),),
        )
    )
    stream = client(server).chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "where?"}],
        tools=[TRACK_TOOL],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    texts = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(texts) > 3 and "".join(texts) == "Let me check that order for you."
    fragments = [
        c.choices[0].delta.tool_calls[0]
        for c in chunks
        if c.choices and c.choices[0].delta.tool_calls
    ]
    functions = [fragment.function for fragment in fragments]
    assert all(function is not None for function in functions)
    assert fragments[0].id and functions[0] and functions[0].name == "track_order"
    arguments = "".join(f.arguments or "" for f in functions if f)
    assert len(fragments) > 2 and json.loads(arguments) == {"order_id": "ORD-100042"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None


def test_the_stream_ends_with_done(server: LocalOpenAI) -> None:
    server.script.then(say("ok"))
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    answer = httpx.post(f"{server.base_url}/chat/completions", json=body)
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = [line for line in answer.text.split("\n\n") if line]
    assert all(event.startswith("data: ") for event in events)
    assert events[-1] == "data: [DONE]"
    assert "usage" not in json.loads(events[0].removeprefix("data: "))


def test_langchain_assembles_streamed_tool_calls(server: LocalOpenAI) -> None:
    server.script.then(call("track_order", order_id="ORD-100042"))
    model = ChatOpenAI(
        model="m", base_url=server.base_url, api_key="sk", max_retries=0, use_responses_api=False
    ).bind_tools([dict(TRACK_TOOL)])
    merged: AIMessageChunk | None = None
    for piece in model.stream([HumanMessage("where?")]):
        assert isinstance(piece, AIMessageChunk)
        merged = piece if merged is None else merged + piece
    assert merged is not None
    assert [(c["name"], c["args"]) for c in merged.tool_calls] == [
        ("track_order", {"order_id": "ORD-100042"})
    ]
    assert server.requests[0].stream


def test_a_429_with_retry_after_is_retried_by_the_client(server: LocalOpenAI) -> None:
    server.script.then(rate_limited(retry_after=0.2), say("after the wait"))
    started = time.monotonic()
    completion = client(server, max_retries=1).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.choices[0].message.content == "after the wait"
    assert time.monotonic() - started >= 0.2
    assert len(server.requests) == 2


def test_errors_have_openai_bodies(server: LocalOpenAI) -> None:
    server.script.then(rate_limited(), server_error())
    api = client(server)
    with pytest.raises(openai.RateLimitError) as limited:
        api.chat.completions.create(model="m", messages=[{"role": "user", "content": "a"}])
    assert limited.value.code == "rate_limit_exceeded"
    assert limited.value.response.headers["retry-after"] == "0.05"
    with pytest.raises(openai.InternalServerError) as crashed:
        api.chat.completions.create(model="m", messages=[{"role": "user", "content": "b"}])
    assert crashed.value.type == "server_error"
    assert crashed.value.status_code == 500


def test_a_slow_answer_times_the_client_out(server: LocalOpenAI) -> None:
    server.script.then(say("too late", delay=5.0))
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        client(server, timeout=0.3).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )
    assert time.monotonic() - started < 2.0


def test_steps_are_picked_by_predicate_and_responders_read_the_request(
    server: LocalOpenAI,
) -> None:
    def echo_result(request: ChatRequest) -> Reply:
        (result,) = request.trailing_tool_results()
        return say(f"status is {result.json()['status']}")

    server.script.always(echo_result, when=after_tool("track_order"))
    server.script.then(call("track_order", order_id="ORD-1"), when=user_says("where", "ORD-1"))
    api = client(server)
    first = api.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "Where is ORD-1?"}], tools=[TRACK_TOOL]
    )
    call_id = first_call(first).id
    second = api.chat.completions.create(
        model="m",
        messages=[
            {"role": "user", "content": "Where is ORD-1?"},
            as_param(first),
            {"role": "tool", "tool_call_id": call_id, "content": '{"status": "delivered"}'},
        ],
    )
    assert second.choices[0].message.content == "status is delivered"
    with pytest.raises(openai.InternalServerError, match="no scripted answer"):
        api.chat.completions.create(model="m", messages=[{"role": "user", "content": "other"}])
    assert len(server.script.unscripted) == 1
    with pytest.raises(AssertionError, match="unscripted"):
        server.script.assert_done()


def test_assert_done_reports_unused_steps() -> None:
    script = Script().then(say("one"), say("two"))
    script.answer(ChatRequest({"messages": [{"role": "user", "content": "x"}]}, {}))
    with pytest.raises(AssertionError, match="unused steps"):
        script.assert_done()
