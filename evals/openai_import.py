"""Importing conversations recorded in the OpenAI chat-messages format.

Input: a JSON file holding one conversation (a list of messages, or an object with `messages`),
or a JSONL file with one such object per line. Messages are `system`, `user`, `assistant`
(optionally with `tool_calls`, each `{"function": {"name", "arguments"}}` where `arguments` is
a JSON string) and `tool`. An object may also give `id`, `language`, `flows` and `logged_in_as`.

Each `user` message becomes a customer turn; the tool calls the assistant makes before the next
`user` message become that turn's expected tool calls, renamed to the tools Cerebro records (the
LLM brain's tool names, `agent/llm/toolkit.py`, map to adapter calls; unknown names are kept as
they are). A turn the recording answered without a tool states no tool calls, rather than "no
tool at all": Cerebro may look up more than the recorded assistant did.

Two kinds of call are placed differently:

- a change (`cancel_order`, `change_shipping_address`, `return_items`, `open_ticket`) is expected
  at any turn of the conversation, because Cerebro makes a change only on the customer's "yes"
  to its proposal, which may be a turn later than the recording made it;
- `transfer_to_human` becomes "handoff expected on this turn".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evals.format import (
    ConversationExpectations,
    CustomerTurn,
    ExpectedToolCall,
    Transcript,
    TurnExpectations,
)


class RecordingError(Exception):
    """The recording cannot be imported; the message says where and why."""


def _keep(args: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {name: args[name] for name in names if args.get(name) not in (None, "")}


def _identify(args: Mapping[str, Any]) -> ExpectedToolCall:
    if args.get("email"):
        return ExpectedToolCall(name="crm.find_customer_by_email", args=_keep(args, "email"))
    if args.get("phone"):
        return ExpectedToolCall(name="crm.find_customer_by_phone", args=_keep(args, "phone"))
    return ExpectedToolCall(
        name="crm.find_customer_by_name_and_zip", args=_keep(args, "name", "zip_code")
    )


def _renamed(name: str, *kept: str) -> Callable[[Mapping[str, Any]], ExpectedToolCall]:
    return lambda args: ExpectedToolCall(name=name, args=_keep(args, *kept))


READS: dict[str, Callable[[Mapping[str, Any]], ExpectedToolCall]] = {
    "identify_customer": _identify,
    # The query is the brain's own wording: only the tool is compared.
    "search_knowledge": _renamed("knowledge.search"),
    "get_profile": _renamed("crm.get_profile"),
    "list_orders": _renamed("logistics.list_orders"),
    "get_order": _renamed("logistics.get_order", "order_id"),
    "track_order": _renamed("logistics.track_shipment", "order_id"),
    "get_refund_status": _renamed("logistics.refund_status", "order_id"),
    "list_tickets": _renamed("crm.list_tickets", "status"),
}
"""Model-facing read tools -> the adapter call Cerebro records, with the arguments compared."""

CHANGES: dict[str, Callable[[Mapping[str, Any]], ExpectedToolCall]] = {
    "cancel_order": _renamed("logistics.cancel_order", "order_id"),
    "change_shipping_address": _renamed(
        "logistics.change_shipping_address", "order_id", "postal_code"
    ),
    "return_items": _renamed("logistics.return_items", "order_id"),
    "open_ticket": _renamed("crm.open_ticket", "order_id", "category", "severity"),
}
HANDOFF_TOOLS = frozenset({"transfer_to_human"})


@dataclass
class _Turn:
    text: str
    calls: list[ExpectedToolCall]
    handoff: bool = False


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return ""


def _arguments(raw: Any, where: str) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        return dict(raw)
    try:
        parsed = json.loads(raw or "{}")
    except (TypeError, json.JSONDecodeError):
        raise RecordingError(f"{where}: arguments are not a JSON object") from None
    if not isinstance(parsed, dict):
        raise RecordingError(f"{where}: arguments are not a JSON object")
    return parsed


def _customer_turn(turn: _Turn) -> CustomerTurn:
    expect = TurnExpectations.model_validate(
        {
            **({"tool_calls": turn.calls} if turn.calls else {}),
            **({"handoff": True} if turn.handoff else {}),
        }
    )
    return CustomerTurn(text=turn.text, expect=expect)


def convert(
    record: Mapping[str, Any] | list[Any],
    where: str,
    *,
    default_id: str,
    language: str,
    flows: list[str],
    logged_in_as: str | None = None,
) -> Transcript:
    """One recorded conversation as a transcript."""
    data: Mapping[str, Any] = {"messages": record} if isinstance(record, list) else record
    messages = data.get("messages")
    if not isinstance(messages, list):
        raise RecordingError(f"{where}: no `messages` list")
    turns: list[_Turn] = []
    anywhere: list[ExpectedToolCall] = []
    for index, message in enumerate(messages):
        at = f"{where}: messages[{index}]"
        if not isinstance(message, Mapping) or "role" not in message:
            raise RecordingError(f"{at}: not a chat message (no role)")
        role = message["role"]
        if role == "user":
            text = _text(message.get("content")).strip()
            if text:
                turns.append(_Turn(text, []))
            continue
        if role != "assistant" or not message.get("tool_calls"):
            continue
        if not turns:
            continue  # the assistant's opening calls answer no customer turn
        for number, call in enumerate(message["tool_calls"]):
            function = call.get("function") if isinstance(call, Mapping) else None
            if not isinstance(function, Mapping) or not function.get("name"):
                raise RecordingError(f"{at}.tool_calls[{number}]: no function name")
            name = str(function["name"])
            args = _arguments(function.get("arguments"), f"{at}.tool_calls[{number}]")
            if name in HANDOFF_TOOLS:
                turns[-1].handoff = True
            elif name in CHANGES:
                anywhere.append(CHANGES[name](args))
            elif name in READS:
                turns[-1].calls.append(READS[name](args))
            else:
                turns[-1].calls.append(ExpectedToolCall(name=name, args=args))
    if not turns:
        raise RecordingError(f"{where}: no user message")
    handed_off = any(turn.handoff for turn in turns)
    try:
        return Transcript(
            id=str(data.get("id") or default_id),
            language=data.get("language") or language,
            flows=list(data.get("flows") or flows),
            tags=["imported"],
            logged_in_as=data.get("logged_in_as") or logged_in_as,
            turns=[_customer_turn(turn) for turn in turns],
            expect=ConversationExpectations(handoff=handed_off, tool_calls=anywhere),
        )
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"])
        raise RecordingError(f"{where}: {field}: {first['msg']}") from None


def import_file(
    path: Path,
    *,
    language: str = "en",
    flows: list[str] | None = None,
    logged_in_as: str | None = None,
) -> list[Transcript]:
    """Every conversation of a recording file (JSON: one; JSONL: one per line)."""
    text = path.read_text("utf-8")
    tags = flows or ["imported"]

    def one(record: Mapping[str, Any] | list[Any], where: str, default_id: str) -> Transcript:
        return convert(
            record,
            where,
            default_id=default_id,
            language=language,
            flows=tags,
            logged_in_as=logged_in_as,
        )

    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if whole is not None:
        return [one(whole, str(path), path.stem)]
    transcripts = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise RecordingError(f"{where}: not JSON: {error.msg}") from None
        if not isinstance(record, dict | list):
            raise RecordingError(f"{where}: expected a conversation object")
        transcripts.append(one(record, where, f"{path.stem}-{number}"))
    if not transcripts:
        raise RecordingError(f"{path}: no conversations")
    return transcripts
