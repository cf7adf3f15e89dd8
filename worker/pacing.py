"""New requests take turns with the I/O of requests already in flight.

asyncio runs, in one turn of its loop, every callback that was ready when the
turn began, and only then asks the selector what else has happened. A burst of
new requests (a thousand clients connecting at once, a proxy flushing its
queue) is ready at once, so each one's first step -- the middleware and the
view up to its first real await -- runs in that one turn. For as long as that
takes, nothing already in flight moves: no upstream reply is read, no response
is written, no upstream request goes out. Every request of a burst of N then
waits for all N, and a burst of requests that each call a slow upstream comes
back all at once, as late as its last member.

The pacer gives new requests a slice of each turn (``SLICE`` seconds of loop
time). Past it, they wait in arrival order for the next turn, which comes after
the selector was polled. Requests already in flight are never held; new ones
whose first steps fit in the slice go on at once.

While a burst waits its turns, the cyclic garbage collector is held (at most
``GC_HOLD`` seconds, and never more than half the time). A burst grows the
heap by every new request's objects, all alive, and CPython starts a full
collection each time the old generation grew by a quarter: a burst of a
thousand requests that each hold an upstream call paid for half a dozen full
passes over a growing heap, ~0.2 s of loop time, nearly all of it alive. Held,
the burst's objects are examined once, by the collections that follow it.
"""

import asyncio
import collections
import gc
from time import perf_counter
from typing import Deque, Optional

#: Loop time per turn for the first steps of new requests (seconds): a few of
#: a heavy view's, dozens of a light one's.
SLICE = 0.002

#: The longest the collector is held for one burst (seconds). After a hold it
#: runs at least as long as the hold lasted before the next one.
GC_HOLD = 1.0


class Pacer:
    """Admits new requests, about ``slice`` seconds' worth per loop turn.

    ``admit()`` returns None (go on) or a future to await, then ``resumed()``.
    Only the loop's thread uses it.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, slice_: float = SLICE) -> None:
        self._loop = loop
        self._slice = slice_
        self._started: Optional[float] = None  # the first admission since the last tick
        self._admitted = 0  # since the last tick
        self._full = False  # one was turned away for time since the last tick
        self._waiting: Deque[asyncio.Future[None]] = collections.deque()
        self._wake = 1  # how many waiters a tick wakes
        self._batch = 0  # how many the last tick woke
        self._batch_started: Optional[float] = None  # when the first of them went on
        self._tick_due = False
        self._gc_held: Optional[float] = None  # when the collector was held
        self._gc_free_at = 0.0  # no hold before then

    def admit(self) -> "Optional[asyncio.Future[None]]":
        if not self._waiting:  # else behind them: arrival order
            now = perf_counter()
            if self._started is None:
                self._started = now
                self._schedule_tick()
            if now - self._started < self._slice:
                self._admitted += 1
                return None
            self._full = True
        future = self._loop.create_future()
        if not self._waiting:
            self._hold_gc(now)
        self._waiting.append(future)
        self._schedule_tick()
        return future

    def resumed(self) -> None:
        """A woken request goes on."""
        if self._batch_started is None:
            self._batch_started = perf_counter()

    def _hold_gc(self, now: float) -> None:
        # Only a collector that is on, so that one the application turned off
        # stays off when the burst is over.
        if self._gc_held is None and now >= self._gc_free_at and gc.isenabled():
            gc.disable()
            self._gc_held = now

    def _release_gc(self, held_since: float) -> None:
        now = perf_counter()
        gc.enable()
        self._gc_free_at = now + (now - held_since)
        self._gc_held = None

    def _schedule_tick(self) -> None:
        if not self._tick_due:
            self._tick_due = True
            self._loop.call_soon(self._tick)

    def _tick(self) -> None:
        # One turn after it was scheduled: the selector was polled in between,
        # so requests in flight had their I/O. The requests a tick wakes go on
        # first thing next turn, and that turn's tick runs right after them:
        # it measures what their first steps cost, and wakes as many as fit
        # in a slice (at most twice as many as before).
        self._tick_due = False
        if self._batch_started is not None:
            each = (perf_counter() - self._batch_started) / self._batch
            fit = int(self._slice / each) if each > 0 else 2 * self._batch
            self._wake = max(1, min(fit, 2 * self._batch))
        elif self._full:
            self._wake = max(1, self._admitted)
        self._started = self._batch_started = None
        self._admitted = 0
        self._full = False
        woken = 0
        while self._waiting and woken < self._wake:
            future = self._waiting.popleft()
            if not future.done():  # else its request was cancelled (client gone)
                future.set_result(None)
                woken += 1
        self._batch = woken
        held_since = self._gc_held
        if held_since is not None and (not self._waiting or perf_counter() - held_since >= GC_HOLD):
            self._release_gc(held_since)
        if woken or self._waiting:
            self._schedule_tick()
