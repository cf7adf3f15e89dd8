"""Jobs: how a call crosses from the loop to a lane thread and its outcome back,
in the request's context (brought up to date with the caller's first, copied
back to it after)."""

import functools
import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple, TypeVar

from .threads import _thread

if TYPE_CHECKING:
    import asyncio
    import contextvars

logger = logging.getLogger("async_legacy")

_MISSING = object()

_T = TypeVar("_T")


def _deliver(fut: "asyncio.Future[Any]", ok: bool, value: Any) -> None:
    if fut.cancelled():
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(value)


def _handling(exc: BaseException, func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    # Django's exception helpers end in a bare ``raise``: give them an
    # active exception, as they would have in the sync handler.
    try:
        raise exc
    except BaseException:
        return func(*args, **kwargs)


def _in_request_context(
    ctx: "contextvars.Context",
    caller: "contextvars.Context",
    exc: Optional[BaseException],
    func: Callable[..., _T],
    args: Tuple[Any, ...],
    kwargs: Dict[str, Any],
) -> _T:
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


def _up_to_date(
    caller: "contextvars.Context",
    exc: Optional[BaseException],
    func: Callable[..., _T],
    args: Tuple[Any, ...],
    kwargs: Dict[str, Any],
) -> _T:
    # What the caller's task set since the request's last job, then the job.
    _restore_context(caller)
    if exc is None:
        return func(*args, **kwargs)
    return _handling(exc, func, *args, **kwargs)


def _site(func: Callable[..., Any]) -> object:
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

    # Set once on the loop before the job is queued: loop, ctx, caller, exc,
    # func, args, kwargs, first. Written by the lane thread before it
    # releases ``done`` or wakes ``fut``, read by the loop after: ok, value.
    # Guarded by ``guard``: fut (set by the loop), finished (set by the thread).
    fut: "Optional[asyncio.Future[Any]]"
    ok: bool
    value: Any

    def __init__(
        self,
        loop: "asyncio.AbstractEventLoop",
        ctx: "contextvars.Context",
        caller: "contextvars.Context",
        exc: Optional[BaseException],
        func: Callable[..., Any],
        args: Tuple[Any, ...],
        kwargs: Dict[str, Any],
        first: Optional[Callable[[], object]] = None,
    ) -> None:
        self.loop, self.ctx, self.exc, self.func, self.args, self.kwargs = loop, ctx, exc, func, args, kwargs
        self.caller = caller  # a copy of the caller's context when it submitted the job
        self.first = first  # the thread's on_acquire hygiene, when this is its first job
        self.done = threading.Lock()
        self.done.acquire()
        self.guard = threading.Lock()
        self.fut = None
        self.finished = False

    def __call__(self) -> None:
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

    def outcome(self) -> Any:
        if self.ok:
            return self.value
        raise self.value

    async def wake_me(self) -> Any:
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


def _restore_context(ctx: "contextvars.Context") -> None:
    """Set, in the current context, every variable whose value differs in ``ctx``:
    what a job changed, back into its task's context; what the caller's task
    set since the request's last job, into the request's context."""
    for var, value in ctx.items():
        if var.get(_MISSING) is not value:
            var.set(value)


def _after(first: Callable[[], object], func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    first()
    return func(*args, **kwargs)


def _hygiene(func: Callable[[], object]) -> None:
    # Queued on its own when a request takes a thread: an error must not end the thread.
    try:
        func()
    except Exception:
        logger.exception("Connection hygiene failed on a lane thread (%r)", func)
