"""What the assistant may ask of human routing: queue a conversation for a human agent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from memory.vocabulary import Language
from tools.types import EscalationSummary, Handoff


class RoutingTools(Protocol):
    """Handoffs to human agents. Choosing the agent is the routing engine's job, not this one's.

    Every call is scoped to one verified customer: another customer's handoff is `not_found`.
    Errors are `tools.errors.ToolError`s.
    """

    def request_handoff(
        self,
        customer_id: str,
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

    def get_handoff(self, customer_id: str, handoff_id: str) -> Handoff:
        """One of the customer's handoffs with its status."""
        ...

    def list_handoffs(self, customer_id: str) -> list[Handoff]:
        """The customer's handoffs, newest first."""
        ...
