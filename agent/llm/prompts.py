"""The LLM brain's prompt files (`prompts/llm/`): loaded once per language, filled in per turn.

The system prompts are Markdown files starting with a `version:` line and `---`; the phrases are
template files in the format of `prompts.responses` (and checked the same way: both languages
have the same keys and placeholders).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import prompts.llm
from agent.state import JSON, PendingChange
from memory.vocabulary import Language
from prompts.responses import TemplateSet, load_templates

FOLDER = Path(prompts.llm.__file__).parent
CONTEXT = "{context}"


def _markdown(name: str) -> tuple[str, str]:
    """A prompt file's version and body (the file is `version: N`, `---`, then the body)."""
    head, separator, body = (FOLDER / name).read_text("utf-8").partition("\n---\n")
    key, _, version = head.partition(":")
    if not separator or key.strip() != "version":
        raise ValueError(f"prompts/llm/{name} must start with a `version:` line and `---`")
    return version.strip(), body.strip()


@dataclass(frozen=True)
class Prompts:
    """The prompts and phrases of one language, and the versions of the files they came from."""

    language: Language
    system: str
    """The system prompt of the tool loop, with `{context}` where the turn's context goes."""
    understand: str
    phrases: TemplateSet
    versions: str
    """E.g. `system.en.md@1 understand.md@1 phrases/en.yaml@1`, for the logs."""

    def system_prompt(self, context: str) -> str:
        return self.system.replace(CONTEXT, context)

    def phrase(self, key: str, **values: str) -> str:
        """The phrase at dotted `key`, with its `{name}`s filled in from `values`."""
        return self.phrases.render(key, **values)

    def describe(self, change: PendingChange, names: Mapping[str, str] | None = None) -> str:
        """The change in words, e.g. `cancel order ORD-100041`; `names` gives product names of
        order item ids (an id without one is shown as it is)."""
        args = change["args"]
        action = change["action"]
        if action == "change_shipping_address":
            return self.phrase(
                "change.change_shipping_address",
                order_id=_text(args["order_id"]),
                address=_address(args),
            )
        if action == "return_items":
            items = args["items"]
            assert isinstance(items, dict)
            listed = ", ".join(
                f"{count} x {(names or {}).get(item, item)}" for item, count in items.items()
            )
            return self.phrase(
                "change.return_items", order_id=_text(args["order_id"]), items=listed
            )
        if action == "open_ticket":
            order_id = args.get("order_id")
            return self.phrase(
                "change.open_ticket_for_order" if order_id else "change.open_ticket",
                severity=self.phrase(f"severity.{args['severity']}"),
                subject=_text(args["subject"]),
                order_id=_text(order_id),
            )
        return self.phrase("change.cancel_order", order_id=_text(args["order_id"]))


def _text(value: JSON) -> str:
    return "" if value is None else str(value)


def _address(args: Mapping[str, JSON]) -> str:
    town = " ".join(_text(args.get(key)) for key in ("postal_code", "city")).strip()
    parts = [args.get("line1"), args.get("line2"), town, args.get("region"), args.get("country")]
    return ", ".join(_text(part) for part in parts if part)


@cache
def _phrases() -> dict[Language, TemplateSet]:
    return load_templates(FOLDER / "phrases")


@cache
def prompts_for(language: Language) -> Prompts:
    """The prompt files of `language` (read once)."""
    system_version, system = _markdown(f"system.{language}.md")
    if system.count(CONTEXT) != 1:
        raise ValueError(f"prompts/llm/system.{language}.md must hold {CONTEXT} once")
    understand_version, understand = _markdown("understand.md")
    phrases = _phrases()[language]
    versions = " ".join(
        (
            f"system.{language}.md@{system_version}",
            f"understand.md@{understand_version}",
            f"phrases/{language}.yaml@{phrases.version}",
        )
    )
    return Prompts(language, system, understand, phrases, versions)
