"""`cerebro worker`: consumes the event bus (`journeys.bus`) and runs the pipeline on its events.

Several workers share the partitions. A partition is consumed by one worker at a time, which
holds its **lease** (a Redis lock that expires after `CEREBRO_BUS_LEASE` seconds unless renewed),
so the events of a customer are decided one after the other, in stream order, even with many
workers. Each worker takes its fair share (partitions / live workers, every worker announcing
itself with a heartbeat key of the same lifetime) and gives back what is over it when another
worker joins.

A worker that takes a partition first claims what its previous owner had read and not
acknowledged (`XAUTOCLAIM`): a worker killed mid-batch loses nothing. A worker commits a batch only
if it still holds the partition's lease at the end of the transaction (it is renewed there): one
that stalled past its lease rolls its batch back, and the partition's new owner claims those
entries once they have been pending for a lease, so a customer's events are never decided by two
workers at once nor out of order. Consumers of workers that left, or died and had their entries
claimed, are removed from the group. Entries are acknowledged
(`XACK`, then removed) only after their transaction committed; an entry redelivered after a crash
between the commit and the acknowledgement is a duplicate `messageId` and changes nothing. An
event whose processing fails (a handler raised: rolled back) goes to the dead-letter stream
`<prefix>:events:dead` with the error. When the database itself fails, nothing is acknowledged
and the partition's pending entries are retried on the next round.

Workers also run the due work (timers, deferred sends, the outbox) every `CEREBRO_DUE_INTERVAL`
seconds.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
import zlib
from collections.abc import Sequence
from contextlib import suppress
from functools import partial

from redis.exceptions import LockError, RedisError
from redis.lock import Lock

from cerebro.heap import freeze_startup_heap
from cerebro.settings import Settings
from journeys.bus import Entry, EventBus
from journeys.config import EngineSettings
from journeys.pipeline import Pipeline, build_pipeline
from memory.db import Database

logger = logging.getLogger("cerebro.journeys.worker")


class Worker:
    """One consumer of the bus (see the module docstring)."""

    def __init__(
        self,
        pipeline: Pipeline,
        bus: EventBus,
        name: str,
        *,
        lease: float = 10.0,
        batch: int = 200,
        block_ms: int = 200,
        due_interval: float = 5.0,
    ) -> None:
        self.pipeline = pipeline
        self.bus = bus
        self.name = name
        self.lease = lease
        self.batch = batch
        self.block_ms = block_ms
        self.due_interval = due_interval
        self.processed = 0
        """Entries this worker processed (accepted, duplicate or dead-lettered)."""
        self._held: dict[int, Lock] = {}
        self._to_reclaim: set[int] = set()
        self._next_due = 0.0
        self._next_sweep = 0.0

    @property
    def partitions(self) -> list[int]:
        """The partitions this worker holds now."""
        return sorted(self._held)

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set, then give the partitions back."""
        try:
            while not stop.is_set():
                try:
                    self.step()
                except RedisError:
                    logger.exception("the event bus failed; retrying")
                    stop.wait(1.0)
        finally:
            self.leave()

    def step(self) -> int:
        """One round: renew and balance the leases, take over what a dead worker left, read
        and process new entries, run the due work when its time came. Entries processed."""
        self._announce()
        self._balance()
        done = 0
        for partition in sorted(self._to_reclaim):
            if partition not in self._held:
                self._to_reclaim.discard(partition)
                continue
            claimed = self.bus.claim_pending(self.name, partition)
            if self._process(claimed):
                self._to_reclaim.discard(partition)
                self.bus.forget_consumers(partition, keep=self.name)
                done += len(claimed)
        if time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + self.lease
            done += self._sweep()
        # A partition with entries still to retry reads nothing newer: its order would break.
        ready = [p for p in self.partitions if p not in self._to_reclaim]
        if ready:
            entries = self.bus.read_new(self.name, ready, self.batch, self.block_ms)
            if self._process(entries):
                done += len(entries)
        else:
            time.sleep(self.block_ms / 1000)
        if time.monotonic() >= self._next_due:
            self._next_due = time.monotonic() + self.due_interval
            try:
                self.pipeline.run_due()
            except Exception:
                logger.exception("running due work failed")
        return done

    def leave(self) -> None:
        """Give back every partition, leave the consumer group and stop announcing this
        worker (its consumer stays only where it still holds entries, for the next owner)."""
        for lock in self._held.values():
            with suppress(LockError, RedisError):  # expired already: someone may hold it
                lock.release()
        self._held.clear()
        with suppress(RedisError):
            for partition in range(self.bus.partitions):
                self.bus.forget_consumers(partition, only=self.name)
            self.bus.client.delete(self._heartbeat_key)

    def _sweep(self) -> int:
        """On the partitions held: process the entries another worker read and left pending for
        a whole lease (it stalled and lost the partition), then forget idle, empty consumers."""
        idle_ms = int(self.lease * 1000)
        done = 0
        for partition in self.partitions:
            if partition in self._to_reclaim:
                continue
            stranded = self.bus.claim_pending(self.name, partition, idle_ms=idle_ms)
            if not self._process(stranded):
                continue
            done += len(stranded)
            self.bus.forget_consumers(partition, keep=self.name, idle_ms=idle_ms)
        return done

    # -- leases ------------------------------------------------------------------------------

    @property
    def _heartbeat_key(self) -> str:
        return f"{self.bus.prefix}:workers:{self.name}"

    def _announce(self) -> None:
        self.bus.client.set(self._heartbeat_key, "1", px=int(self.lease * 1000))

    def _alive(self) -> int:
        pattern = f"{self.bus.prefix}:workers:*"
        return max(1, sum(1 for _ in self.bus.client.scan_iter(match=pattern, count=100)))

    def _balance(self) -> None:
        for partition, lock in list(self._held.items()):
            try:
                lock.reacquire()
            except LockError:
                logger.warning("partition lease lost", extra={"partition": partition})
                del self._held[partition]
        share = math.ceil(self.bus.partitions / self._alive())
        while len(self._held) > share:
            partition = max(self._held)
            with suppress(LockError):
                self._held.pop(partition).release()
        if len(self._held) >= share:
            return
        start = zlib.crc32(self.name.encode()) % self.bus.partitions  # spread first picks
        for offset in range(self.bus.partitions):
            partition = (start + offset) % self.bus.partitions
            if partition in self._held:
                continue
            lock = self.bus.client.lock(
                f"{self.bus.prefix}:partition-lease:{partition}",
                timeout=self.lease,
                thread_local=False,
            )
            if lock.acquire(blocking=False):
                self._held[partition] = lock
                self._to_reclaim.add(partition)
                if len(self._held) >= share:
                    return

    def _still_hold(self, partition: int) -> None:
        """Renew the partition's lease, or raise `LeaseLostError` if another worker has it."""
        lock = self._held.get(partition)
        try:
            if lock is None:
                raise LeaseLostError(partition)
            lock.reacquire()
        except LockError as error:
            raise LeaseLostError(partition) from error

    # -- processing --------------------------------------------------------------------------

    def _process(self, entries: Sequence[Entry]) -> bool:
        """Process entries partition by partition, each partition's in one transaction;
        False when the database failed (nothing of that partition acknowledged)."""
        by_partition: dict[int, list[Entry]] = {}
        for entry in entries:
            by_partition.setdefault(entry.partition, []).append(entry)
        ok = True
        for partition, found in by_partition.items():
            try:
                results = self.pipeline.ingest_batch(
                    [entry.event for entry in found],
                    source_keys=[entry.source_key for entry in found],
                    before_commit=partial(self._still_hold, partition),
                )
            except LeaseLostError:
                # Rolled back; the entries stay pending under this consumer for the new owner.
                logger.warning("partition lease lost in a batch", extra={"partition": partition})
                self._held.pop(partition, None)
                self._to_reclaim.discard(partition)
                continue
            except Exception:
                logger.exception("processing entries failed", extra={"partition": partition})
                self._to_reclaim.add(partition)
                ok = False
                continue
            for entry, result in zip(found, results, strict=True):
                if result.status == "failed":
                    self.bus.dead_letter(entry, "processing failed and was rolled back")
            self.bus.acknowledge(partition, [entry.entry_id for entry in found])
            self.processed += len(found)
        return ok


class LeaseLostError(Exception):
    """This worker no longer holds the partition it was processing."""


def run_worker(settings: Settings, name: str) -> None:
    """`cerebro worker`: consume the bus until SIGTERM or SIGINT, then leave cleanly."""
    engine_settings = EngineSettings()
    assert settings.redis_url is not None
    db = Database(settings.resolved_database_url)
    pipeline = build_pipeline(settings, db, engine_settings)
    bus = EventBus.from_url(
        settings.redis_url, engine_settings.bus_partitions, engine_settings.bus_prefix
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker = Worker(
        pipeline,
        bus,
        name,
        lease=engine_settings.bus_lease,
        due_interval=engine_settings.due_interval,
    )
    freeze_startup_heap()
    logger.info("worker started", extra={"worker": name, "partitions": bus.partitions})
    try:
        worker.run(stop)
    finally:
        pipeline.close()
        bus.close()
        db.dispose()
        logger.info("worker stopped", extra={"worker": name, "processed": worker.processed})
