"""The thread lane: every sync <-> async hop of a request goes through here.

A request that needs blocking work (a sync view, a middleware hook that may do
I/O, template rendering, the ORM, ``sync_to_async``) takes ONE thread from a
pool the first time it needs one, and all of its blocking work runs on that
thread. Django's per-thread database connection is opened, reused and closed
where it lives: ``close_old_connections`` runs there when the request takes the
thread and when it gives it back (CONN_MAX_AGE is honoured), and a request never
uses two threads at once.

Thread affinity (``ASYNC_LEGACY_THREAD_AFFINITY = True``, the default): the
request keeps its thread until it ends, parked while the request awaits, as
Django >= 4.0's handler keeps one per request (its ``ThreadSensitiveContext``).
So every sync step of one request - middleware hooks of any style,
``sync_to_async``, the async ORM names, template rendering, signal receivers -
sees the same ``threading.local`` state, as in Django's sync handler (audit-log
and history packages keep the request there), and no other request's. A
request holding a thread never waits for another one, so no request can wait
for a thread that its own later steps hold: no nested-pool deadlock at any
``ASYNC_LEGACY_THREADS``. A parked thread costs no CPU and a few tens of kB of
the worker's memory (1000 in flight on the bench's realistic stack: 119 MB of
RSS; on its typical stack, whose requests hold none: 93 MB; a bare parked
thread: 20 kB);
threads beyond ``KEEP_THREADS`` that stay unused for ``RETIRE_AFTER``
seconds close their database connections and exit.

Without affinity (``ASYNC_LEGACY_THREAD_AFFINITY = False``, opt-in) the thread
goes back to the pool once the request has left it idle for
``ASYNC_LEGACY_THREAD_IDLE`` seconds (default 0.005), so a coroutine view that
reads the database and then long-polls holds no thread while it waits. What
breaks then: thread-locals set by one step of a request may be gone, or another
request's, at its next step. When other requests wait for a thread, the grace
shrinks: a thread holding no database connection goes back as soon as it is
idle, and one holding a connection goes back as soon as its request is
suspended on something new (a timer, a socket: it has left its burst), or
after the loop passes of a burst otherwise. A thread is never given back while
a job of its request runs on it (a middleware frame waiting for the rest of the
chain), so that request's later steps never wait for a thread either.

Every job of one request runs in ONE ``contextvars.Context``, the request's,
brought up to date with the caller's context before the job and copied back
after it: a contextvar set in ``process_request`` can be reset with its token
in ``process_response``, as in Django's sync handler.

asgiref's thread-sensitive ``sync_to_async`` (the default, also behind
``async_legacy.sync_to_async`` and Channels' ``database_sync_to_async``) runs
on the request's lane too: the lane registers itself as the request's
per-context executor, the mechanism asgiref's ``ThreadSensitiveContext`` (and
Django >= 4.0's handler) use. asgiref's own executor for it would be a new
thread per request, whose persistent connections die with it.

Threads are long-lived: the pool creates them on demand up to its size and
keeps them, so persistent connections are not leaked by threads that die.

Short jobs are waited for in place. Handing a job to a thread and being woken
by it through the loop costs several thread switches, and under load each is a
fight for the GIL between the loop and every busy lane thread. A middleware
phase or a quick ORM step is over in tens of microseconds, while the GIL is
held by the lane thread anyway, so the loop waits for it without returning to
its queue: up to ``_IN_PLACE`` seconds, then it goes back to serving others
and the job wakes the task as usual. A kind of job (its function) that
outlasted that wait is awaited the usual way for its next few runs, so the
loop does not idle beside a database query or a slow upstream call.

A job may call back into the event loop (:meth:`Lane.call_async`, used by
middleware that cannot be split into hooks); while it waits, its thread keeps
serving the lane's queue, so the coroutine it awaits can hop back onto the
same thread without deadlocking - the same idea as asgiref's
``CurrentThreadExecutor``.
"""

