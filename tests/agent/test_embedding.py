"""The shared encoder: concurrent calls share forward passes, recent texts come from a cache."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info

from agent.embedding import BatchingEmbedder, CachingEmbedder
from agent.runtime import SWITCH_INTERVAL, shared_encoder


class SlowEncoder:
    """Embeds a text as [len(text), 1]; each call takes a while and is counted."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self._fail_on = fail_on

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(list(texts))
        time.sleep(0.05)
        if self._fail_on in texts:
            raise RuntimeError("model failed")
        return np.array([[len(text), 1.0] for text in texts], dtype=np.float32)


@pytest.mark.parametrize("passes", [1, 2])
def test_concurrent_calls_share_forward_passes(passes: int) -> None:
    inner = SlowEncoder()
    batching = BatchingEmbedder(inner, max_batch=8, passes=passes)
    results: dict[int, np.ndarray] = {}

    def call(number: int) -> None:
        results[number] = batching([f"text {number:02d}", "x" * number])

    threads = [threading.Thread(target=call, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 12
    assert len(inner.batches) < 12
    assert all(len(batch) <= 8 for batch in inner.batches)
    for number, vectors in results.items():
        assert vectors.tolist() == [[7.0, 1.0], [float(number), 1.0]]


def test_a_failed_pass_fails_its_callers_only() -> None:
    batching = BatchingEmbedder(SlowEncoder(fail_on="boom"))
    with pytest.raises(RuntimeError, match="model failed"):
        batching(["boom"])
    assert batching(["fine"]).tolist() == [[4.0, 1.0]]


def test_recent_texts_are_not_embedded_again() -> None:
    inner = SlowEncoder()
    caching = CachingEmbedder(inner, size=2)
    assert caching(["a", "bb", "a"]).tolist() == [[1.0, 1.0], [2.0, 1.0], [1.0, 1.0]]
    assert inner.batches == [["a", "bb"]]
    caching(["bb", "ccc"])
    assert inner.batches[-1] == ["ccc"]
    caching(["a"])  # pushed out by "ccc": the cache keeps two
    assert inner.batches[-1] == ["a"]


def test_the_process_encoder_keeps_torch_and_blas_to_one_thread_per_operation() -> None:
    """Many turns run at once: a helper thread per operation would only fight them for the cores
    (OpenBLAS's spinning helper alone burnt a core at 50 concurrent conversations)."""
    shared_encoder()
    assert torch.get_num_threads() == 1
    assert sys.getswitchinterval() == SWITCH_INTERVAL  # a waiting turn gets the GIL sooner
    numpys = str(Path(np.__file__).parent.parent / "numpy.libs")
    blas = [
        p for p in threadpool_info() if p["user_api"] == "blas" and p["filepath"].startswith(numpys)
    ]
    assert blas, "numpy's BLAS (the classifier's and the re-ranking's products) should be seen"
    assert all(pool["num_threads"] == 1 for pool in blas)


def test_the_bundled_encoder_gives_the_vectors_sentence_transformers_would() -> None:
    """The encoder skips `SentenceTransformer.encode`'s per-call overhead; the vectors must not
    change (the intent examples, the sentiment weights and the knowledge index depend on them)."""
    from agent.sentiment.embedding import MiniLMEmbedder

    encoder = MiniLMEmbedder()
    texts = ["where is my order?", "¡¡ESTOY HARTO!! quiero un humano", "ok", "palabra " * 400]
    model = encoder._load()
    expected = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert np.abs(encoder(texts) - expected).max() < 1e-5
    assert np.abs(encoder(texts[:1])[0] - expected[0]).max() < 1e-5
    assert encoder([]).shape == (0, 384)


def test_up_to_passes_forward_passes_run_at_once() -> None:
    """With a core per pass, a caller does not wait for another caller's pass to end."""
    running: list[int] = []
    lock = threading.Lock()
    current = 0

    def encoder(texts: Sequence[str]) -> np.ndarray:
        nonlocal current
        with lock:
            current += 1
            running.append(current)
        time.sleep(0.05)
        with lock:
            current -= 1
        return np.ones((len(texts), 2), dtype=np.float32)

    batching = BatchingEmbedder(encoder, passes=2)
    threads = [threading.Thread(target=batching, args=([f"text {n}"],)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(running) == 2


def test_the_process_encoder_runs_one_compiled_graph_with_the_same_vectors() -> None:
    """The bundled model runs as one traced graph (a pass waits for the GIL a few times, not
    around each of its hundreds of operations), with the eager model's vectors."""
    from agent.nlu import shared_embedder
    from agent.sentiment.embedding import _mean_pooled

    encoder = shared_embedder()
    texts = ["where is my order?", "¿Dónde está mi pedido ORD-100005?", "ok " * 300]
    vectors = encoder(texts)
    assert encoder._graph is not None
    assert np.abs(vectors - _mean_pooled(encoder._load(), texts)).max() < 1e-5
