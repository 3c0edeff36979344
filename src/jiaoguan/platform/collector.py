"""Garbage-collector settings for a process that ingests streams.

CPython's default (a young collection every 700 net container allocations, a full one whenever a
quarter more objects have survived) suits short scripts. An ingesting server holds thousands of
request objects alive across a thread hand-off (a VIID batch's 500 JSON dicts, its pass records);
young collections catch them alive and promote them, and full collections of the whole heap then
ran every second or so and took 100–250 ms each: they were the tail of the alert latency
(benchmarks/bench_checkpoint.py). With a larger young generation the batch is freed by reference
counting before a collection sees it, and full collections become rare.
"""

from __future__ import annotations

import gc

YOUNG = 50_000  # net container allocations before a young collection (default 700)
MIDDLE = 20  # young collections before a middle one (default 10)
OLD = 100  # middle collections before a full one is considered (default 10)


def tune_garbage_collector() -> None:
    """Idempotent; applies to the whole process (every app created in it)."""
    gc.set_threshold(YOUNG, MIDDLE, OLD)