import asyncio
import concurrent.futures
import contextvars
import functools
import logging
import queue
import threading
import time
from collections import deque
from typing import Any, Callable, TypeVar

from asgiref.sync import AsyncToSync, SyncToAsync, ThreadSensitiveContext

from . import conf

logger = logging.getLogger("async_legacy")

#: The lane of the request the current task serves (None outside a request).
current_lane = contextvars.ContextVar("async_legacy.lane", default=None)

_MISSING = object()
#: Passes of the event loop a thread must also stay idle before it goes back.
_IDLE_PASSES = 6
#: Threads a pool keeps however long they stay unused.
KEEP_THREADS = 32
#: Seconds a thread beyond KEEP_THREADS may stay unused before it exits.
RETIRE_AFTER = 30.0
#: Per thread: ``current``, the _LaneThread running there; ``entered``, the
#: request contexts entered on it (jobs nested in a job of the same request).
_thread = threading.local()


_T = TypeVar("_T")


def _noop():
    pass


class _StartedEvent(threading.Event):
    """A Thread's ``_started`` whose ``wait()`` (in ``Thread.start()``) does not block."""

    def wait(self, timeout=None):
        return True


class _LaneThread:
    """One pooled thread with its own job queue."""

    def __init__(self, pool, index):
        self.pool = pool
        self.jobs = queue.SimpleQueue()
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
        self.thread._started = _StartedEvent()
        self.thread.start()

    def _main(self):
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

    def serve_until(self, call):
        """Run queued jobs on this thread until ``call`` (a :class:`_Call`) is done."""
        while not call.done:
            self.jobs.get()()
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

    def note_clean(self):
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

    def __init__(self, worker):
        self.worker = worker
        self.task = None
        self.done = self.cancelled = False
        self.error = self.value = None

    def cancel(self):
        self.cancelled = True  # also when the task has not started yet
        if self.task is not None:
            self.task.cancel()

    def finish(self):
        self.done = True
        self.worker.jobs.put(_noop)  # wakes the thread in serve_until


def _deliver(fut, ok, value):
    if fut.cancelled():
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(value)


def _handling(exc, func, *args, **kwargs):
    # Django's exception helpers end in a bare ``raise``: give them an
    # active exception, as they would have in the sync handler.
    try:
        raise exc
    except BaseException:
        return func(*args, **kwargs)


def _in_request_context(ctx, caller, exc, func, args, kwargs):
    """On a lane thread: run ``func`` in the request's context ``ctx``.

    A job nested in another job of the same request (a middleware frame
    waiting for the rest of the chain serves the request's jobs) is already
    inside ``ctx``, which cannot be entered twice: it runs there as it is.
    """
    entered = getattr(_thread, "entered", None)
    if entered is None:
        entered = _thread.entered = []
    for outer in entered:
        if outer is ctx:  # by identity: contexts with equal contents compare equal
            return _up_to_date(caller, exc, func, args, kwargs)
    entered.append(ctx)
    try:
        return ctx.run(_up_to_date, caller, exc, func, args, kwargs)
    finally:
        entered.pop()


def _up_to_date(caller, exc, func, args, kwargs):
    # What the caller's task set since the request's last job, then the job.
    for var, value in caller.items():
        if var.get(_MISSING) is not value:
            var.set(value)
    if exc is None:
        return func(*args, **kwargs)
    return _handling(exc, func, *args, **kwargs)


#: Seconds the loop waits in place for a job of a kind known to be quick.
_IN_PLACE = 0.0005


