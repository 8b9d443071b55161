"""Everything a process needs to hold conversations, built from the settings: the adapters, the
understanding and sentiment models, the knowledge base, the brain, the checkpointer, the graph
and the conversation service."""

from __future__ import annotations

import functools
import logging
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
from agent.llm import LLMBrain, LLMConfig
from agent.locks import ConversationLocks, LocalLocks, RedisLocks
from agent.nlu import IntentClassifier, Parser, shared_embedder
from agent.offline import OfflineBrain
from agent.sentiment import OfflineSentimentAnalyzer, SentimentAnalyzer
from agent.service import ConversationService
from cerebro.clock import Clock
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
        self.parser.classifier.warm_up()
        self.deps.sentiment.analyze("hello")
        self.knowledge.index()

    def close(self) -> None:
        self.stack.close()


@functools.cache
def shared_encoder() -> CachingEmbedder:
    """The process's sentence encoder (the NLU's shared MiniLM): concurrent turns share forward
    passes, and recent texts come from a cache.

    Also limits torch and the BLAS under numpy to one thread per operation: a server runs many
    turns in parallel, and several threads per operation on a few busy cores make every turn
    slower. Torch's threads cost 10x (measured); OpenBLAS's helper thread spins between the
    classifier's small matrix products and burnt a whole core at 50 concurrent conversations
    (process CPU per turn 59 ms with it, 17 ms without; benchmarks/bench_agent.py).
    """
    torch.set_num_threads(1)
    threadpool_limits(limits=1)
    return CachingEmbedder(BatchingEmbedder(shared_embedder()))


@functools.cache
def default_sentiment_analyzer() -> SentimentAnalyzer:
    """The process's sentiment analyzer: the offline one, on the shared encoder."""
    return OfflineSentimentAnalyzer(embedder=shared_encoder())


@functools.cache
def default_understanding(cache_dir: Path) -> Parser:
    """The process's NLU on the shared encoder; `cache_dir` keeps the examples' embeddings."""
    return Parser(IntentClassifier(shared_encoder(), cache_dir=cache_dir))


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
