"""The knowledge base: article passages in a chromadb collection, searched by meaning and form.

A search asks chromadb for the passages nearest in meaning (sentence embeddings, cosine), then
re-ranks those candidates adding a share of their surface similarity to the question (see
`lexical`): the sentence model is weak on Spanish, where shared words decide.

Embedded deployment: `chromadb.PersistentClient` in `<data dir>/chroma`. Scaled deployment: a
chromadb server (`chroma run`) reached with `chromadb.HttpClient`. Either way the vectors come from
our own sentence model, passed in as an `Embedder`: chromadb's default embedding function (which
downloads a model) is never used.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings as ChromaSettings

from memory.knowledge.articles import Article, load_articles
from memory.knowledge.lexical import LexicalVectorizer
from memory.knowledge.types import Embedder, IndexReport, Passage
from memory.vocabulary import Language

__all__ = [
    "CANDIDATES",
    "COLLECTION",
    "LEXICAL_WEIGHT",
    "Embedder",
    "IndexReport",
    "KnowledgeBase",
    "Passage",
    "SentenceEmbedding",
    "chroma_client",
]

COLLECTION = "knowledge"
LEXICAL_WEIGHT = 0.5
"""Share of the surface similarity in a passage's score; the embedding similarity weighs 1."""
CANDIDATES = 20
"""How many passages chromadb proposes (at least) for the re-ranking."""
SEARCH_CACHE_SIZE = 1024
"""How many recent searches are answered from memory (customers ask the same policy questions)."""


def _refuse_to_embed(texts: Sequence[str]) -> np.ndarray:
    raise RuntimeError(
        "the knowledge collection is embedded by Cerebro's sentence model: open it with "
        "memory.knowledge.store.KnowledgeBase, which passes the model"
    )


class SentenceEmbedding(EmbeddingFunction[Documents]):
    """A chromadb embedding function over an `Embedder`, so chromadb never loads its own model."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._embedder(list(input)))

    @staticmethod
    def name() -> str:
        return "cerebro-sentence-embedding"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> EmbeddingFunction[Documents]:
        """What chromadb rebuilds when a collection is opened without our function: one that
        refuses to embed, rather than chromadb's default (which downloads a model)."""
        return SentenceEmbedding(_refuse_to_embed)

    def default_space(self) -> Any:
        return "cosine"


def chroma_client(data_dir: Path, url: str | None = None) -> ClientAPI:
    """A chromadb client: the server at `url` (http://host:port) if given, else on-disk storage
    in `data_dir/chroma`. Telemetry is off either way."""
    settings = ChromaSettings(anonymized_telemetry=False)
    if not url:
        path = data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"the chromadb URL must look like http://host:port, got {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 8000)
    return chromadb.HttpClient(
        host=parts.hostname, port=port, ssl=parts.scheme == "https", settings=settings
    )


def _passage_text(title: str, heading: str, text: str) -> str:
    """What is embedded and compared for a passage: its text in the context of its headings."""
    return f"{title}. {heading}. {text}"


def _passage_ids(article: Article) -> list[str]:
    return [f"{article.language}:{article.article_id}:{i}" for i in range(len(article.sections))]


