"""Choosing the sentiment analyzer from configuration."""

from __future__ import annotations

from pathlib import Path

from agent.sentiment.contract import SentimentAnalyzer
from agent.sentiment.offline import OfflineSentimentAnalyzer
from agent.sentiment.transformers_analyzer import TransformersSentimentAnalyzer


def build_sentiment_analyzer(model_path: str | Path | None = None) -> SentimentAnalyzer:
    """The offline per-language analyzer, or the local Hugging Face model at `model_path` when
    one is configured (an empty string counts as not configured)."""
    if model_path is not None and str(model_path).strip():
        return TransformersSentimentAnalyzer(model_path)
    return OfflineSentimentAnalyzer()
