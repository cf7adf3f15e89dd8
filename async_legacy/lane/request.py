"""The lane of one request: its thread (taken from the pool on first use),
its jobs, and when the thread goes back."""

import asyncio
import concurrent.futures
import contextvars
import functools
from typing import TYPE_CHECKING, Any, Callable, Coroutine, Dict, Optional, Set, Tuple, TypeVar, cast

from asgiref.sync import SyncToAsync, ThreadSensitiveContext

from . import wait
from .executor import _LaneExecutor, _run_submitted
from .jobs import _after, _hygiene, _Job, _restore_context, _site
from .threads import _Call, _noop, _thread

if TYPE_CHECKING:
    import threading

    from .admission import Admission
    from .pool import LanePool
    from .threads import _LaneThread

_T = TypeVar("_T")

#: Passes of the event loop a thread must also stay idle before it goes back.
_IDLE_PASSES = 6


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
        "_cpu_from",
    )

    def __init__(self, pool: "LanePool") -> None:
        self._pool = pool
        self._worker: Optional[_LaneThread] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None  # set when it first takes a thread
        self.closed = False
        # call_async() calls not yet ended (added on the thread, removed on the loop)
        self._calls: Optional[Set[_Call]] = None
        self._busy = 0  # jobs queued or running on the thread
        self._idle_since = 0.0
        self._timer: Optional[asyncio.Handle] = None
        self._taking: Optional[asyncio.Future[None]] = None  # set while a thread is being taken from the pool
        self._pins = 0  # pin() without unpin(): the thread is kept however idle
        self._fresh = False  # the thread was just taken: its first job runs on_acquire first
        self._task: Optional[asyncio.Task[Any]] = None  # the request's task (set by enter())
        self._waits_on: Optional[asyncio.Future[Any]] = None  # what that task awaited when its last job ended
        self._keeps = pool.affinity  # the thread, once taken, stays until the request ends
        # The context every job of the request runs in (made at the first).
        self._ctx: Optional[contextvars.Context] = None
        # Set by the admission for a request whose CPU it measures: (its thread, that thread's CPU clock) at the take.
        self._cpu_from: Optional[Tuple[Optional[threading.Thread], float]] = None

    @property
    def used(self) -> bool:
        """True while the request holds a thread."""
        return self._worker is not None

    @property
    def pinned(self) -> bool:
        return self._pins > 0

    def pin(self) -> None:
        """Keep the request's thread (once taken) until :meth:`unpin`, idle or not.

        For work that must stay on one thread and one DB connection across
        awaits: an open transaction (``async_legacy.db.atomic``). Nestable.
        """
        self._pins += 1

    def unpin(self) -> None:
        """End one :meth:`pin`; the idle rule applies again from now."""
        if self._pins <= 0:
            raise RuntimeError("Lane.unpin() without a matching pin().")
        self._pins -= 1
        if not self._kept():
            self._busy += 1  # an empty job's end starts the idle clock
            self._job_done()

    def enter(self) -> None:
        """Make asgiref's thread-sensitive ``sync_to_async`` in this context use the lane.

        Call in the request's task before any of its code runs. The entry in
        asgiref's table goes when the context that holds its key is gone.
        """
        self._task = asyncio.current_task()
        key = ThreadSensitiveContext()
        # Duck-typed: asgiref only calls its submit().
        SyncToAsync.context_to_thread_executor[key] = cast("concurrent.futures.Executor", _LaneExecutor(self))
        SyncToAsync.thread_sensitive_context.set(key)

    async def admitted(self) -> None:
        """Wait until the pool's admission lets the request in (see admission.py).

        Call after :meth:`enter`, before the request's own objects exist. A
        request cancelled while it waits ends its lane.
        """
        admission = self._pool.admission
        waited = None if admission is None else admission.admit(self)
        if waited is not None:
            try:
                await waited
            except BaseException:
                self.close_now()
                raise

    async def run(self, func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        return await self._submit(None, func, args, kwargs)

    async def run_handling(self, exc: BaseException, func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """Run ``func`` on the lane inside an ``except`` block for ``exc``."""
        return await self._submit(exc, func, args, kwargs)

    async def _submit(
        self, exc: Optional[BaseException], func: Callable[..., _T], args: Tuple[Any, ...], kwargs: Dict[str, Any]
    ) -> _T:
        worker = self._worker
        if worker is None:
            worker = await self._thread(func)
        ctx = self._context()
        loop = cast(asyncio.AbstractEventLoop, self._loop)  # set: the lane holds a thread
        job = _Job(loop, ctx, contextvars.copy_context(), exc, func, args, kwargs, self._first())
        # In place only when nothing of this request is queued before it.
        site = _site(func)
        in_place = not self._busy and wait._in_place.worth_trying(site)
        self._busy += 1
        self._pool._idlers.discard(self)
        worker.jobs.put(job)
        try:
            if in_place and wait._in_place.wait(job.done, site):
                result: _T = job.outcome()
            else:
                result = await job.wake_me()
        finally:
            self._job_done()
        _restore_context(ctx)
        return result

    def _context(self) -> contextvars.Context:
        ctx = self._ctx
        if ctx is None:
            ctx = self._ctx = contextvars.copy_context()
        return ctx

    def _kept(self) -> bool:
        """True while the thread must stay (or there is none to give back)."""
        return bool(self._busy or self._worker is None or self.closed or self._pins or self._keeps)

    async def _thread(self, func: Callable[..., Any]) -> "_LaneThread":
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
            if self._cpu_from is not None:
                cast("Admission", self._pool.admission).took(self, worker.thread)
            # on_acquire goes with the first job: one wake of the thread, not two.
            self._fresh = self._pool.on_acquire is not None
        return self._worker

    def _first(self) -> Optional[Callable[[], object]]:
        """on_acquire if the next job is the first on a newly taken thread, else None."""
        if not self._fresh:
            return None
        self._fresh = False
        return self._pool.on_acquire

    def _job_done(self) -> None:
        """On the loop, after a job: give the thread back once the request leaves it idle."""
        self._busy -= 1
        if self._pool.admission is not None:
            self._pool.admission.nudge()
        if self._kept():
            return
        idle = self._pool.idle
        if not idle:
            self.release()
            return
        contended = self._pool.contended
        if contended and not cast("_LaneThread", self._worker).dirty:  # not kept: it holds a thread
            # Others wait, and it holds no connection to keep for a next step.
            self.release()
            return
        loop = cast(asyncio.AbstractEventLoop, self._loop)  # set: it holds a thread
        self._idle_since = loop.time()
        self._pool._idlers.add(self)
        self._waits_on = self._waiter()
        if self._timer is None:
            if contended:
                # Others wait: only the loop passes of a burst's quick awaits,
                # not the clock's grace.
                self._timer = loop.call_soon(self._idle_pass, _IDLE_PASSES, self._idle_since)
            else:
                self._timer = loop.call_at(self._idle_since + idle, self._idle_check)

    def on_contention(self) -> None:
        """A request started waiting for a thread: give this idle one back if
        the request has left its burst of blocking steps (see _idle_pass)."""
        if self._kept():
            return
        if not cast("_LaneThread", self._worker).dirty or self._left_burst():  # not kept: it holds one
            self.release()

    def _waiter(self) -> "Optional[asyncio.Future[Any]]":
        """The future the request's task is suspended on (None: running or ready to)."""
        return wait.suspended_on(self._task)

    def _left_burst(self) -> bool:
        """True if the request's task is now suspended on something else than
        what it awaited when its last job ended (a timer, a socket): it has
        left its burst of blocking steps."""
        waiter = self._waiter()
        return waiter is not None and waiter is not self._waits_on

    def _idle_check(self) -> None:
        # Idle for the grace period by the clock, then also for a few passes
        # of the loop (up to four grace periods): on a busy loop a request's
        # next step can be passes away (asgiref's sync_to_async takes four to
        # wake its caller), and the clock alone would take its thread between
        # two steps of a burst.
        self._timer = None
        if self._kept():
            return
        loop = cast(asyncio.AbstractEventLoop, self._loop)  # set: a job of the lane ran
        due = self._idle_since + self._pool.idle
        if loop.time() < due:
            self._timer = loop.call_at(due, self._idle_check)
        else:
            self._timer = loop.call_soon(self._idle_pass, _IDLE_PASSES, self._idle_since)

    def _idle_pass(self, left: int, since: float) -> None:
        self._timer = None
        if self._kept():
            return
        if self._pool.contended and self._left_burst():
            self.release()  # others wait, and this request has left its burst
            return
        loop = cast(asyncio.AbstractEventLoop, self._loop)  # set: a job of the lane ran
        if self._idle_since != since:  # a job came and went meanwhile: the clock again
            self._timer = loop.call_at(self._idle_since + self._pool.idle, self._idle_check)
        elif left > 1 and loop.time() < since + 4 * self._pool.idle:
            self._timer = loop.call_soon(self._idle_pass, left - 1, since)
        else:
            self.release()

    @property
    def pool_contended(self) -> bool:
        """True while another request waits for a thread of the pool."""
        return self._pool.contended

    def release(self) -> None:
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

    def submit(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> "concurrent.futures.Future[_T]":
        """``concurrent.futures``' submit onto the lane: asgiref's executor protocol.

        Called on the loop; the job's end is accounted for on the loop.
        """
        if self.closed:
            # A task the request left running after its response: what asgiref
            # does outside any request.
            return SyncToAsync.single_thread_executor.submit(fn, *args, **kwargs)
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()
        self._busy += 1
        self._pool._idlers.discard(self)
        if self._worker is not None:
            self._put_submitted(self._worker, future, fn, args, kwargs)
        else:
            asyncio.ensure_future(self._submit_after_take(future, fn, args, kwargs))
        return future

    async def _submit_after_take(
        self,
        future: "concurrent.futures.Future[Any]",
        fn: Callable[..., Any],
        args: Tuple[Any, ...],
        kwargs: Dict[str, Any],
    ) -> None:
        try:
            worker = self._worker or await self._thread(fn)
        except BaseException as exc:  # noqa: B902 - handed to the waiting caller
            self._busy -= 1
            if future.set_running_or_notify_cancel():
                future.set_exception(exc)
            return
        self._put_submitted(worker, future, fn, args, kwargs)

    def _put_submitted(
        self,
        worker: "_LaneThread",
        future: "concurrent.futures.Future[Any]",
        fn: Callable[..., Any],
        args: Tuple[Any, ...],
        kwargs: Dict[str, Any],
    ) -> None:
        first = self._first()
        if first is not None:
            worker.jobs.put(functools.partial(_hygiene, first))
        worker.jobs.put(functools.partial(_run_submitted, self, future, fn, args, kwargs))

    def serving_here(self) -> bool:
        """True on this request's own thread, in one of its jobs (where :meth:`call_async` may be called)."""
        worker = getattr(_thread, "current", None)
        return worker is not None and worker is self._worker

    def call_async(self, coro_func: Callable[..., Coroutine[Any, Any, _T]], *args: Any, **kwargs: Any) -> _T:
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
        loop = cast(asyncio.AbstractEventLoop, self._loop)  # set: the lane holds this thread
        loop.call_soon_threadsafe(self._start_call, call, coro_func, args, kwargs)
        result: _T = worker.serve_until(call)
        return result

    def _start_call(
        self,
        call: _Call,
        coro_func: Callable[..., Coroutine[Any, Any, Any]],
        args: Tuple[Any, ...],
        kwargs: Dict[str, Any],
    ) -> None:
        # On the loop, in a copy of the calling job's context. call_async()
        # set _calls and _loop before it scheduled this.
        if call.cancelled:  # cancel_calls() came first
            cast("Set[_Call]", self._calls).discard(call)
            call.finish()
            return
        call.task = cast(asyncio.AbstractEventLoop, self._loop).create_task(coro_func(*args, **kwargs))
        call.task.add_done_callback(functools.partial(self._call_done, call))
        if self._pool.admission is not None:
            self._pool.admission.nudge()  # after the task's first step: it may wait on a timer

    def _call_done(self, call: _Call, task: "asyncio.Task[Any]") -> None:
        cast("Set[_Call]", self._calls).discard(call)  # set by call_async()
        if task.cancelled():
            call.cancelled = True
        else:
            call.error = task.exception()
            if call.error is None:
                call.value = task.result()
        call.finish()

    def cancel_calls(self) -> None:
        """Cancel coroutines a lane job is waiting for (the request was cancelled). On the loop."""
        for call in list(self._calls or ()):
            call.cancel()

    async def close(self, func: Optional[Callable[..., Any]] = None, *args: Any) -> Any:
        """Run ``func`` as the request's last job, then return the thread.

        Takes a thread if the request holds none. The thread goes back to the
        pool only after every job queued before has finished, even if the
        caller stops waiting (a cancelled request).
        """
        self.closed = True
        self._task = self._waits_on = None
        self._pool._idlers.discard(self)
        if self._pool.admission is not None:
            self._pool.admission.done(self)
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
        loop = cast(asyncio.AbstractEventLoop, self._loop)  # set: it holds a thread, or took one above
        job = _Job(loop, self._context(), contextvars.copy_context(), None, func, args, {})
        self._ctx = None  # see close_now()
        worker.jobs.put(job)
        worker.jobs.put(functools.partial(self._pool.release, worker))
        return await job.wake_me()

    def close_now(self) -> None:
        """End the lane without a last job; a thread it holds goes back after its hygiene."""
        self.closed = True
        self._task = None
        if self._pool.admission is not None:
            self._pool.admission.done(self)
        # The request's context holds asgiref's key to this lane's entry in
        # its WeakKeyDictionary, whose value holds the lane: kept, it would
        # keep the entry, the lane and the context for the process's life.
        self._ctx = None
        self.release()
