"""The pool of lane threads one application's requests share."""

import asyncio
import functools
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Callable, Deque, List, Optional, Set, cast

from .. import conf
from .admission import Admission
from .jobs import _hygiene
from .threads import _LaneThread

if TYPE_CHECKING:
    from .request import Lane

#: Threads a pool keeps however long they stay unused.
KEEP_THREADS = 32
#: Seconds a thread beyond KEEP_THREADS may stay unused before it exits.
RETIRE_AFTER = 30.0


class LanePool:
    """At most ``size`` threads, shared by all requests of one application.

    Threads are created when a request needs one and none is free, and kept;
    the most recently freed is taken first, so under a steady load the same
    few stay warm and the rest, beyond ``KEEP_THREADS``, retire after
    ``RETIRE_AFTER`` seconds unused (``on_retire`` runs on them first: their
    database connections are closed, not leaked).
    """

    def __init__(
        self,
        size: int,
        on_acquire: Optional[Callable[[], object]] = None,
        on_release: Optional[Callable[[], object]] = None,
        idle: float = 0.005,
        holds: Optional[Callable[[], object]] = None,
        affinity: bool = True,
        on_retire: Optional[Callable[[], object]] = None,
        admit: int = 0,
    ) -> None:
        # Checked here too: tests and embedders make pools without settings.
        size = conf.check("ASYNC_LEGACY_THREADS", size)
        idle = conf.check("ASYNC_LEGACY_THREAD_IDLE", idle)
        affinity = conf.check("ASYNC_LEGACY_THREAD_AFFINITY", affinity)
        admit = conf.check("ASYNC_LEGACY_ADMIT_WHILE_BUSY", admit)
        # Set once here, read from any thread: size, affinity, idle, on_acquire,
        # on_release, on_retire, holds.
        self.size = size
        #: True: a request keeps the thread it took until it ends (see the module doc).
        self.affinity = affinity
        #: Seconds a request keeps a thread it leaves idle, without affinity.
        self.idle = idle
        #: Run on the thread when a request takes it / gives it back
        #: (connection hygiene: request_started / request_finished's part).
        self.on_acquire = on_acquire
        self.on_release = on_release
        #: Run on a thread before it exits (close its database connections).
        self.on_retire = on_retire
        #: Run on a thread at a job's end: True if ``on_release`` has work there
        #: (an open DB connection). None: it always has.
        self.holds = holds
        # Guarded by _lock: _threads, _free, _waiters, _created.
        self._threads: List[_LaneThread] = []
        self._free: List[_LaneThread] = []
        self._waiters: Deque[asyncio.Future[_LaneThread]] = deque()
        self._created = 0
        self._lock = threading.Lock()
        #: Lanes holding a thread they left idle (loop thread only): asked to
        #: give it back early when a request starts waiting for one.
        self._idlers: Set[Lane] = set()
        #: Lets requests in a few at a time while the threads keep the CPU busy (None: off).
        self.admission = Admission(admit) if admit else None
        # The loop whose timer retires unused threads, while one is set (loop thread only).
        self._reap_loop: Optional[asyncio.AbstractEventLoop] = None

    @property
    def busy(self) -> int:
        with self._lock:
            return len(self._threads) - len(self._free)

    @property
    def threads(self) -> int:
        """Threads the pool has now (busy or free)."""
        return len(self._threads)

    @property
    def contended(self) -> bool:
        """True while a request waits for a thread."""
        return bool(self._waiters)

    async def acquire(self) -> _LaneThread:
        with self._lock:
            if self._free:
                return self._free.pop()
            if len(self._threads) < self.size:
                worker = _LaneThread(self, self._created)
                self._created += 1
                self._threads.append(worker)
                if len(self._threads) > KEEP_THREADS and (self._reap_loop is None or self._reap_loop.is_closed()):
                    self._reap_loop = asyncio.get_event_loop()
                    self._reap_loop.call_later(RETIRE_AFTER, self._reap)
                return worker
            fut: asyncio.Future[_LaneThread] = asyncio.get_event_loop().create_future()
            self._waiters.append(fut)
        for lane in list(self._idlers):
            lane.on_contention()
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release(fut.result())
            raise

    def release(self, worker: _LaneThread) -> None:
        """Give a thread back (any thread may call this)."""
        with self._lock:
            while self._waiters:
                fut = self._waiters.popleft()
                if fut.done():
                    continue
                loop = fut.get_loop()
                try:
                    if asyncio._get_running_loop() is loop:  # no wake-up write needed
                        loop.call_soon(self._hand_over, fut, worker)
                    else:
                        loop.call_soon_threadsafe(self._hand_over, fut, worker)
                except RuntimeError:  # that waiter's loop is closed
                    continue
                return
            worker.freed_at = time.monotonic()
            self._free.append(worker)

    def _reap(self) -> None:
        """On the loop: threads beyond KEEP_THREADS unused for RETIRE_AFTER exit."""
        retired = []
        with self._lock:
            cutoff = time.monotonic() - RETIRE_AFTER
            # _free is oldest first: the least recently used are at its start.
            while len(self._threads) > KEEP_THREADS and self._free and self._free[0].freed_at <= cutoff:
                worker = self._free.pop(0)
                self._threads.remove(worker)
                retired.append(worker)
            more = len(self._threads) > KEEP_THREADS
        for worker in retired:
            if self.on_retire is not None:
                worker.jobs.put(functools.partial(_hygiene, self.on_retire))
            worker.jobs.put(None)
        if more:
            # Set: this runs on the timer of that loop.
            cast(asyncio.AbstractEventLoop, self._reap_loop).call_later(RETIRE_AFTER / 4, self._reap)
        else:
            self._reap_loop = None

    def _release_after_hygiene(self, worker: _LaneThread) -> None:
        try:
            if self.on_release is not None:
                self.on_release()
        finally:
            self.release(worker)

    def _hand_over(self, fut: "asyncio.Future[_LaneThread]", worker: _LaneThread) -> None:
        if fut.done():
            self.release(worker)
        else:
            fut.set_result(worker)
