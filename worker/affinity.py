"""Each worker process on one CPU (``GAIOHTTP_CPU_AFFINITY``, default on).

A worker's Python code runs one thread at a time (the GIL): the event loop,
and the request threads it hands blocking work to (middleware hooks that may
do I/O, the ORM, sync views) take turns. Each hand-off wakes a sleeping thread;
when the two threads sit on different CPUs that wake crosses CPUs, which on a
virtual machine costs an idle CPU's wake-up: measured 61 us of wall time and
48 us of CPU per round trip across CPUs, 9.5 us on one CPU. Pinned, a Django
2.2 worker served a realistic middleware stack 2.0x as fast and logged-in
requests 1.5x as fast. Workers are spread: each takes the allowed CPU the
fewest of its siblings (the other workers of its arbiter) are pinned to, in an
order that differs from arbiter to arbiter, so that servers sharing a machine
do not all start on its first CPU.

Not done when the process may run on one CPU only (``taskset``, a cpuset:
the choice is made), or where the platform has no ``sched_setaffinity``.
"""

import os
import zlib
from typing import Any, Dict, List, Optional

from .options import CPU_AFFINITY_ENV


def _siblings(ppid: int) -> List[int]:
    """The arbiter's other children (its workers), or [] where /proc cannot say."""
    try:
        with open("/proc/%d/task/%d/children" % (ppid, ppid)) as f:
            return [int(p) for p in f.read().split() if int(p) != os.getpid()]
    except (OSError, ValueError):
        return []


def _arbiter_offset(ppid: int) -> int:
    # The same for every worker of one arbiter, different between arbiters
    # (even with pid 1 in each container: their start times differ).
    try:
        with open("/proc/%d/stat" % ppid, "rb") as f:
            start = f.read().rsplit(b")", 1)[1].split()[19]
    except (OSError, IndexError):
        start = b""
    return zlib.crc32(b"%d:%s" % (ppid, start))


def choose_cpu(allowed: List[int], age: int, ppid: int) -> int:
    """The allowed CPU the fewest sibling workers are pinned to (ties: this
    arbiter's order, starting at this worker's age)."""
    count: Dict[int, int] = dict.fromkeys(allowed, 0)
    for pid in _siblings(ppid):
        try:
            cpus = os.sched_getaffinity(pid)
        except OSError:  # it exited meanwhile
            continue
        if len(cpus) == 1:
            cpu = next(iter(cpus))
            if cpu in count:
                count[cpu] += 1
    start = (_arbiter_offset(ppid) + age) % len(allowed)
    order = allowed[start:] + allowed[:start]
    return min(order, key=lambda cpu: count[cpu])  # min keeps the first of equals


def pin(age: int, ppid: int, log: Any) -> Optional[int]:
    """Pin the calling process (before it starts threads) to one CPU; the CPU or None."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None
    cpu = choose_cpu(allowed, age, ppid)
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError as exc:  # a container may forbid it: serve unpinned
        log.warning("gaiohttp worker: could not pin itself to CPU %d (%s); serving unpinned.", cpu, exc)
        return None
    log.info("gaiohttp worker pinned to CPU %d of %s (%s=0 turns this off)", cpu, allowed, CPU_AFFINITY_ENV)
    return cpu