class _InPlace:
    """When the loop waits for a lane job in place (see the module doc).

    Per kind of job: one that outlasted the wait is awaited through the loop
    for its next ``SLOW_RUNS`` runs, then tried in place again. For the
    process: when more than a quarter of recent in-place waits ran out (a
    crowded machine, where a woken thread waits for a CPU), none are tried
    for the next ``PAUSE`` jobs. Only the loop's thread touches this.
    """

    SLOW_RUNS = 16
    WINDOW = 64
    PAUSE = 1024

    def __init__(self):
        self.slow = {}  # {kind of job: runs left to await through the loop}
        self.tried = self.missed = self.paused = 0

    def worth_trying(self, site):
        if self.paused:
            self.paused -= 1
            return False
        left = self.slow.get(site)
        if left is None:
            return True
        if left <= 1:
            del self.slow[site]
        else:
            self.slow[site] = left - 1
        return False

    def wait(self, lock, site):
        """Wait up to _IN_PLACE for ``lock``; True if it was released in time."""
        done = lock.acquire(timeout=_IN_PLACE)
        if not done:
            self.slow[site] = self.SLOW_RUNS
            self.missed += 1
        self.tried += 1
        if self.tried >= self.WINDOW:
            if self.missed * 4 > self.WINDOW:
                self.paused = self.PAUSE
            self.tried = self.missed = 0
        return done


_in_place = _InPlace()


def _site(func):
    """What identifies a kind of job: the code it runs (bound methods,
    partials and per-request closures of one function share it)."""
    while isinstance(func, functools.partial):
        func = func.func
    func = getattr(func, "__func__", func)
    return getattr(func, "__code__", None) or type(func)


class _Job:
    """A job for a lane thread, waited for in place or through the loop.

    The thread sets the outcome, then either releases ``done`` (the loop
    waits in place) or, once the loop has stopped waiting in place, wakes the
    task's future through the loop. ``guard`` orders the two.
    """

    __slots__ = (
        "loop",
        "ctx",
        "caller",
        "exc",
        "func",
        "args",
        "kwargs",
        "first",
        "done",
        "guard",
        "fut",
        "finished",
        "ok",
        "value",
    )

    def __init__(self, loop, ctx, caller, exc, func, args, kwargs, first=None):
        self.loop, self.ctx, self.exc, self.func, self.args, self.kwargs = loop, ctx, exc, func, args, kwargs
        self.caller = caller  # a copy of the caller's context when it submitted the job
        self.first = first  # the thread's on_acquire hygiene, when this is its first job
        self.done = threading.Lock()
        self.done.acquire()
        self.guard = threading.Lock()
        self.fut = None
        self.finished = False

    def __call__(self):
        if self.first is not None:
            _hygiene(self.first)
        try:
            value = _in_request_context(self.ctx, self.caller, self.exc, self.func, self.args, self.kwargs)
        except BaseException as error:  # noqa: B902 - handed to the awaiting task
            ok, value = False, error
        else:
            ok = True
        self.ok, self.value = ok, value
        worker = getattr(_thread, "current", None)
        if worker is not None:
            worker.note_clean()
        with self.guard:
            self.finished = True
            fut = self.fut
        if fut is None:
            self.done.release()
            return
        try:
            self.loop.call_soon_threadsafe(_deliver, fut, ok, value)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass

    def outcome(self):
        if self.ok:
            return self.value
        raise self.value

    async def wake_me(self):
        """Await the outcome through the loop."""
        fut = self.loop.create_future()
        with self.guard:
            finished = self.finished
            if not finished:
                self.fut = fut
        if finished:  # it ended between the in-place wait and now
            self.done.acquire()
            return self.outcome()
        return await fut


