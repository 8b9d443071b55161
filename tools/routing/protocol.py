"""What the assistant and the agent console may ask of human routing: queue a conversation for a
human agent, let an agent take it, close it with how it ended."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from memory.vocabulary import HandoffOutcome, Language
from tools.types import EscalationSummary, Handoff


class RoutingTools(Protocol):
    """Handoffs to human agents. Choosing the agent is the routing engine's job, not this one's.

    Every call is scoped to one verified customer: another customer's handoff is `not_found`.
    `customer_id=None` is the scope of unverified visitors (a customer can always reach a human,
    even one who cannot or will not prove who they are): it only ever matches handoffs queued
    with no customer, and a customer's calls never see those. Listing has no visitor scope.
    Errors are `tools.errors.ToolError`s.
    """

    def request_handoff(
        self,
        customer_id: str | None,
        *,
        conversation_id: str,
        reason: str,
        language: Language,
        skills: Sequence[str],
        priority: int,
        summary: EscalationSummary,
    ) -> Handoff:
        """Queue the conversation for a human (`queued`); priority 1 is the most urgent, 5 the
        least. `conflict` when the conversation already waits for or is with a human."""
        ...

    def get_handoff(self, customer_id: str | None, handoff_id: str) -> Handoff:
        """One of the customer's handoffs with its status."""
        ...

    def list_handoffs(self, customer_id: str) -> list[Handoff]:
        """The customer's handoffs, newest first."""
        ...

    def assign_handoff(self, customer_id: str | None, handoff_id: str, *, agent_id: str) -> Handoff:
        """A human agent takes the handoff: `queued` -> `assigned` to `agent_id` (asking again
        for the same agent changes nothing). `not_found` for an unknown agent, `rule_violation`
        for an inactive one, `conflict` when another agent has it or it is closed."""
        ...

    def close_handoff(
        self, customer_id: str | None, handoff_id: str, *, outcome: HandoffOutcome
    ) -> Handoff:
        """Close a `queued` or `assigned` handoff with how it ended (`resolved` by the human
        agent, or `handed_back` to the assistant); the conversation may then be handed off
        again. `conflict` when it is closed already."""
        ...
