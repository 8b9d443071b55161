"""Everything a process needs to hold conversations, built from the settings: the adapters, the
understanding and sentiment models, the knowledge base, the brain, the checkpointer, the graph
and the conversation service."""

from __future__ import annotations

import functools
import logging
import os
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import torch
from threadpoolctl import threadpool_limits

from agent.brain import Brain
from agent.checkpoint import open_checkpointer
from agent.deps import AgentDeps
from agent.embedding import BatchingEmbedder, CachingEmbedder
from agent.graph import build_graph
from agent.identity_throttle import build_identity_throttle
from agent.llm import LLMBrain, LLMConfig
from agent.locks import ConversationLocks, LocalLocks, RedisLocks
from agent.nlu import IntentClassifier, Parser, shared_embedder
from agent.offline import OfflineBrain
from agent.sentiment import OfflineSentimentAnalyzer, SentimentAnalyzer
from agent.service import ConversationService
from cerebro.clock import Clock
from cerebro.heap import freeze_startup_heap
from cerebro.settings import Settings
from memory.db import Database
from memory.knowledge.store import KnowledgeBase
from tools.factory import build_toolbox

log = logging.getLogger(__name__)


@dataclass
class AgentRuntime:
    """The conversation machinery of one process; `close()` releases it."""

    service: ConversationService
    deps: AgentDeps
    parser: Parser
    knowledge: KnowledgeBase
    stack: ExitStack = field(default_factory=ExitStack)

    def warm_up(self) -> None:
        """Load the models and index the knowledge base now, not on the first message."""
        warm_up(self.parser, self.deps.sentiment, self.knowledge)

    def close(self) -> None:
        self.stack.close()


SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the GIL while another waits for it (Python's default is 0.005)."""


@functools.cache
def tune_for_concurrent_turns() -> None:
    """Set this process up to play many turns at once (called once, by `shared_encoder`).

    - Torch and the BLAS under numpy get one thread per operation: a server runs many turns in
      parallel, and several threads per operation on a few busy cores make every turn slower.
      Torch's threads cost 10x (measured); OpenBLAS's helper thread spins between the
      classifier's small matrix products and burnt a whole core at 50 concurrent conversations
      (process CPU per turn 59 ms with it, 17 ms without; benchmarks/bench_agent.py).
    - The GIL switch interval drops to 1 ms. A turn releases the GIL around every SQLite query
      and encoder pass, and while another turn runs Python it waits up to the switch interval
      to get it back, each time: an encoder pass next to a busy Python thread took 33 ms at
      5 ms, 13 ms at 1 ms (alone 7 ms).
    """
    torch.set_num_threads(1)
    threadpool_limits(limits=1)
    sys.setswitchinterval(SWITCH_INTERVAL)


@functools.cache
def shared_encoder() -> CachingEmbedder:
    """The process's sentence encoder (the NLU's shared MiniLM): recent texts come from a
    cache; up to one forward pass per core runs at a time, and calls arriving while they run
    share the next pass."""
    tune_for_concurrent_turns()
    return CachingEmbedder(BatchingEmbedder(shared_embedder(), passes=os.cpu_count() or 1))


@functools.cache
def default_sentiment_analyzer() -> SentimentAnalyzer:
    """The process's sentiment analyzer: the offline one, on the shared encoder."""
    return OfflineSentimentAnalyzer(embedder=shared_encoder())


@functools.cache
def default_understanding(cache_dir: Path) -> Parser:
    """The process's NLU on the shared encoder; `cache_dir` keeps the examples' embeddings."""
    return Parser(IntentClassifier(shared_encoder(), cache_dir=cache_dir))


def warm_up(parser: Parser, sentiment: SentimentAnalyzer, knowledge: KnowledgeBase) -> None:
    """Load the models and index the knowledge base, then freeze what the process holds
    (`cerebro.heap`): a full collection walked the models and libraries, about 700 000 objects,
    in about 250 ms, a pause every turn in flight would wait out."""
    parser.classifier.warm_up()
    sentiment.analyze("hello")
    knowledge.index()
    freeze_startup_heap()


def select_brain(settings: Settings, offline: OfflineBrain) -> Brain:
    """The LLM brain (falling back on the offline one) when an OpenAI-compatible endpoint or key
    is configured, else the offline brain."""
    if settings.openai_base_url or settings.openai_api_key:
        return LLMBrain(LLMConfig.from_settings(settings), fallback=offline)
    return offline


def build_runtime(settings: Settings, db: Database, clock: Clock) -> AgentRuntime:
    """The runtime for `settings` on `db`; checkpoints go next to the data (see
    `agent.checkpoint`). Call `close()` when done."""
    stack = ExitStack()
    try:
        toolbox = stack.enter_context(build_toolbox(settings, db, clock))
        parser = default_understanding(settings.data_dir / "cache")
        knowledge = KnowledgeBase.open(settings.data_dir, shared_encoder())
        deps = AgentDeps(
            toolbox=toolbox,
            clock=clock,
            sentiment=default_sentiment_analyzer(),
            knowledge=knowledge,
            identity_throttle=build_identity_throttle(settings),
        )
        brain = select_brain(settings, OfflineBrain(parser, clock))
        checkpointer = stack.enter_context(open_checkpointer(db, settings.data_dir))
        graph = build_graph(brain, deps, checkpointer)
        locks: ConversationLocks = (
            RedisLocks.from_url(settings.redis_url) if settings.redis_url else LocalLocks()
        )
        service = ConversationService(graph, clock, locks)
    except BaseException:
        stack.close()
        raise
    return AgentRuntime(service, deps, parser, knowledge, stack=stack)
