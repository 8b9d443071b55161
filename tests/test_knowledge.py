"""The knowledge base: packaged articles, retrieval per language, idempotent indexing, and
chromadb in both deployments (on disk, and a `chroma run` server)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.api.types import DefaultEmbeddingFunction

from agent.nlu import shared_embedder
from memory.knowledge.articles import load_articles, parse_article
from memory.knowledge.store import KnowledgeBase, chroma_client
from memory.knowledge.types import Embedder
from memory.vocabulary import Language
from tests.services import require_service
from tests.web import free_port

ARTICLES = Path(str(resources.files("memory.knowledge") / "articles"))


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return shared_embedder()


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> KnowledgeBase:
    kb = KnowledgeBase.open(tmp_path_factory.mktemp("data"), embedder)
    kb.index()
    return kb


def test_every_article_exists_in_both_languages() -> None:
    articles = load_articles()
    by_language = {
        language: {a.article_id for a in articles if a.language == language}
        for language in ("en", "es")
    }
    assert by_language["en"] == by_language["es"]
    assert {
        "shipping",
        "returns",
        "refunds",
        "cancellations",
        "damaged-items",
        "address-changes",
        "payment-methods",
        "contact",
        "privacy",
    } <= by_language["en"]


def test_articles_agree_with_the_order_rules() -> None:
    text = {
        (a.article_id, a.language): " ".join(s.text for s in a.sections) for a in load_articles()
    }
    assert "30 days after delivery" in text[("returns", "en")]
    assert "30 días siguientes a la entrega" in text[("returns", "es")]
    assert "until it ships" in text[("address-changes", "en")]
    assert "while it is pending" in text[("cancellations", "en")]


RETRIEVAL_CASES = [
    ("en", "how long do I have to return something?", "returns"),
    ("en", "how much is shipping to the UK?", "shipping"),
    ("en", "when will I get my money back after a return?", "refunds"),
    ("en", "can I pay with PayPal?", "payment-methods"),
    ("en", "my parcel never arrived, what now?", "late-deliveries"),
    ("en", "can I cancel an order that already shipped?", "cancellations"),
    ("en", "the vase I got is broken", "damaged-items"),
    ("en", "how do I get my personal data deleted?", "privacy"),
    ("es", "¿cuánto tarda el envío?", "shipping"),
    ("es", "¿cuántos días tengo para devolver algo?", "returns"),
    ("es", "¿cuándo me devuelven el dinero?", "refunds"),
    ("es", "¿aceptan transferencia bancaria?", "payment-methods"),
    ("es", "¿cuál es el horario de atención?", "contact"),
    ("es", "¿puedo cambiar la dirección de entrega?", "address-changes"),
    ("es", "me llegó un producto roto", "damaged-items"),
    ("es", "¿cómo borro mis datos?", "privacy"),
    # "reembolso" also names refunds: paying on delivery is a payment question.
    ("es", "¿se puede pagar en efectivo al repartidor, contra reembolso?", "payment-methods"),
    ("en", "do you take cash when the parcel arrives?", "payment-methods"),
]


@pytest.mark.parametrize(("language", "question", "article_id"), RETRIEVAL_CASES)
def test_a_question_finds_the_right_article_in_its_language(
    knowledge: KnowledgeBase, language: Language, question: str, article_id: str
) -> None:
    passages = knowledge.search(question, language, k=3)
    assert passages[0].article_id == article_id, passages
    assert all(p.language == language for p in passages)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


def test_a_passage_carries_its_article_title_and_text(knowledge: KnowledgeBase) -> None:
    best = knowledge.search("how many days do I have to return an item", "en", k=1)
    assert len(best) == 1
    assert best[0].title == "Returns"
    assert "30 days after delivery" in best[0].text
    spanish = knowledge.search("plazo para devolver", "es", k=5)
    assert len(spanish) == 5
    assert all(p.language == "es" for p in spanish)


def test_a_blank_question_finds_nothing(knowledge: KnowledgeBase) -> None:
    assert knowledge.search("   ", "en") == []
    with pytest.raises(ValueError):
        knowledge.search("returns", "en", k=0)


def test_reindexing_is_idempotent(knowledge: KnowledgeBase) -> None:
    before = knowledge.count()
    report = knowledge.index()
    assert (report.added, report.updated, report.removed) == (0, 0, 0)
    assert report.unchanged == len(load_articles())
    assert knowledge.count() == before


def test_a_changed_article_is_replaced_and_a_deleted_one_removed(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(ARTICLES, folder)
    kb = KnowledgeBase.open(tmp_path / "data", embedder)
    first = kb.index(load_articles(folder))
    assert first.added == len(load_articles(folder))
    passages = kb.count()

    returns = folder / "en" / "returns.md"
    returns.write_text(
        returns.read_text("utf-8").replace("within 30 days", "within 45 days"), "utf-8"
    )
    (folder / "es" / "privacy.md").unlink()
    second = kb.index(load_articles(folder))
    assert (second.added, second.updated, second.removed) == (0, 1, 1)
    assert kb.count() == passages - 2  # the Spanish privacy article had two sections
    assert "45 days" in kb.search("return window", "en", k=1)[0].text
    assert all(p.article_id != "privacy" for p in kb.search("borrar mis datos", "es", k=10))

    again = KnowledgeBase.open(tmp_path / "data", embedder)  # a new process, same folder
    assert again.index(load_articles(folder)).unchanged == len(load_articles(folder))


def test_a_repeated_question_is_answered_from_memory_until_the_articles_change(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(ARTICLES, folder)
    embedded: list[str] = []

    def counting(texts: Sequence[str]) -> np.ndarray:
        embedded.extend(texts)
        return embedder(texts)

    kb = KnowledgeBase.open(tmp_path / "data", counting)
    kb.index(load_articles(folder))
    first = kb.search("return window", "en", k=2)
    assert "30 days" in first[0].text
    embedded.clear()
    assert kb.search("  return   window ", "en", k=2) == first
    assert embedded == []  # neither embedded nor searched again

    returns = folder / "en" / "returns.md"
    returns.write_text(
        returns.read_text("utf-8").replace("within 30 days", "within 45 days"), "utf-8"
    )
    kb.index(load_articles(folder))
    assert "45 days" in kb.search("return window", "en", k=2)[0].text


def test_chromadb_default_embedding_function_is_never_used(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: object, input: object) -> None:
        raise AssertionError("chromadb's default embedding function would download a model")

    monkeypatch.setattr(DefaultEmbeddingFunction, "__call__", refuse)
    kb = KnowledgeBase.open(tmp_path, embedder)
    kb.index()
    assert kb.search("refund", "en", k=1)


def test_articles_without_a_header_or_text_are_refused() -> None:
    with pytest.raises(ValueError, match="YAML header"):
        parse_article("en/x.md", "# Title\nbody", "en")
    with pytest.raises(ValueError, match="`id`"):
        parse_article("en/x.md", "---\nid: Not An Id\ntitle: T\n---\ntext", "en")
    with pytest.raises(ValueError, match="no text"):
        parse_article("en/x.md", "---\nid: x\ntitle: T\n---\n", "en")


def test_a_malformed_chroma_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="http://host:port"):
        chroma_client(tmp_path, "localhost:8000")


# --- server mode: `chroma run` ----------------------------------------------------------------


def chroma_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "chroma"
    return str(beside_python) if beside_python.exists() else shutil.which("chroma")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `chroma run` server on a free local port; yields its URL."""
    binary = chroma_binary()
    if binary is None:
        require_service("chroma server", FileNotFoundError("no `chroma` next to the venv python"))
        raise AssertionError("unreachable")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    server = subprocess.Popen(
        [binary, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
                break
            except Exception as error:
                if server.poll() is not None or time.monotonic() > deadline:
                    require_service("chroma server", error)
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_the_knowledge_base_works_against_a_chroma_server(
    chroma_server: str, tmp_path: Path, embedder: Embedder
) -> None:
    kb = KnowledgeBase.open(tmp_path, embedder, url=chroma_server)
    assert kb.index().added == len(load_articles())
    assert kb.search("¿cuánto tarda el envío?", "es", k=1)[0].article_id == "shipping"
    assert kb.search("how long do I have to return something?", "en")[0].article_id == "returns"

    other_process = KnowledgeBase.open(tmp_path, embedder, url=chroma_server)
    report = other_process.index()
    assert (report.added, report.updated, report.unchanged) == (0, 0, len(load_articles()))
    assert not (tmp_path / "chroma").exists()  # nothing went to local storage