def _restore_context(ctx):
    """Copy what a job changed in its context copy back into the task's."""
    for var, value in ctx.items():
        if var.get(_MISSING) is not value:
            var.set(value)


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
        size,
        on_acquire=None,
        on_release=None,
        idle=0.005,
        holds=None,
        affinity=True,
        on_retire=None,
    ):
        # Checked here too: tests and embedders make pools without settings.
        size = conf.check("ASYNC_LEGACY_THREADS", size)
        idle = conf.check("ASYNC_LEGACY_THREAD_IDLE", idle)
        affinity = conf.check("ASYNC_LEGACY_THREAD_AFFINITY", affinity)
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
        self._threads = []
        self._free = []
        self._waiters = deque()
        self._created = 0
        self._lock = threading.Lock()
        #: Lanes holding a thread they left idle (loop thread only): asked to
        #: give it back early when a request starts waiting for one.
        self._idlers = set()
        self._reap_loop = None  # the loop whose timer retires unused threads, while one is set (loop thread only)

    @property
    def busy(self):
        with self._lock:
            return len(self._threads) - len(self._free)

    @property
    def threads(self):
        """Threads the pool has now (busy or free)."""
        return len(self._threads)

    @property
    def contended(self):
        """True while a request waits for a thread."""
        return bool(self._waiters)

    async def acquire(self):
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
            fut = asyncio.get_event_loop().create_future()
            self._waiters.append(fut)
        for lane in list(self._idlers):
            lane.on_contention()
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release(fut.result())
            raise

    def release(self, worker):
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

    def _reap(self):
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
            self._reap_loop.call_later(RETIRE_AFTER / 4, self._reap)
        else:
            self._reap_loop = None

    def _release_after_hygiene(self, worker):
        try:
            if self.on_release is not None:
                self.on_release()
        finally:
            self.release(worker)

    def _hand_over(self, fut, worker):
        if fut.done():
            self.release(worker)
        else:
            fut.set_result(worker)


