"""One sentence encoder for the whole assistant: concurrent turns share forward passes, and
recent texts are not embedded twice (the intent classifier, the sentiment model and the
knowledge base often embed the same text in one turn)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from agent.sentiment.embedding import Embedder

MAX_BATCH = 32
"""Most texts one forward pass takes (beyond it, a pass costs as much per text as two)."""


@dataclass
class _Request:
    texts: Sequence[str]
    vectors: np.ndarray | None = None
    error: BaseException | None = None
    taken: bool = False
    """In a pass (its own caller's or another's): its caller only waits for it to be done."""
    done: bool = field(default=False)


class BatchingEmbedder:
    """Wraps an `Embedder` so that calls arriving together share one forward pass.

    No timer and no thread of its own: a caller embeds its texts at once while fewer than
    `passes` forward passes are running; callers that arrive when all are busy queue up, and
    when a pass ends one of them embeds the whole queue in one batch. A sentence encoder on a
    CPU embeds eight short texts in about the time of two, so under load this multiplies
    throughput, and alone it adds nothing. With one thread per operation a pass keeps one core
    busy: `passes` = the cores lets a turn start its pass on an idle core instead of waiting
    out another turn's.
    """

    def __init__(self, inner: Embedder, max_batch: int = MAX_BATCH, passes: int = 1) -> None:
        self._inner = inner
        self._max_batch = max_batch
        self._passes = passes
        self._queue: list[_Request] = []
        self._running = 0
        self._changed = threading.Condition()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        request = _Request(list(texts))
        with self._changed:
            self._queue.append(request)
        while True:
            with self._changed:
                while not request.done and (request.taken or self._running >= self._passes):
                    self._changed.wait()
                if request.done:
                    break
                self._running += 1
                batch = self._take()
            self._run(batch)
        if request.error is not None:
            raise request.error
        assert request.vectors is not None
        return request.vectors

    def _take(self) -> list[_Request]:
        """The oldest queued requests, up to `max_batch` texts (at least one request)."""
        batch = [self._queue.pop(0)]
        size = len(batch[0].texts)
        while self._queue and size + len(self._queue[0].texts) <= self._max_batch:
            size += len(self._queue[0].texts)
            batch.append(self._queue.pop(0))
        for request in batch:
            request.taken = True
        return batch

    def _run(self, batch: list[_Request]) -> None:
        try:
            vectors = self._inner([text for request in batch for text in request.texts])
            start = 0
            for request in batch:
                request.vectors = vectors[start : start + len(request.texts)]
                start += len(request.texts)
        except BaseException as error:
            for request in batch:
                request.error = error
        finally:
            with self._changed:
                for request in batch:
                    request.done = True
                self._running -= 1
                self._changed.notify_all()


class CachingEmbedder:
    """Wraps an `Embedder`, keeping the vectors of the `size` most recently embedded texts.

    Thread-safe; the texts missing from the cache are embedded together, in one call.
    """

    def __init__(self, inner: Embedder, size: int = 4096) -> None:
        self._inner = inner
        self._size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for text in texts:
                vector = self._cache.get(text)
                if vector is not None:
                    self._cache.move_to_end(text)
                    found[text] = vector
        missing = list(dict.fromkeys(text for text in texts if text not in found))
        if missing:
            vectors = self._inner(missing)
            with self._lock:
                for text, vector in zip(missing, vectors, strict=True):
                    found[text] = vector
                    self._cache[text] = vector
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        return np.stack([found[text] for text in texts]) if texts else self._inner([])
