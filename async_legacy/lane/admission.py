"""Requests let in a few at a time while others are running.

A worker interleaves its requests: each runs a step, awaits, and another runs.
For requests that only compute (a DRF list rendered from the database, no
upstream call) that costs more than serving them one after another, and not in
the steps themselves: in the cyclic garbage collector. With 64 such requests
interleaved each lives about 64 requests' worth of allocations, so the oldest
objects of its one big cycle (Django's request, DRF's request and view point at
each other) reach the collector's old generation before it ends, and its
garbage waits for full collections, about five times as dear per object as the
middle generation's, where a server serving one request at a time collects it.
Their steps share one CPU anyway (one interpreter lock, and the worker is
pinned to one CPU), so interleaving them gains nothing.

So a new request is let in only while fewer than ``slots`` of the requests in
flight are running: on their thread (a job not parked waiting for the loop) or
on the loop (their task, or a coroutine a parked job waits for, ready to run).
The others wait, in arrival order, before any of their Django objects exist.
A request stops counting for good once it is seen waiting on something else
than the CPU -- a timer or a socket on the loop, or a thread whose CPU clock
stood still for ``BLOCKED`` seconds (blocking I/O in a sync view) -- or once it
has been in flight for ``HEAVY`` seconds: a long poll, a view awaiting an
upstream call or a sync view calling one never holds the others, and a request
that computes for long delays a light one by at most that.

It holds requests only while the requests of late are heavy: ``HEAVY_CPU``
seconds or more of CPU each on their thread, on average (``Admission.gating``).
Held all the time, it cost bursts of light requests that wait (1000 clients
behind sync middleware, 40 ``sync_to_async`` sleeps at once; docs/drf.md),
likely because it also serializes what only looks like computing -- a new
thread's start, a job waiting for the interpreter lock, the first 20 ms of a
blocked one -- which a burst otherwise overlaps (not traced). Light requests
leave little for the collector however interleaved, so they have nothing to
gain from it.

Only the loop's thread uses it.
"""

import asyncio
import collections
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Deque, Dict, Optional, Tuple

from .wait import suspended_on

if TYPE_CHECKING:
    from .request import Lane

#: Seconds in flight after which a request no longer counts.
HEAVY = 0.1
#: Seconds a thread's CPU clock must stand still for its job to count as waiting on I/O.
BLOCKED = 0.02
#: Seconds between looks at the count while requests wait.
TICK = 0.001
#: Seconds of CPU a request spends on its thread, on average, from which the
#: admission holds requests at all (see ``Admission.gating``).
HEAVY_CPU = 0.0015
#: One request in this many is measured for that average.
SAMPLE = 4
#: The average's weight of the newest measurement.
WEIGHT = 0.125
#: A measurement counts for at most this many HEAVY_CPU: one light request
#: that happened to run a full garbage collection does not start the holding.
CAP = 4

try:  # Unix: a thread's own CPU clock
    _cpu_clock: Optional[Callable[[int], int]] = time.pthread_getcpuclockid
except AttributeError:  # pragma: no cover - Windows
    _cpu_clock = None


#: A measured request that has not taken a thread yet.
_UNTAKEN: "Tuple[Optional[threading.Thread], float]" = (None, -1.0)


def _thread_cpu(ident: int) -> float:
    """Seconds of CPU the thread ``ident`` used (-1: unknown, or it ended)."""
    if _cpu_clock is None:
        return -1.0
    try:
        return time.clock_gettime(_cpu_clock(ident))
    except OSError:
        return -1.0


def _ready(future: "Optional[asyncio.Future[Any]]") -> bool:
    """True if a task suspended on ``future`` (None: not suspended) runs next."""
    return future is None or future.done()


class _Counted:
    """What the admission last saw of a request it counts."""

    __slots__ = ("since", "ident", "clock", "still_since")

    def __init__(self, now: float) -> None:
        self.since = now  # let in
        self.ident: Optional[int] = None  # the thread whose CPU clock was read
        self.clock = 0.0  # that clock's reading
        self.still_since = 0.0  # when the reading was taken