class Lane:
    """The blocking-work lane of one request.

    ``await lane.run(func, *args)`` runs ``func`` on the request's thread (taken
    from the pool on first use; kept until the request ends with affinity, else
    given back when left idle) in the request's context, brought up to date with
    the caller's first and copied back to it afterwards.

    Fields are the loop thread's, but ``_ctx``, which the request's jobs enter
    on its thread (the loop only reads it, between jobs or while one runs).
    """

    __slots__ = (
        "_pool",
        "_worker",
        "_loop",
        "closed",
        "_calls",
        "_busy",
        "_idle_since",
        "_timer",
        "_taking",
        "_pins",
        "_fresh",
        "_task",
        "_waits_on",
        "_keeps",
        "_ctx",
    )

    def __init__(self, pool):
        self._pool = pool
        self._worker = None
        self._loop = None
        self.closed = False
        self._calls = None  # call_async() calls not yet ended (added on the thread, removed on the loop)
        self._busy = 0  # jobs queued or running on the thread
        self._idle_since = 0.0
        self._timer = None
        self._taking = None  # set while a thread is being taken from the pool
        self._pins = 0  # pin() without unpin(): the thread is kept however idle
        self._fresh = False  # the thread was just taken: its first job runs on_acquire first
        self._task = None  # the request's task (set by enter())
        self._waits_on = None  # what that task awaited when its last job ended
        self._keeps = pool.affinity  # the thread, once taken, stays until the request ends
        self._ctx = None  # the context every job of the request runs in (made at the first)

    @property
    def used(self):
        """True while the request holds a thread."""
        return self._worker is not None

    @property
    def pinned(self):
        return self._pins > 0

    def pin(self):
        """Keep the request's thread (once taken) until :meth:`unpin`, idle or not.

        For work that must stay on one thread and one DB connection across
        awaits: an open transaction (``async_legacy.db.atomic``). Nestable.
        """
        self._pins += 1

    def unpin(self):
        """End one :meth:`pin`; the idle rule applies again from now."""
        if self._pins <= 0:
            raise RuntimeError("Lane.unpin() without a matching pin().")
        self._pins -= 1
        if not self._kept():
            self._busy += 1  # an empty job's end starts the idle clock
            self._job_done()

    def enter(self):
        """Make asgiref's thread-sensitive ``sync_to_async`` in this context use the lane.

        Call in the request's task before any of its code runs. The entry in
        asgiref's table goes when the context that holds its key is gone.
        """
        self._task = asyncio.current_task()
        key = ThreadSensitiveContext()
        SyncToAsync.context_to_thread_executor[key] = _LaneExecutor(self)
        SyncToAsync.thread_sensitive_context.set(key)

    async def run(self, func, *args, **kwargs):
        return await self._submit(None, func, args, kwargs)

    async def run_handling(self, exc, func, *args, **kwargs):
        """Run ``func`` on the lane inside an ``except`` block for ``exc``."""
        return await self._submit(exc, func, args, kwargs)

    async def _submit(self, exc, func, args, kwargs):
        worker = self._worker
        if worker is None:
            worker = await self._thread(func)
        ctx = self._context()
        job = _Job(self._loop, ctx, contextvars.copy_context(), exc, func, args, kwargs, self._first())
        # In place only when nothing of this request is queued before it.
        site = _site(func)
        in_place = not self._busy and _in_place.worth_trying(site)
        self._busy += 1
        self._pool._idlers.discard(self)
        worker.jobs.put(job)
        try:
            if in_place and _in_place.wait(job.done, site):
                result = job.outcome()
            else:
                result = await job.wake_me()
        finally:
            self._job_done()
        _restore_context(ctx)
        return result

    def _context(self):
        ctx = self._ctx
        if ctx is None:
            ctx = self._ctx = contextvars.copy_context()
        return ctx

    def _kept(self):
        """True while the thread must stay (or there is none to give back)."""
        return bool(self._busy or self._worker is None or self.closed or self._pins or self._keeps)

    async def _thread(self, func):
        """The request's thread: taken from the pool (one taker at a time) if it holds none."""
        while self._worker is None:
            if self.closed:
                raise RuntimeError(
                    "This request's thread lane is closed: %r was called after the response was closed." % (func,)
                )
            if self._taking is not None:
                await asyncio.shield(self._taking)
                continue
            if self._loop is None:
                self._loop = asyncio.get_event_loop()
            self._taking = taking = self._loop.create_future()
            try:
                worker = await self._pool.acquire()
            finally:
                self._taking = None
                taking.set_result(None)
            if self.closed:  # the request ended while it waited
                self._pool.release(worker)
                continue
            self._worker = worker
            # on_acquire goes with the first job: one wake of the thread, not two.
            self._fresh = self._pool.on_acquire is not None
        return self._worker

    def _first(self):
        """on_acquire if the next job is the first on a newly taken thread, else None."""
        if not self._fresh:
            return None
        self._fresh = False
        return self._pool.on_acquire

    def _job_done(self):
        """On the loop, after a job: give the thread back once the request leaves it idle."""
        self._busy -= 1
        if self._kept():
            return
        idle = self._pool.idle
        if not idle:
            self.release()
            return
        contended = self._pool.contended
        if contended and not self._worker.dirty:
            # Others wait, and it holds no connection to keep for a next step.
            self.release()
            return
        self._idle_since = self._loop.time()
        self._pool._idlers.add(self)
        self._waits_on = self._waiter()
        if self._timer is None:
            if contended:
                # Others wait: only the loop passes of a burst's quick awaits,
                # not the clock's grace.
                self._timer = self._loop.call_soon(self._idle_pass, _IDLE_PASSES, self._idle_since)
            else:
                self._timer = self._loop.call_at(self._idle_since + idle, self._idle_check)

    def on_contention(self):
        """A request started waiting for a thread: give this idle one back if
        the request has left its burst of blocking steps (see _idle_pass)."""
        if self._kept():
            return
        if not self._worker.dirty or self._left_burst():
            self.release()

    def _waiter(self):
        """The future the request's task is suspended on (None: running or ready to)."""
        task = self._task
        return None if task is None else getattr(task, "_fut_waiter", None)

    def _left_burst(self):
        """True if the request's task is now suspended on something else than
        what it awaited when its last job ended (a timer, a socket): it has
        left its burst of blocking steps."""
        waiter = self._waiter()
        return waiter is not None and waiter is not self._waits_on

    def _idle_check(self):
        # Idle for the grace period by the clock, then also for a few passes
        # of the loop (up to four grace periods): on a busy loop a request's
        # next step can be passes away (asgiref's sync_to_async takes four to
        # wake its caller), and the clock alone would take its thread between
        # two steps of a burst.
        self._timer = None
        if self._kept():
            return
        due = self._idle_since + self._pool.idle
        if self._loop.time() < due:
            self._timer = self._loop.call_at(due, self._idle_check)
        else:
            self._timer = self._loop.call_soon(self._idle_pass, _IDLE_PASSES, self._idle_since)

    def _idle_pass(self, left, since):
        self._timer = None
        if self._kept():
            return
        if self._pool.contended and self._left_burst():
            self.release()  # others wait, and this request has left its burst
            return
        if self._idle_since != since:  # a job came and went meanwhile: the clock again
            self._timer = self._loop.call_at(self._idle_since + self._pool.idle, self._idle_check)
        elif left > 1 and self._loop.time() < since + 4 * self._pool.idle:
            self._timer = self._loop.call_soon(self._idle_pass, left - 1, since)
        else:
            self.release()

    @property
    def pool_contended(self):
        """True while another request waits for a thread of the pool."""
        return self._pool.contended

    def release(self):
        """Give the thread back now; its hygiene runs on it after the jobs queued before.

        The next :meth:`run` takes a thread again. A no-op until the lane is
        closed while it is pinned, keeps its thread (affinity) or a job of the
        request runs (a middleware frame on the thread waiting for the rest of
        the chain: the request's later steps go to that thread).
        """
        if (self._pins or self._keeps or self._busy) and not self.closed:
            return
        worker, self._worker = self._worker, None
        self._fresh = False
        self._waits_on = None
        self._pool._idlers.discard(self)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if worker is None:
            return
        if worker.dirty or self._busy:
            worker.jobs.put(functools.partial(self._pool._release_after_hygiene, worker))
        else:
            # Its last job left no connection open: nothing for the hygiene
            # to do there, so no trip to the thread.
            self._pool.release(worker)

    def submit(self, fn, *args, **kwargs):
        """``concurrent.futures``' submit onto the lane: asgiref's executor protocol.

        Called on the loop; the job's end is accounted for on the loop.
        """
        if self.closed:
            # A task the request left running after its response: what asgiref
            # does outside any request.
            return SyncToAsync.single_thread_executor.submit(fn, *args, **kwargs)
        future = concurrent.futures.Future()
        self._busy += 1
        self._pool._idlers.discard(self)
        if self._worker is not None:
            self._put_submitted(self._worker, future, fn, args, kwargs)
        else:
            asyncio.ensure_future(self._submit_after_take(future, fn, args, kwargs))
        return future

    async def _submit_after_take(self, future, fn, args, kwargs):
        try:
            worker = self._worker or await self._thread(fn)
        except BaseException as exc:  # noqa: B902 - handed to the waiting caller
            self._busy -= 1
            if future.set_running_or_notify_cancel():
                future.set_exception(exc)
            return
        self._put_submitted(worker, future, fn, args, kwargs)

    def _put_submitted(self, worker, future, fn, args, kwargs):
        first = self._first()
        if first is not None:
            worker.jobs.put(functools.partial(_hygiene, first))
        worker.jobs.put(functools.partial(_run_submitted, self, future, fn, args, kwargs))

    def serving_here(self):
        """True on this request's own thread, in one of its jobs (where :meth:`call_async` may be called)."""
        worker = getattr(_thread, "current", None)
        return worker is not None and worker is self._worker

    def call_async(self, coro_func, *args, **kwargs):
        """From a job on this lane: run a coroutine on the loop and wait for it.

        The thread serves the request's jobs meanwhile (the coroutine's own
        blocking steps come back to it). One wake-up of the loop to start the
        task and one of the thread when it ends: no concurrent Future chained
        to an asyncio one (run_coroutine_threadsafe's way, twice the objects
        and callbacks on a path every middleware frame takes).
        """
        worker = getattr(_thread, "current", None)
        if worker is None or worker is not self._worker:
            raise RuntimeError("Lane.call_async() must be called from the request's own lane thread.")
        call = _Call(worker)
        if self._calls is None:
            self._calls = set()
        self._calls.add(call)  # now: cancel_calls() may come before the task starts
        self._loop.call_soon_threadsafe(self._start_call, call, coro_func, args, kwargs)
        return worker.serve_until(call)

    def _start_call(self, call, coro_func, args, kwargs):
        # On the loop, in a copy of the calling job's context.
        if call.cancelled:  # cancel_calls() came first
            self._calls.discard(call)
            call.finish()
            return
        call.task = self._loop.create_task(coro_func(*args, **kwargs))
        call.task.add_done_callback(functools.partial(self._call_done, call))

    def _call_done(self, call, task):
        self._calls.discard(call)
        if task.cancelled():
            call.cancelled = True
        else:
            call.error = task.exception()
            if call.error is None:
                call.value = task.result()
        call.finish()

    def cancel_calls(self):
        """Cancel coroutines a lane job is waiting for (the request was cancelled). On the loop."""
        for call in list(self._calls or ()):
            call.cancel()

    async def close(self, func=None, *args):
        """Run ``func`` as the request's last job, then return the thread.

        Takes a thread if the request holds none. The thread goes back to the
        pool only after every job queued before has finished, even if the
        caller stops waiting (a cancelled request).
        """
        self.closed = True
        self._task = self._waits_on = None
        self._pool._idlers.discard(self)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        worker, self._worker = self._worker, None
        func = func or _noop
        first = self._first()
        if first is not None:
            func = functools.partial(_after, first, func)
        if worker is None:
            worker = await self._pool.acquire()
            self._loop = asyncio.get_event_loop()
            if self._pool.on_acquire is not None:
                func = functools.partial(_after, self._pool.on_acquire, func)
        job = _Job(self._loop, self._context(), contextvars.copy_context(), None, func, args, {})
        self._ctx = None  # see close_now()
        worker.jobs.put(job)
        worker.jobs.put(functools.partial(self._pool.release, worker))
        return await job.wake_me()

    def close_now(self):
        """End the lane without a last job; a thread it holds goes back after its hygiene."""
        self.closed = True
        self._task = None
        # The request's context holds asgiref's key to this lane's entry in
        # its WeakKeyDictionary, whose value holds the lane: kept, it would
        # keep the entry, the lane and the context for the process's life.
        self._ctx = None
        self.release()


