"""Intent classification: nearest examples in embedding space, plus surface similarity, keyword
patterns and entities.

For each intent the score is the mean similarity of the text to its `k` nearest example utterances,
in meaning (sentence embeddings) plus a share in form (word and trigram TF-IDF, see `lexical`);
examples in the other language are discounted. A keyword-pattern hit adds a bonus, and a turn that
is nothing but values (an order id, an email) gets a `provide_info` bonus. `out_of_scope` scores
the best of its own examples' similarity and a floor: when no in-scope intent beats the floor, the
turn is out of scope. The floor is much higher for a turn with no evidence of the retail domain (no
domain word, no pattern hit, no value). A softmax with a temperature turns scores into confidences.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.nlu.entities import extract_entities
from agent.nlu.examples import INTENTS, Example, load_examples
from agent.nlu.items import item_kinds
from agent.nlu.patterns import has_domain_words, pattern_hits
from agent.nlu.types import Entity, Understanding
from agent.sentiment.embedding import Embedder
from cerebro.text import fold
from memory.knowledge.lexical import LexicalVectorizer
from memory.vocabulary import Language


@dataclass(frozen=True, slots=True)
class ClassifierConfig:
    """The knobs of the scoring, measured by benchmarks/bench_nlu.py (see docs/nlu.md)."""

    neighbours: int = 5
    """How many nearest examples per intent are averaged."""
    lexical_weight: float = 0.5
    """Weight of the surface similarity; the embedding similarity weighs 1."""
    other_language_discount: float = 0.1
    """Subtracted from the similarity of examples in the other language."""
    pattern_bonus: float = 0.2
    """Added to an intent's score when its keyword pattern matches."""
    knowledge_pattern_bonus: float = 0.4
    """The bonus of `knowledge_question`, larger: a policy question shares its topic words with
    the request it asks about ("how long do refunds take" and `refund_status`)."""
    provide_info_bonus: float = 0.3
    """Added to `provide_info` when the turn is only values and filler words."""
    out_of_scope_floor: float = 0.3
    """The lowest score `out_of_scope` gets: in-scope intents must beat it."""
    unsupported_floor: float = 0.8
    """The floor instead, when the turn shows nothing of the retail domain."""
    temperature: float = 0.05
    """Softmax temperature: lower makes confidences sharper."""
    alternatives: int = 3
    """How many runner-up intents an understanding lists."""


# Words that may surround a value the customer hands over ("my email is ...", "es el ...").
_FILLER_WORDS = """
    my the is it its it's s here you go sure ok okay yes yeah number no order email e-mail mail
    address phone mobile zip code postal postcode name i'm im i am this that ticket a an and or
    at reach me can call on please ya mi el la es numero pedido correo electronico telefono movil
    celular codigo cp aqui tienes tiene claro si llamo soy nombre de del al llamar pueden puedes
    por favor y o en ese este
"""
_FILLER = frozenset(_FILLER_WORDS.split())
# Words that may surround a product named as an answer ("just the two candles", "solo las velas").
_ITEM_FILLER_WORDS = """
    the one ones just only both two three those these them of los las unos unas un una solo
    dos tres ambos ambas esos esas estos estas
"""
_ITEM_FILLER = frozenset(_ITEM_FILLER_WORDS.split())
_VALUE_KINDS = frozenset({"order_id", "ticket_id", "email", "phone", "postal_code", "person_name"})
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def has_values(entities: Sequence[Entity]) -> bool:
    """Whether any entity is a value a customer hands over (not a mere quantity or item)."""
    return any(entity.kind in _VALUE_KINDS for entity in entities)


def without_values(text: str, entities: Sequence[Entity]) -> str:
    """`text` with the values blanked out, so that only its words remain."""
    rest = list(text)
    for entity in entities:
        if entity.kind in _VALUE_KINDS:
            rest[entity.start : entity.end] = " " * (entity.end - entity.start)
    return "".join(rest)


def only_values(text: str, entities: Sequence[Entity]) -> bool:
    """Whether `text` is values (ids, emails, phones...) and filler words, nothing else; or
    names products and nothing else ("the sofa", "solo las dos velas"), answering "which
    items?"."""
    words = _WORD.findall(fold(without_values(text, entities)))
    if has_values(entities):
        return all(word in _FILLER for word in words)
    named = [word for word in words if item_kinds(word)]
    return bool(named) and all(
        word in _FILLER or word in _ITEM_FILLER or word.isdigit() or word in named for word in words
    )


