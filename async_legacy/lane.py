"""The thread lane: every sync <-> async hop of a request goes through here.

A request that needs blocking work (a sync view, a middleware hook that may do
I/O, template rendering, the ORM) borrows ONE thread from a bounded pool the
first time it needs one and keeps it until its response is closed. All of its
blocking work runs on that thread, so Django's per-thread database connection
is opened, reused and closed where it lives (``close_old_connections`` runs
there at the start and end of the request, CONN_MAX_AGE is honoured), and a
request never uses two threads.

Threads are long-lived: the pool creates them on demand up to its size and
keeps them, so persistent connections are not leaked by threads that die.
(asgiref's thread-sensitive mode creates a fresh single-thread executor per
request context, which is why it is not used here.)

A job may call back into the event loop (:meth:`Lane.call_async`, used by
middleware that cannot be split into hooks); while it waits, its thread keeps
serving the lane's queue, so the coroutine it awaits can hop back onto the
same thread without deadlocking - the same idea as asgiref's
``CurrentThreadExecutor``.
"""
import asyncio
import contextvars
import functools
import queue
import threading
from collections import deque

#: The lane of the request the current task serves (None outside a request).
current_lane = contextvars.ContextVar("async_legacy.lane", default=None)

_MISSING = object()
_thread = threading.local()


def _noop():
    pass


class _LaneThread:
    """One pooled thread with its own job queue."""

    def __init__(self, pool, index):
        self.pool = pool
        self.jobs = queue.SimpleQueue()
        self.thread = threading.Thread(
            target=self._main, name="async_legacy-lane-%d" % index, daemon=True
        )
        self.thread.start()

    def _main(self):
        _thread.current = self
        while True:
            job = self.jobs.get()
            if job is None:
                return
            job()

    def serve_until(self, future):
        """Run queued jobs on this thread until ``future`` (concurrent) is done."""
        future.add_done_callback(lambda _: self.jobs.put(_noop))
        while not future.done():
            self.jobs.get()()
        return future.result()


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


def _run_job(loop, fut, ctx, exc, func, args, kwargs):
    try:
        if exc is None:
            result = ctx.run(func, *args, **kwargs)
        else:
            result = ctx.run(_handling, exc, func, *args, **kwargs)
    except BaseException as error:  # noqa: B902 - handed to the awaiting task
        ok, value = False, error
    else:
        ok, value = True, result
    try:
        loop.call_soon_threadsafe(_deliver, fut, ok, value)
    except RuntimeError:  # the loop is closed: nobody is waiting any more
        pass


def _restore_context(ctx):
    """Copy what a job changed in its context copy back into the task's."""
    for var, value in ctx.items():
        if var.get(_MISSING) is not value:
            var.set(value)