class KnowledgeBase:
    """Policy and help articles, indexed in chromadb and searched per language.

    `index()` is idempotent: each article is stored with the hash of its text and only changed
    articles are re-embedded; articles that no longer exist are removed.

    The answers to the `SEARCH_CACHE_SIZE` most recent searches are kept, keyed by the question
    with its whitespace collapsed (which changes neither its embedding nor its words), the
    language and `k`; `index()` forgets them when it changes the collection. Another process
    re-indexing a shared chromadb server is not seen until this one indexes or restarts.
    """

    def __init__(self, client: ClientAPI, embedder: Embedder, collection: str = COLLECTION) -> None:
        self._client = client
        self._embedder = embedder
        self._name = collection
        self._collection: Collection | None = None
        self._lock = threading.Lock()
        self._found: OrderedDict[tuple[str, str, int], list[Passage]] = OrderedDict()
        self._found_lock = threading.Lock()

    @classmethod
    def open(cls, data_dir: Path, embedder: Embedder, url: str | None = None) -> KnowledgeBase:
        """The knowledge base of a deployment (see `chroma_client`)."""
        return cls(chroma_client(data_dir, url), embedder)

    def _get_collection(self) -> Collection:
        with self._lock:
            if self._collection is None:
                self._collection = self._client.get_or_create_collection(
                    self._name,
                    configuration={"hnsw": {"space": "cosine"}},
                    embedding_function=SentenceEmbedding(self._embedder),  # type: ignore[arg-type]
                )
            return self._collection

    def _stored_versions(self) -> dict[tuple[str, str], tuple[str, list[str]]]:
        """(article id, language) -> (version, passage ids) of what the collection holds."""
        stored = self._get_collection().get(include=["metadatas"])
        found: dict[tuple[str, str], tuple[str, list[str]]] = {}
        for passage_id, metadata in zip(stored["ids"], stored["metadatas"] or [], strict=True):
            key = (str(metadata["article_id"]), str(metadata["language"]))
            version, ids = found.get(key, (str(metadata["version"]), []))
            ids.append(passage_id)
            found[key] = (version, ids)
        return found

    def index(self, articles: Iterable[Article] | None = None) -> IndexReport:
        """Bring the collection in line with `articles` (default: the packaged ones)."""
        wanted = {(a.article_id, a.language): a for a in articles or load_articles()}
        collection = self._get_collection()
        stored = self._stored_versions()
        added = updated = unchanged = 0
        stale: list[str] = []
        fresh: list[Article] = []
        for key, article in wanted.items():
            if key not in stored:
                added += 1
            elif stored[key][0] == article.version:
                unchanged += 1
                continue
            else:
                updated += 1
                stale.extend(stored[key][1])
            fresh.append(article)
        removed = [gone for gone in stored if gone not in wanted]
        for gone in removed:
            stale.extend(stored[gone][1])
        if stale or fresh:
            with self._found_lock:
                self._found.clear()
        if stale:
            collection.delete(ids=stale)
        if fresh:
            ids, documents, metadatas, embedded = [], [], [], []
            for article in fresh:
                ids.extend(_passage_ids(article))
                for section in article.sections:
                    documents.append(section.text)
                    embedded.append(_passage_text(article.title, section.heading, section.text))
                    metadatas.append(
                        {
                            "article_id": article.article_id,
                            "language": article.language,
                            "title": article.title,
                            "heading": section.heading,
                            "version": article.version,
                        }
                    )
            collection.upsert(
                ids=ids,
                documents=documents,
                metadatas=cast(Any, metadatas),
                embeddings=self._embedder(embedded),
            )
        return IndexReport(added, updated, unchanged, len(removed))

    def count(self) -> int:
        """How many passages the collection holds."""
        return self._get_collection().count()

    def search(self, query: str, language: Language, k: int = 3) -> list[Passage]:
        """The `k` passages in `language` closest in meaning to `query`, best first."""
        if k < 1:
            raise ValueError("k must be at least 1")
        if not query.strip():
            return []
        key = (" ".join(query.split()), language, k)
        with self._found_lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
                return list(found)
        found = self._search(key[0], language, k)
        with self._found_lock:
            self._found[key] = found
            while len(self._found) > SEARCH_CACHE_SIZE:
                self._found.popitem(last=False)
        return list(found)

    def _search(self, query: str, language: Language, k: int) -> list[Passage]:
        result = self._get_collection().query(
            query_embeddings=self._embedder([query]),
            n_results=max(CANDIDATES, k),
            where={"language": language},
            include=["documents", "metadatas", "distances"],
        )
        documents = (result["documents"] or [[]])[0]
        metadatas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        if not documents:
            return []
        texts = [
            _passage_text(str(m["title"]), str(m["heading"]), d)
            for d, m in zip(documents, metadatas, strict=True)
        ]
        lexical = LexicalVectorizer(texts)
        form = lexical(texts) @ lexical([query])[0]
        scores = 1.0 - np.asarray(distances, dtype=np.float64) + LEXICAL_WEIGHT * form
        return [
            Passage(
                article_id=str(metadatas[i]["article_id"]),
                title=str(metadatas[i]["title"]),
                text=documents[i],
                score=round(float(scores[i]), 4),
                language=language,
            )
            for i in np.argsort(-scores)[:k]
        ]
