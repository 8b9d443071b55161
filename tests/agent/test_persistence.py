"""Conversations survive the process: the checkpointer keeps every turn (SQLite and PostgreSQL),
and one conversation plays one turn at a time (in process, and across processes with Redis)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from langgraph.checkpoint.base import BaseCheckpointSaver

from agent.checkpoint import open_checkpointer
from agent.graph import build_graph
from agent.locks import ConversationBusyError, ConversationLocks, LocalLocks, RedisLocks
from agent.service import ConversationService
from memory.schema import Order
from tests.agent.conftest import OLIVIA, World
from tests.services import REDIS_URL, redis_prefix


def service(world: World, saver: BaseCheckpointSaver[Any]) -> ConversationService:
    graph = build_graph(world.brain, world.deps, saver)
    return ConversationService(graph, world.clock, LocalLocks())


def test_a_conversation_resumes_from_its_checkpoint(world: World, tmp_path: Path) -> None:
    with open_checkpointer(world.db, tmp_path) as saver:
        first = service(world, saver)
        created = first.create(customer=world.session_customer(OLIVIA))
        first.post_message(created.conversation_id, "I'd like to cancel ORD-100007")

    with open_checkpointer(world.db, tmp_path) as saver:  # as after a restart
        second = service(world, saver)
        state = second.get(created.conversation_id)
        assert state["pending_change"] == {
            "action": "cancel_order",
            "args": {"order_id": "ORD-100007", "reason": "requested by the customer in the chat"},
        }
        assert second.authorized(created.conversation_id, created.token)
        assert not second.authorized(created.conversation_id, "guessed")
        done = second.post_message(created.conversation_id, "yes")
        assert "ORD-100007 is cancelled" in done.new_turns[-1]["text"]
        assert [t["offset"] for t in done.state["turns"]] == [0, 1, 2, 3]
    with world.db.session() as session:
        assert session.get(Order, "ORD-100007").status == "cancelled"  # type: ignore[union-attr]


def _holds_one_at_a_time(locks: ConversationLocks) -> None:
    inside, overlaps = [0], [0]
    guard = threading.Lock()

    def turn() -> None:
        with locks.hold("conv_same", wait=10):
            with guard:
                inside[0] += 1
                overlaps[0] = max(overlaps[0], inside[0])
            time.sleep(0.02)
            with guard:
                inside[0] -= 1

    threads = [threading.Thread(target=turn) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps[0] == 1


def test_local_locks_serialize_a_conversation_and_time_out() -> None:
    locks = LocalLocks()
    _holds_one_at_a_time(locks)
    with locks.hold("conv_a", wait=1), locks.hold("conv_b", wait=1):
        pass  # different conversations do not wait for each other
    with locks.hold("conv_a", wait=1):
        failed: list[BaseException] = []

        def second() -> None:
            try:
                with locks.hold("conv_a", wait=0.05):
                    pass
            except ConversationBusyError as error:
                failed.append(error)

        thread = threading.Thread(target=second)
        thread.start()
        thread.join()
    assert len(failed) == 1


@pytest.mark.redis
def test_redis_locks_serialize_a_conversation_across_clients() -> None:
    with redis_prefix() as (client, prefix):
        _holds_one_at_a_time(RedisLocks(client, lease=5, prefix=prefix))
        other = RedisLocks(redis.Redis.from_url(REDIS_URL), lease=5, prefix=prefix)
        with (
            RedisLocks(client, lease=5, prefix=prefix).hold("conv_x", wait=1),
            pytest.raises(ConversationBusyError),
            other.hold("conv_x", wait=0.1),
        ):
            pass
        with other.hold("conv_x", wait=1):
            pass
