"""The process's heap after start-up, out of the garbage collector's way.

Python's full (generation 2) collection walks every tracked object the process holds. After
start-up that is mostly what never dies: modules, SQLAlchemy's and pydantic's machinery, the
models. A full collection then pauses whatever runs for tens of milliseconds (about 50 ms in an
event worker, 250 ms next to the assistant's models), and it comes back as often as the
process allocates: those pauses were the slowest batches of `benchmarks/bench_events.py`.
`gc.freeze()` moves what is alive at that point into a generation the collector never walks;
what the process allocates later is collected as before.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Collect the start-up garbage, then keep what survives out of later full collections.
    Call once the process has loaded what it keeps for its whole life."""
    gc.collect()
    gc.freeze()
