"""The current request's lane, and ``run_sync``: where blocking work goes from here."""

import contextvars
import threading
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, TypeVar, Union

from asgiref.sync import AsyncToSync

from .threads import _thread

if TYPE_CHECKING:
    from .request import Lane
    from .testing import ThreadSensitiveLane
    from .threads import _LaneThread

    #: What a request's lane is: a pool's, or the test client's.
    AnyLane = Union[Lane, ThreadSensitiveLane]

#: The lane of the request the current task serves (None outside a request).
current_lane: "contextvars.ContextVar[Optional[AnyLane]]" = contextvars.ContextVar("async_legacy.lane", default=None)

_T = TypeVar("_T")


def request_thread() -> threading.Thread:
    """The thread that stands for the current request's thread.

    On a lane thread, itself. On the event loop, inside a request that holds a
    thread, that thread: the loop runs every request's coroutines, so code that
    files what it collects by ``threading.current_thread()`` (debug-toolbar's
    logging panel) finds a coroutine's records with the rest of its request's.
    Elsewhere, the current thread.
    """
    if getattr(_thread, "current", None) is None:
        lane = current_lane.get()
        worker: Optional[_LaneThread] = getattr(lane, "_worker", None)
        if worker is not None:
            return worker.thread
    return threading.current_thread()


def active_lane() -> "Optional[AnyLane]":
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


def _thread_sensitive(func: Callable[..., _T], *args: Any, **kwargs: Any) -> Awaitable[_T]:
    from asgiref.sync import sync_to_async

    call: Callable[..., Awaitable[_T]] = sync_to_async(func, thread_sensitive=True)
    return call(*args, **kwargs)
