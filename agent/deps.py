"""What the graph's nodes need besides the state: adapters, analyzers, clock and guard policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from agent.customer_tools import KnowledgeSearch
from agent.identity_throttle import IdentityThrottle, LocalIdentityThrottle
from agent.sentiment import SentimentAnalyzer, detect_language
from cerebro.clock import Clock
from memory.vocabulary import Language
from tools.factory import Toolbox


@dataclass(frozen=True, slots=True)
class GuardPolicy:
    """When the guard hands a conversation to a human (besides trigger words and requests).

    Attributes:
        low_confidence: An understanding below this confidence is a low-confidence turn.
        low_confidence_turns: Hand off after this many low-confidence turns in a row.
        out_of_scope_confidence: Hand off an out-of-scope request understood at least this
            surely (below it, the brain says what it can help with).
        negative_turns: Hand off after this many negative customer turns in a row...
        strongly_negative_turns: ...or after this many in a row at or below
            `strongly_negative_score`.
        history_lines: How many earlier messages a brain is shown.
    """

    low_confidence: float = 0.5
    low_confidence_turns: int = 2
    out_of_scope_confidence: float = 0.8
    negative_turns: int = 3
    strongly_negative_turns: int = 2
    strongly_negative_score: float = -0.6
    history_lines: int = 12


@dataclass(frozen=True, slots=True)
class AgentDeps:
    """The graph's dependencies, shared by every conversation (all thread-safe)."""

    toolbox: Toolbox
    clock: Clock
    sentiment: SentimentAnalyzer
    knowledge: KnowledgeSearch | None = None
    policy: GuardPolicy = field(default_factory=GuardPolicy)
    detect_language: Callable[[str, Language], Language] = detect_language
    identity_throttle: IdentityThrottle = field(default_factory=LocalIdentityThrottle)
    """Identity checks per client across conversations (`agent.identity_throttle`)."""
