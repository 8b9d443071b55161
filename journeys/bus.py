"""The scaled deployment's event bus: Redis Streams, partitioned by customer.

With `CEREBRO_REDIS_URL` set, the API does not decide events itself: it validates them and
appends them to one of `CEREBRO_BUS_PARTITIONS` streams (`<prefix>:events:<n>`), chosen by a
stable hash of the customer's key (the `userId`, else the `anonymousId`), so all events of a
customer are in one stream, in the order they were accepted. `cerebro worker` processes
(`journeys.worker`) consume the streams through one consumer group and run the same pipeline.

An entry is the event as JSON plus the source key (the write key's fingerprint) that scopes its
`messageId`; the pipeline's idempotency on `(source key, messageId)` makes a redelivered entry a
harmless duplicate.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import redis
from redis.commands.core import Script
from redis.exceptions import ResponseError
from redis.typing import EncodableT, FieldT

from journeys.events import Event

GROUP = "cerebro-workers"
"""The consumer group every worker joins."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry read from a stream: where it is, and the event it carries."""

    partition: int
    entry_id: str
    event: Event
    source_key: str


def customer_key(event: Event) -> str:
    """What partitions an event: the customer id, else the anonymous id."""
    key = event.user_id or event.anonymous_id
    assert key is not None, "a validated event names a user or an anonymous id"
    return key


Fields = dict[FieldT, EncodableT]


def encode(event: Event, source_key: str) -> Fields:
    body = {
        "type": event.type,
        "message_id": event.message_id,
        "source": event.source,
        "timestamp": event.timestamp.isoformat(),
        "received_at": event.received_at.isoformat(),
        "user_id": event.user_id,
        "anonymous_id": event.anonymous_id,
        "previous_id": event.previous_id,
        "name": event.name,
        "properties": dict(event.properties),
        "traits": dict(event.traits),
        "context": dict(event.context),
    }
    return {"event": json.dumps(body, separators=(",", ":")), "source_key": source_key}


def decode(fields: Mapping[bytes, bytes]) -> tuple[Event, str]:
    body = json.loads(fields[b"event"])
    event = Event(
        type=body["type"],
        message_id=body["message_id"],
        source=body["source"],
        timestamp=datetime.fromisoformat(body["timestamp"]),
        received_at=datetime.fromisoformat(body["received_at"]),
        user_id=body["user_id"],
        anonymous_id=body["anonymous_id"],
        previous_id=body["previous_id"],
        name=body["name"],
        properties=body["properties"],
        traits=body["traits"],
        context=body["context"],
    )
    return event, fields[b"source_key"].decode()


