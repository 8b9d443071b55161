"""Human routing over a company's REST API (`docs/tools-http-contract.md`, section Routing)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import TypeAdapter

from memory.vocabulary import HandoffOutcome, Language
from tools import types as t
from tools.http_client import HttpToolClient, path

_HANDOFF = TypeAdapter(t.Handoff)
_HANDOFFS = TypeAdapter(list[t.Handoff])


class HttpRouting:
    """`RoutingTools` calling a remote routing service; inputs are validated before sending."""

    def __init__(self, client: HttpToolClient) -> None:
        self._client = client

    def request_handoff(
        self,
        customer_id: str | None,
        *,
        conversation_id: str,
        reason: str,
        language: Language,
        skills: Sequence[str],
        priority: int,
        summary: t.EscalationSummary,
    ) -> t.Handoff:
        request = t.HandoffRequest.parse(
            conversation_id=conversation_id,
            reason=reason,
            language=language,
            skills=tuple(skills),
            priority=priority,
            summary=summary,
        )
        return self._client.call("POST", _handoffs(customer_id), _HANDOFF, body=request)

    def get_handoff(self, customer_id: str | None, handoff_id: str) -> t.Handoff:
        return self._client.call("GET", _handoffs(customer_id, handoff_id), _HANDOFF)

    def list_handoffs(self, customer_id: str) -> list[t.Handoff]:
        return self._client.call("GET", path("customers", customer_id, "handoffs"), _HANDOFFS)

    def assign_handoff(
        self, customer_id: str | None, handoff_id: str, *, agent_id: str
    ) -> t.Handoff:
        request = t.HandoffAssignment.parse(agent_id=agent_id)
        return self._client.call(
            "POST",
            _handoffs(customer_id, handoff_id, "assign"),
            _HANDOFF,
            body=request,
        )

    def close_handoff(
        self, customer_id: str | None, handoff_id: str, *, outcome: HandoffOutcome
    ) -> t.Handoff:
        request = t.HandoffClosing.parse(outcome=outcome)
        return self._client.call(
            "POST",
            _handoffs(customer_id, handoff_id, "close"),
            _HANDOFF,
            body=request,
        )


def _handoffs(customer_id: str | None, *rest: str) -> str:
    """A customer's handoffs live under the customer; an unverified visitor's under
    `/visitor-handoffs`, which no customer path reaches."""
    if customer_id is None:
        return path("visitor-handoffs", *rest)
    return path("customers", customer_id, "handoffs", *rest)