class _LaneExecutor:
    """The lane as asgiref sees it: an executor with ``submit``.

    Kept apart from :class:`Lane` because asgiref keeps it in a
    WeakKeyDictionary whose key must not be kept alive by its value.
    """

    __slots__ = ("lane",)

    def __init__(self, lane):
        self.lane = lane

    def submit(self, fn, *args, **kwargs):
        return self.lane.submit(fn, *args, **kwargs)


def _run_submitted(lane, future, fn, args, kwargs):
    """On the lane thread: run an asgiref job, report back on the loop."""
    if not future.set_running_or_notify_cancel():
        ok, value = True, None  # cancelled before it started: nothing to run
    else:
        try:
            ok, value = True, fn(*args, **kwargs)
        except BaseException as error:  # noqa: B902 - handed to the awaiting task
            ok, value = False, error
    worker = getattr(_thread, "current", None)
    if worker is not None:
        worker.note_clean()
    try:
        lane._loop.call_soon_threadsafe(_submitted_done, lane, future, ok, value)
    except RuntimeError:  # the loop is closed: nobody is waiting any more
        pass


def _submitted_done(lane, future, ok, value):
    lane._job_done()
    if future.done():  # cancelled before it ran
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def _after(first, func, *args, **kwargs):
    first()
    return func(*args, **kwargs)