class LanePool:
    """At most ``size`` threads, shared by all requests of one application."""

    def __init__(self, size, on_acquire=None, on_release=None, name="ASYNC_LEGACY_THREADS"):
        if not isinstance(size, int) or size < 1:
            raise ValueError(
                "%s must be a positive integer (the number of threads a worker "
                "process may use for blocking work); got %r." % (name, size)
            )
        self.size = size
        #: Run on the thread when a request takes it / gives it back
        #: (connection hygiene: request_started / request_finished's part).
        self.on_acquire = on_acquire
        self.on_release = on_release
        self._threads = []
        self._free = []
        self._waiters = deque()
        self._lock = threading.Lock()

    @property
    def busy(self):
        with self._lock:
            return len(self._threads) - len(self._free)

    async def acquire(self):
        with self._lock:
            if self._free:
                return self._free.pop()
            if len(self._threads) < self.size:
                worker = _LaneThread(self, len(self._threads))
                self._threads.append(worker)
                return worker
            fut = asyncio.get_event_loop().create_future()
            self._waiters.append(fut)
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
                try:
                    fut.get_loop().call_soon_threadsafe(self._hand_over, fut, worker)
                except RuntimeError:  # that waiter's loop is closed
                    continue
                return
            self._free.append(worker)

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
    from the pool on first use) in a copy of the caller's context, copying
    context changes back afterwards.
    """

    __slots__ = ("_pool", "_worker", "_loop", "closed", "_calls")

    def __init__(self, pool):
        self._pool = pool
        self._worker = None
        self._loop = None
        self.closed = False
        self._calls = None  # futures of call_async() still running on the loop

    @property
    def used(self):
        """True once the request has taken a thread."""
        return self._worker is not None

    async def run(self, func, *args, **kwargs):
        return await self._submit(None, func, args, kwargs)

    async def run_handling(self, exc, func, *args, **kwargs):
        """Run ``func`` on the lane inside an ``except`` block for ``exc``."""
        return await self._submit(exc, func, args, kwargs)

    async def _submit(self, exc, func, args, kwargs):
        if self.closed:
            raise RuntimeError(
                "This request's thread lane is closed: %r was called after the "
                "response was closed." % (func,)
            )
        worker = self._worker
        if worker is None:
            worker, func = await self._take_thread(func)
            self._worker = worker
        fut, ctx = self._enqueue(worker, exc, func, args, kwargs)
        result = await fut
        _restore_context(ctx)
        return result

    async def _take_thread(self, func):
        """A thread from the pool, and ``func`` preceded by its hygiene."""
        worker = await self._pool.acquire()
        self._loop = asyncio.get_event_loop()
        if self._pool.on_acquire is not None:
            func = functools.partial(_after, self._pool.on_acquire, func)
        return worker, func

    def _enqueue(self, worker, exc, func, args, kwargs):
        fut = self._loop.create_future()
        ctx = contextvars.copy_context()
        worker.jobs.put(functools.partial(_run_job, self._loop, fut, ctx, exc, func, args, kwargs))
        return fut, ctx

    def suspend(self):
        """Give the thread back while the request awaits something long.

        Called before awaiting a coroutine view, so a view that sleeps or
        long-polls holds no thread. The next :meth:`run` takes one again.
        """
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.jobs.put(functools.partial(self._pool._release_after_hygiene, worker))

    def call_async(self, coro_func, *args, **kwargs):
        """From a job on this lane: run a coroutine on the loop and wait for it."""
        worker = getattr(_thread, "current", None)
        if worker is None or worker is not self._worker:
            raise RuntimeError("Lane.call_async() must be called from the request's own lane thread.")
        future = asyncio.run_coroutine_threadsafe(coro_func(*args, **kwargs), self._loop)
        if self._calls is None:
            self._calls = set()
        self._calls.add(future)
        future.add_done_callback(self._calls.discard)
        return worker.serve_until(future)

    def cancel_calls(self):
        """Cancel coroutines a lane job is waiting for (the request was cancelled)."""
        for future in list(self._calls or ()):
            future.cancel()

    async def close(self, func=None, *args):
        """Run ``func`` as the request's last job, then return the thread.

        Takes a thread if the request holds none. The thread goes back to the
        pool only after every job queued before has finished, even if the
        caller stops waiting (a cancelled request).
        """
        self.closed = True
        worker, self._worker = self._worker, None
        func = func or _noop
        if worker is None:
            worker, func = await self._take_thread(func)
        fut, _ = self._enqueue(worker, None, func, args, {})
        worker.jobs.put(functools.partial(self._pool.release, worker))
        return await fut


def _after(first, func, *args, **kwargs):
    first()
    return func(*args, **kwargs)


async def run_sync(func, *args, **kwargs):
    """Run blocking ``func`` off the loop and await its result.

    Inside a request of the legacy pipeline it runs on the request's lane (the
    thread holding its DB connection). Elsewhere - Django >= 3.1's own
    handler, tests, scripts - it goes through asgiref's thread-sensitive
    ``sync_to_async``, which is what Django's own async methods use.
    """
    lane = current_lane.get()
    if lane is not None and not lane.closed:
        return await lane.run(func, *args, **kwargs)
    return await _thread_sensitive(func, *args, **kwargs)


def _thread_sensitive(func, *args, **kwargs):
    from asgiref.sync import sync_to_async

    return sync_to_async(func, thread_sensitive=True)(*args, **kwargs)


class ThreadSensitiveLane:
    """A lane over asgiref's thread-sensitive mode, for the test client.

    Under ``async_to_sync`` (how tests drive async code) blocking work then
    runs in the test's own thread, where the TestCase's transaction and DB
    connection live, so views see the test's data as they do with Django's
    own test client. Same interface as :class:`Lane`.
    """

    __slots__ = ("used", "closed")

    def __init__(self, pool=None):
        self.used = False
        self.closed = False

    async def run(self, func, *args, **kwargs):
        self.used = True
        return await _thread_sensitive(func, *args, **kwargs)

    async def run_handling(self, exc, func, *args, **kwargs):
        return await self.run(_handling, exc, func, *args, **kwargs)

    def suspend(self):
        pass

    def cancel_calls(self):
        pass

    def call_async(self, coro_func, *args, **kwargs):
        from asgiref.sync import async_to_sync

        return async_to_sync(coro_func)(*args, **kwargs)

    async def close(self, func=None, *args):
        self.closed = True
        return await self.run(func or _noop, *args)
