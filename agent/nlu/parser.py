"""The understanding step's entry point: language, intent, confidence, entities, out of scope."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from agent.nlu.classifier import IntentClassifier
from agent.nlu.types import Understanding
from agent.sentiment.contract import as_language
from agent.sentiment.embedding import MiniLMEmbedder
from agent.sentiment.language import detect_language
from memory.vocabulary import Language

MAX_TEXT_LENGTH = 2000
"""The longest customer turn understood; longer texts are refused, not cut."""


_lock = threading.Lock()
_embedder: MiniLMEmbedder | None = None
_parsers: dict[Path | None, Parser] = {}


def shared_embedder() -> MiniLMEmbedder:
    """The process's one all-MiniLM-L6-v2 (loaded on first use): share it, it weighs 90 MB."""
    global _embedder
    with _lock:
        if _embedder is None:
            _embedder = MiniLMEmbedder()
        return _embedder


class Parser:
    """Understands customer turns: detects the language unless told, then classifies.

    `detect` is the language detector (the one the sentiment check uses, by default).
    """

    def __init__(
        self,
        classifier: IntentClassifier,
        detect: Callable[[str], Language] = detect_language,
    ) -> None:
        self.classifier = classifier
        self._detect = detect

    def parse(self, text: str, language: str | None = None) -> Understanding:
        """The understanding of one turn; `language` ("en", "es", "es-MX"...) skips detection."""
        return self.parse_batch([text], language)[0]

    def parse_batch(self, texts: Sequence[str], language: str | None = None) -> list[Understanding]:
        """The understanding of each turn, embedded in one batch (faster than one by one)."""
        for text in texts:
            if not text.strip():
                raise ValueError("there is no text to understand")
            if len(text) > MAX_TEXT_LENGTH:
                raise ValueError(f"the text is longer than {MAX_TEXT_LENGTH} characters")
        forced: Language | None = None
        if language is not None:
            try:
                forced = as_language(language)
            except ValueError:
                raise ValueError(f"unsupported language {language!r}: use 'en' or 'es'") from None
        languages = [forced or self._detect(text) for text in texts]
        return self.classifier.understand(list(texts), languages)


def default_parser(cache_dir: Path | None = None) -> Parser:
    """The process's parser over the packaged examples and the shared model (built lazily, once
    per `cache_dir`: the folder keeping the examples' embeddings between runs, if any)."""
    embedder = shared_embedder()
    with _lock:
        parser = _parsers.get(cache_dir)
        if parser is None:
            parser = Parser(IntentClassifier(embedder, cache_dir=cache_dir))
            _parsers[cache_dir] = parser
        return parser


def parse(text: str, language: str | None = None) -> Understanding:
    """Understand one customer turn with the default parser (see `Parser.parse`)."""
    return default_parser().parse(text, language)
