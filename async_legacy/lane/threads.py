"""The pool's threads: each runs jobs from its own queue; a job may wait on it
for a coroutine on the loop (:class:`_Call`) while the thread serves the
request's other jobs."""

import asyncio
import queue
import threading
from typing import TYPE_CHECKING, Any, Callable, Optional

if TYPE_CHECKING:
    from .pool import LanePool

#: Per thread: ``current``, the _LaneThread running there; ``entered``, the
#: request contexts entered on it (jobs nested in a job of the same request).
#: Each thread reads and writes only its own.
_thread = threading.local()


def _noop() -> None:
    pass


class _StartedEvent(threading.Event):
    """A Thread's ``_started`` whose ``wait()`` (in ``Thread.start()``) does not block."""

    def wait(self, timeout: Optional[float] = None) -> bool:
        return True


class _LaneThread:
    """One pooled thread with its own job queue."""

    def __init__(self, pool: "LanePool", index: int) -> None:
        self.pool = pool  # set once
        #: Any thread puts (the loop, the pool's release, a job queuing the
        #: next); only this thread gets. SimpleQueue is the synchronisation.
        #: None ends the thread.
        self.jobs: queue.SimpleQueue[Optional[Callable[[], object]]] = queue.SimpleQueue()
        #: False only when a job just ended leaving nothing for the release
        #: hygiene (LanePool's ``holds``): the thread can go back without a trip.
        #: Written by the thread at a job's end, read on the loop after the
        #: job's end was delivered there (so it is the job's own value).
        self.dirty = True
        #: time.monotonic() when it last went back to the pool (under the pool's lock).
        self.freed_at = 0.0
        self.thread = threading.Thread(target=self._main, name="async_legacy-lane-%d" % index, daemon=True)
        # Thread.start() waits until the new thread has run its first lines:
        # 0.25 ms of the loop's time each, 0.25 s for a burst of 1000 requests
        # that each start one. Jobs queue until it runs, so the loop need not wait.
        self.thread._started = _StartedEvent()  # type: ignore[attr-defined]  # Thread's private start event
        self.thread.start()

    def _main(self) -> None:
        _thread.current = self
        while True:
            job = self.jobs.get()
            if job is None:
                return
            self.dirty = True
            job()
            # Parked, the thread would hold its last job (its request's
            # context, lane and result) until the next one.
            job = None

    def serve_until(self, call: "_Call") -> Any:
        """Run queued jobs on this thread until ``call`` (a :class:`_Call`) is done."""
        while not call.done:
            self.jobs.get()()  # type: ignore[misc]  # None only ends a free thread, not one serving
            self.dirty = True  # the job that waits here goes on
        if call.cancelled:
            # The request was cancelled (its client left): asyncio's
            # CancelledError, a BaseException from Python 3.8, unwinds the
            # middleware frame waiting here like the task it belongs to, and
            # is no "Internal Server Error" with a traceback to log and mail.
            raise asyncio.CancelledError()
        if call.error is not None:
            raise call.error
        return call.value

    def note_clean(self) -> None:
        """At a job's end, before its caller learns of it: may the thread go back without hygiene?"""
        holds = self.pool.holds
        if holds is None:
            return
        try:
            self.dirty = bool(holds())
        except Exception:  # noqa: BLE001 - then the hygiene runs, as it always did
            self.dirty = True


class _Call:
    """A coroutine a lane thread waits for (:meth:`Lane.call_async`).

    Written on the loop, read by the waiting thread once ``done`` is set
    (the wake-up through its job queue orders the two).
    """

    __slots__ = ("worker", "task", "done", "cancelled", "error", "value")

    task: "Optional[asyncio.Task[Any]]"
    error: Optional[BaseException]
    value: Any

    def __init__(self, worker: _LaneThread) -> None:
        self.worker = worker
        self.task = None
        self.done = self.cancelled = False
        self.error = self.value = None

    def cancel(self) -> None:
        self.cancelled = True  # also when the task has not started yet
        if self.task is not None:
            self.task.cancel()

    def finish(self) -> None:
        self.done = True
        self.worker.jobs.put(_noop)  # wakes the thread in serve_until