def _hygiene(func):
    # Queued on its own when a request takes a thread: an error must not end the thread.
    try:
        func()
    except Exception:
        logger.exception("Connection hygiene failed on a lane thread (%r)", func)


def request_thread():
    """The thread that stands for the current request's thread.

    On a lane thread, itself. On the event loop, inside a request that holds a
    thread, that thread: the loop runs every request's coroutines, so code that
    files what it collects by ``threading.current_thread()`` (debug-toolbar's
    logging panel) finds a coroutine's records with the rest of its request's.
    Elsewhere, the current thread.
    """
    if getattr(_thread, "current", None) is None:
        lane = current_lane.get()
        worker = getattr(lane, "_worker", None)
        if worker is not None:
            return worker.thread
    return threading.current_thread()


def active_lane():
    """The lane ``run_sync`` sends blocking work to now, or None (asgiref's thread-sensitive mode)."""
    lane = current_lane.get()
    if lane is not None and not lane.closed and getattr(AsyncToSync.executors, "current", None) is None:
        return lane
    return None


async def run_sync(func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run blocking ``func`` off the loop and await its result.

    Inside a request of the legacy pipeline it runs on the request's lane (the
    thread holding its DB connection). Elsewhere - Django >= 3.1's own
    handler, tests, scripts - it goes through asgiref's thread-sensitive
    ``sync_to_async``, which is what Django's own async methods use.
    """
    lane = active_lane()
    if lane is not None:
        return await lane.run(func, *args, **kwargs)
    # Also when a sync caller up the stack waits in async_to_sync (its thread
    # may be this lane's, busy waiting): asgiref runs func on that thread.
    return await _thread_sensitive(func, *args, **kwargs)


def _thread_sensitive(func, *args, **kwargs):
    from asgiref.sync import sync_to_async

    return sync_to_async(func, thread_sensitive=True)(*args, **kwargs)


def _in_copied_context(ctx, exc, func, args, kwargs):
    # In asgiref's copy of the caller's context: the job runs in the request's
    # context ``ctx``, whose changes go to the copy, which asgiref copies back.
    try:
        return _in_request_context(ctx, contextvars.copy_context(), exc, func, args, kwargs)
    finally:
        _restore_context(ctx)


class ThreadSensitiveLane:
    """A lane over asgiref's thread-sensitive mode, for the test client.

    Under ``async_to_sync`` (how tests drive async code) blocking work then
    runs in the test's own thread, where the TestCase's transaction and DB
    connection live, so views see the test's data as they do with Django's
    own test client. Same interface as :class:`Lane`.
    """

    __slots__ = ("used", "closed", "_ctx")
    pool_contended = False

    def __init__(self, pool=None):
        self.used = False
        self.closed = False
        self._ctx = None  # the request's context, as Lane's

    async def run(self, func, *args, **kwargs):
        return await self._run(None, func, args, kwargs)

    async def run_handling(self, exc, func, *args, **kwargs):
        return await self._run(exc, func, args, kwargs)

    def _run(self, exc, func, args, kwargs):
        self.used = True
        if self._ctx is None:
            self._ctx = contextvars.copy_context()
        return _thread_sensitive(_in_copied_context, self._ctx, exc, func, args, kwargs)

    def enter(self):
        pass

    def release(self):
        pass

    # asgiref's thread-sensitive mode keeps one thread for the context anyway.
    pinned = False

    def pin(self):
        pass

    def unpin(self):
        pass

    def close_now(self):
        self.closed = True

    def cancel_calls(self):
        pass

    def serving_here(self):
        # The test clients never serve a request through Django's WSGI entry
        # points (see AsyncDjangoApplication.serve_wrapped), and a sync caller
        # outside any request must not be taken for one.
        return False

    def call_async(self, coro_func, *args, **kwargs):
        from asgiref.sync import async_to_sync

        return async_to_sync(coro_func)(*args, **kwargs)

    async def close(self, func=None, *args):
        self.closed = True
        return await self.run(func or _noop, *args)