class EventBus:
    """The partitioned streams on one Redis server, and the consumer group on them."""

    def __init__(self, client: redis.Redis, partitions: int, prefix: str = "cerebro") -> None:
        self.client = client
        self.partitions = partitions
        self.prefix = prefix
        self._groups_ready = False
        self._forget_script: Script | None = None

    @classmethod
    def from_url(cls, url: str, partitions: int, prefix: str = "cerebro") -> EventBus:
        return cls(redis.Redis.from_url(url), partitions, prefix)

    def close(self) -> None:
        self.client.close()

    def stream(self, partition: int) -> str:
        return f"{self.prefix}:events:{partition}"

    def partition_of(self, event: Event) -> int:
        """A stable hash (the same in every process, unlike `hash`) of the customer's key."""
        return zlib.crc32(customer_key(event).encode()) % self.partitions

    def ensure_group(self) -> None:
        """Create the streams' consumer group (from the start of each stream) if missing."""
        if self._groups_ready:
            return
        for partition in range(self.partitions):
            try:
                self.client.xgroup_create(self.stream(partition), GROUP, id="0", mkstream=True)
            except ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise
        self._groups_ready = True

    def publish(self, events: Sequence[Event], source_key: str) -> list[str]:
        """Append the events, in order, each to its customer's stream; their entry ids."""
        self.ensure_group()
        batch = self.client.pipeline(transaction=False)
        for event in events:
            batch.xadd(self.stream(self.partition_of(event)), encode(event, source_key))
        return [_text(entry_id) for entry_id in batch.execute()]

    def read_new(
        self, consumer: str, partitions: Sequence[int], count: int, block_ms: int
    ) -> list[Entry]:
        """Entries never delivered to any consumer, from these partitions (blocking a while)."""
        if not partitions:
            return []
        self.ensure_group()
        answer = cast(
            list[Any],
            self.client.xreadgroup(
                GROUP,
                consumer,
                {self.stream(p): ">" for p in partitions},
                count=count,
                block=block_ms,
            ),
        )
        found: list[Entry] = []
        for stream_name, items in answer or []:
            partition = int(_text(stream_name).rsplit(":", 1)[1])
            found.extend(_entries(partition, items))
        return found

    def claim_pending(
        self, consumer: str, partition: int, count: int = 500, *, idle_ms: int = 0
    ) -> list[Entry]:
        """Take over the entries of the partition that were delivered but never acknowledged
        (their consumer died, failed or lost the partition), oldest first (`XAUTOCLAIM`);
        `idle_ms`: only those delivered at least that long ago."""
        self.ensure_group()
        found: list[Entry] = []
        start = "0-0"
        while True:
            answer: list[Any] = self.client.xautoclaim(
                self.stream(partition), GROUP, consumer, idle_ms, start_id=start, count=count
            )
            start, items = _text(answer[0]), answer[1]
            found.extend(_entries(partition, items))
            if start == "0-0":
                return sorted(found, key=lambda entry: _order(entry.entry_id))

    def acknowledge(self, partition: int, entry_ids: Sequence[str]) -> None:
        """Done with these entries: acknowledged and removed from the stream."""
        if not entry_ids:
            return
        batch = self.client.pipeline(transaction=True)
        batch.xack(self.stream(partition), GROUP, *entry_ids)
        batch.xdel(self.stream(partition), *entry_ids)
        batch.execute()

    def dead_letter(self, entry: Entry, error: str) -> None:
        """Keep an entry whose processing failed (rolled back) for a person to look at."""
        fields = encode(entry.event, entry.source_key)
        fields["error"] = error[:2000]
        self.client.xadd(f"{self.prefix}:events:dead", fields)

    def forget_consumers(
        self, partition: int, *, keep: str = "", only: str = "", idle_ms: int = 0
    ) -> list[str]:
        """Remove from the partition's group the consumers that hold no entry and were idle at
        least `idle_ms`, except `keep` (or only `only`): workers that left or died once their
        entries were claimed. The names removed. A consumer that holds entries is never removed
        (that would drop them from the group's pending list, and nobody could claim them), and
        the check and the removal are one atomic script, so none can arrive in between."""
        self.ensure_group()
        gone = self._forget(keys=[self.stream(partition)], args=[GROUP, keep, only, idle_ms])
        return [_text(name) for name in cast(list[bytes], gone)]

    @property
    def _forget(self) -> Script:
        if self._forget_script is None:
            self._forget_script = self.client.register_script(_FORGET_CONSUMERS)
        return self._forget_script

    def consumers(self, partition: int) -> list[str]:
        """The names of the consumers the partition's group knows."""
        infos = self.client.xinfo_consumers(self.stream(partition), GROUP)
        return sorted(_text(info["name"]) for info in infos)

    def pending(self, partition: int) -> int:
        """How many entries of the partition were delivered and not yet acknowledged."""
        summary: dict[str, Any] = self.client.xpending(self.stream(partition), GROUP)
        return int(summary["pending"])


_FORGET_CONSUMERS = """
local gone = {}
for _, info in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local field = {}
  for i = 1, #info, 2 do field[info[i]] = info[i + 1] end
  local name = field['name']
  if name ~= ARGV[2] and (ARGV[3] == '' or name == ARGV[3])
      and field['pending'] == 0 and field['idle'] >= tonumber(ARGV[4]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
    table.insert(gone, name)
  end
end
return gone
"""


def _entries(partition: int, items: Sequence[Any]) -> list[Entry]:
    found = []
    for entry_id, fields in items:
        if fields is None:  # deleted while pending
            continue
        event, source_key = decode(fields)
        found.append(Entry(partition, _text(entry_id), event, source_key))
    return found


def _order(entry_id: str) -> tuple[int, int]:
    millis, _, sequence = entry_id.partition("-")
    return int(millis), int(sequence or 0)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
