"""The LLM brain: `ChatOpenAI` with tool calling against any OpenAI-compatible endpoint.

    brain = LLMBrain(LLMConfig.from_settings(get_settings()), fallback=offline_brain)

See `docs/llm.md` for endpoints, what the model sees and can never do, and the fallback.
"""

from agent.llm.brain import LLMBrain
from agent.llm.client import LLMConfig, ModelClient, ModelFailure

__all__ = ["LLMBrain", "LLMConfig", "ModelClient", "ModelFailure"]