class Admission:
    """One pool's gate: ``admit()`` when a request starts, ``done()`` when it ends.

    It holds requests only while ``gating`` (see the module doc): one request
    in ``SAMPLE`` is measured from the take of its thread to its end, one that
    takes no thread counting 0, each at most ``CAP * HEAVY_CPU``.
    """

    def __init__(self, slots: int) -> None:
        self.slots = slots
        #: The average CPU on its thread of the requests measured.
        self.cpu = 0.0
        #: True while that average is at least HEAVY_CPU.
        self.gating = self.cpu >= HEAVY_CPU
        self._sampled = 0
        #: Lanes let in and not yet seen waiting on anything but the CPU.
        self._counted: Dict[Lane, _Counted] = {}
        self._waiting: Deque[Tuple[asyncio.Future[None], Lane]] = collections.deque()
        self._tick: Optional[asyncio.Handle] = None
        self._nudged = False

    def admit(self, lane: "Lane") -> "Optional[asyncio.Future[None]]":
        """None: go on now. Else a future to await (the lane is counted when it is set)."""
        self._sampled += 1
        if self._sampled >= SAMPLE:
            self._sampled = 0
            lane._cpu_from = _UNTAKEN
        if not self.gating:
            return None
        if not self._waiting and self._has_room():
            self._let_in(lane)
            return None
        future: asyncio.Future[None] = asyncio.get_event_loop().create_future()
        self._waiting.append((future, lane))
        self._schedule()
        return future

    def took(self, lane: "Lane", thread: threading.Thread) -> None:
        """``lane`` took ``thread``: where its CPU clock starts, if it is measured."""
        if lane._cpu_from is _UNTAKEN:
            ident = thread.ident
            # A thread not started yet has no ident: its clock starts at 0.
            lane._cpu_from = (thread, 0.0 if ident is None else _thread_cpu(ident))

    def done(self, lane: "Lane") -> None:
        """The request of ``lane`` ended (or gave up waiting)."""
        start = lane._cpu_from
        if start is not None:
            lane._cpu_from = None
            self._measured(lane, start)
        if self._counted.pop(lane, None) is not None and self._waiting:
            self._wake()

    def _measured(self, lane: "Lane", start: "Tuple[Optional[threading.Thread], float]") -> None:
        used = 0.0  # took no thread
        if start is not _UNTAKEN:
            thread, clock = start
            worker = lane._worker
            ident = thread.ident if thread is not None else None
            if worker is None or worker.thread is not thread or ident is None or clock < 0:
                return  # gave its thread back meanwhile (no affinity), or its clock was not read
            used = _thread_cpu(ident) - clock
            if used < 0:
                return  # the clock could not be read
        self.cpu += (min(used, CAP * HEAVY_CPU) - self.cpu) * WEIGHT
        gating = self.cpu >= HEAVY_CPU
        if gating != self.gating:
            self.gating = gating
            if not gating:
                self._counted.clear()
                self._wake()

    def nudge(self) -> None:
        """A request may have just started waiting (a job of it ended, or a job
        parked and its coroutine started): look again at the next loop pass,
        after that request's task has run up to its next await, rather than at
        the next tick. Otherwise a burst of requests whose threads park (sync
        middleware frames) would go in two per tick."""
        if self._waiting and not self._nudged:
            self._nudged = True
            asyncio.get_event_loop().call_soon(self._on_nudge)

    def _on_nudge(self) -> None:
        self._nudged = False
        self._wake()

    def _has_room(self) -> bool:
        return self._running() < self.slots

    def _let_in(self, lane: "Lane") -> None:
        self._counted[lane] = _Counted(time.perf_counter())

    def _running(self) -> int:
        if not self._counted:
            return 0
        running = 0
        now = time.perf_counter()
        for lane, seen in list(self._counted.items()):
            if self._runs(lane, seen, now):
                running += 1
            else:
                del self._counted[lane]
        return running

    def _runs(self, lane: "Lane", seen: _Counted, now: float) -> bool:
        """False if the request ended, waits on something else than the CPU, or is heavy."""
        task = lane._task
        if lane.closed or task is None or task.done() or now - seen.since >= HEAVY:
            return False
        if lane._taking is not None:  # taking a thread: its first job is next
            return True
        calls = lane._calls
        parked = len(calls) if calls else 0
        if lane._busy > parked:  # a job queued or running, not waiting for the loop
            return self._thread_runs(lane, seen, now)
        if _ready(suspended_on(task)):
            return True
        # Its jobs wait for coroutines on the loop: running if one of those is.
        return any(call.task is None or _ready(suspended_on(call.task)) for call in list(calls or ()))

    def _thread_runs(self, lane: "Lane", seen: _Counted, now: float) -> bool:
        worker = lane._worker
        ident = worker.thread.ident if worker is not None else None
        if ident is None:
            return True
        clock = _thread_cpu(ident)
        if clock < 0:  # no thread clocks here, or the thread just ended
            return True
        if ident != seen.ident or clock != seen.clock:
            seen.ident, seen.clock, seen.still_since = ident, clock, now
            return True
        return now - seen.still_since < BLOCKED  # else it has not run for BLOCKED seconds: I/O

    def _schedule(self) -> None:
        if self._tick is None:
            self._tick = asyncio.get_event_loop().call_later(TICK, self._on_tick)

    def _on_tick(self) -> None:
        self._tick = None
        self._wake()

    def _wake(self) -> None:
        while self._waiting and (not self.gating or self._has_room()):
            future, lane = self._waiting.popleft()
            if not future.done():  # else its request was cancelled (client gone)
                self._let_in(lane)
                future.set_result(None)
        if self._waiting:
            self._schedule()
