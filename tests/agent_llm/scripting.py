"""Script helpers for the LLM brain: its two kinds of request, told apart by `tool_choice`.

`understand` forces the `classify_message` tool; the tool loop of `act` lets the model choose.
Scripting each kind with its own predicate keeps a conversation's steps in reading order.
"""

from __future__ import annotations

from typing import Any

from tests.llm_server import ChatRequest, Reply, call


def is_classification(request: ChatRequest) -> bool:
    choice = request.body.get("tool_choice")
    return isinstance(choice, dict) and choice.get("function", {}).get("name") == (
        "classify_message"
    )


def is_acting(request: ChatRequest) -> bool:
    return not is_classification(request)


def classify(intent: str, confidence: float = 0.95, **entities: str) -> Reply:
    """The model's classification: `intent`, and entities given as `kind=value`."""
    found: list[dict[str, Any]] = [{"kind": k, "value": v} for k, v in entities.items()]
    return call("classify_message", intent=intent, confidence=confidence, entities=found)


def acting_requests(requests: list[ChatRequest]) -> list[ChatRequest]:
    return [request for request in requests if is_acting(request)]