def _surface_similarity(vectors: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """`vectors @ columns`, reading only the rows of the buckets each text has: a turn has a few
    dozen of the 8192, and the full product cost 20 times more (0.4 ms a turn)."""
    similarity = np.empty((len(vectors), columns.shape[1]), dtype=np.float32)
    for row, vector in enumerate(vectors):
        buckets = np.flatnonzero(vector)
        similarity[row] = vector[buckets] @ columns[buckets]
    return similarity


@dataclass(frozen=True, slots=True)
class _Index:
    vectors: np.ndarray  # (examples, dims), L2-normalized
    lexical: LexicalVectorizer
    lexical_columns: np.ndarray  # (lexical.DIMENSIONS, examples): the examples' L2-normalized
    # surface vectors, one row per bucket, so a text's few buckets pick their rows
    languages: np.ndarray  # (examples,) index into LANGUAGES order ("en", "es")
    rows: tuple[np.ndarray, ...]  # example rows per intent, in INTENTS order


class IntentClassifier:
    """Classifies customer turns into intents; the embedding index is built once, on first use.

    Thread-safe: the index is built under a lock and only read afterwards. `cache_dir`, when
    given, keeps the examples' embeddings on disk (keyed by a hash of the examples and of the
    embedder's class), so a new process skips re-embedding them.
    """

    def __init__(
        self,
        embedder: Embedder,
        examples: Sequence[Example] | None = None,
        config: ClassifierConfig | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self._embedder = embedder
        self._examples = tuple(examples) if examples is not None else load_examples()
        self.config = config or ClassifierConfig()
        self._cache_dir = cache_dir
        self._index: _Index | None = None
        self._lock = threading.Lock()
        missing = set(INTENTS) - {example.intent for example in self._examples}
        if missing:
            raise ValueError(f"no examples for intents: {', '.join(sorted(missing))}")

    @property
    def examples(self) -> tuple[Example, ...]:
        return self._examples

    def _embed_examples(self) -> np.ndarray:
        texts = [example.text for example in self._examples]
        if self._cache_dir is None:
            return self._embedder(texts)
        digest = hashlib.sha256(type(self._embedder).__qualname__.encode())
        for example in self._examples:
            digest.update(f"\n{example.language}\t{example.intent}\t{example.text}".encode())
        path = self._cache_dir / f"nlu-examples-{digest.hexdigest()[:16]}.npy"
        try:
            cached = np.load(path)
            if cached.shape[0] == len(texts):
                return np.asarray(cached, dtype=np.float32)
        except (OSError, ValueError):
            pass  # not cached yet, or unreadable: embed again
        vectors = self._embedder(texts)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npy")
        np.save(partial, vectors)
        partial.replace(path)  # atomic: a concurrent reader sees the old file or the new one
        return vectors

    def warm_up(self) -> None:
        """Load the model and embed the examples now rather than on the first turn."""
        self._ensure_index()

    def _ensure_index(self) -> _Index:
        with self._lock:
            if self._index is None:
                intents = np.array([INTENTS.index(e.intent) for e in self._examples])
                texts = [without_values(e.text, extract_entities(e.text)) for e in self._examples]
                lexical = LexicalVectorizer(texts)
                self._index = _Index(
                    vectors=self._embed_examples(),
                    lexical=lexical,
                    lexical_columns=np.ascontiguousarray(lexical(texts).T),
                    languages=np.array([e.language == "es" for e in self._examples], dtype=int),
                    rows=tuple(np.flatnonzero(intents == i) for i in range(len(INTENTS))),
                )
            return self._index

    def _nearest(self, similarity: np.ndarray) -> np.ndarray:
        """Per intent, the mean of each text's `neighbours` best similarities: (texts, intents)."""
        index = self._ensure_index()
        scores = np.empty((len(similarity), len(INTENTS)), dtype=np.float64)
        for intent, rows in enumerate(index.rows):
            k = min(self.config.neighbours, len(rows))
            nearest = np.partition(similarity[:, rows], len(rows) - k, axis=1)[:, -k:]
            scores[:, intent] = nearest.mean(axis=1)
        return scores

    def _scores(
        self,
        texts: Sequence[str],
        entities: Sequence[Sequence[Entity]],
        languages: Sequence[Language],
    ) -> np.ndarray:
        """The nearest-examples score of every intent for every text: (texts, intents)."""
        index = self._ensure_index()
        own = np.array([[language == "es"] for language in languages], dtype=int)
        discount = self.config.other_language_discount * (index.languages != own)
        meaning = self._embedder(list(texts)) @ index.vectors.T - discount
        words = [without_values(text, found) for text, found in zip(texts, entities, strict=True)]
        form = _surface_similarity(index.lexical(words), index.lexical_columns) - discount
        return self._nearest(meaning) + self.config.lexical_weight * self._nearest(form)

    def understand(
        self, texts: Sequence[str], languages: Sequence[Language]
    ) -> list[Understanding]:
        """The understanding of each text, in `languages[i]`; texts are embedded in one batch."""
        if len(texts) != len(languages):
            raise ValueError("give one language per text")
        if not texts:
            return []
        config = self.config
        entities = [extract_entities(text) for text in texts]
        scores = self._scores(texts, entities, languages)
        out_of_scope = INTENTS.index("out_of_scope")
        provide_info = INTENTS.index("provide_info")
        knowledge = INTENTS.index("knowledge_question")
        results = []
        for row, text, found, language in zip(scores, texts, entities, languages, strict=True):
            hits = pattern_hits(text)
            for intent in hits:
                row[INTENTS.index(intent)] += config.pattern_bonus
            if "knowledge_question" in hits:
                row[knowledge] += config.knowledge_pattern_bonus - config.pattern_bonus
            if only_values(text, found):
                row[provide_info] += config.provide_info_bonus
            supported = bool(hits) or has_values(found) or has_domain_words(text)
            floor = config.out_of_scope_floor if supported else config.unsupported_floor
            row[out_of_scope] = max(row[out_of_scope], floor)
            logits = (row - row.max()) / config.temperature
            probabilities = np.exp(logits) / np.exp(logits).sum()
            order = np.argsort(-probabilities)
            best = INTENTS[order[0]]
            results.append(
                Understanding(
                    intent=best,
                    confidence=round(float(probabilities[order[0]]), 4),
                    entities=found,
                    language=language,
                    out_of_scope=best == "out_of_scope",
                    alternatives=tuple(
                        (INTENTS[i], round(float(probabilities[i]), 4))
                        for i in order[1 : 1 + config.alternatives]
                    ),
                )
            )
        return results
