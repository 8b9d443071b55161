"""The offline brain: NLU, declarative flows and response templates, no network."""

from agent.offline.brain import OfflineBrain

__all__ = ["OfflineBrain"]
