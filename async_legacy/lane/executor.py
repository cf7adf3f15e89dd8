"""The lane as asgiref's thread-sensitive ``sync_to_async`` sees it: an executor."""

from typing import TYPE_CHECKING, Any, Callable, Dict, Tuple, TypeVar, cast

from .threads import _thread

if TYPE_CHECKING:
    import asyncio
    import concurrent.futures

    from .request import Lane

_T = TypeVar("_T")


class _LaneExecutor:
    """The lane as asgiref sees it: an executor with ``submit``.

    Kept apart from :class:`Lane` because asgiref keeps it in a
    WeakKeyDictionary whose key must not be kept alive by its value.
    """

    __slots__ = ("lane",)

    def __init__(self, lane: "Lane") -> None:
        self.lane = lane

    def submit(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> "concurrent.futures.Future[_T]":
        return self.lane.submit(fn, *args, **kwargs)


def _run_submitted(
    lane: "Lane",
    future: "concurrent.futures.Future[Any]",
    fn: Callable[..., Any],
    args: Tuple[Any, ...],
    kwargs: Dict[str, Any],
) -> None:
    """On the lane thread: run an asgiref job, report back on the loop."""
    value: Any
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
        # The lane's loop is set: it took a thread to run this.
        loop = cast("asyncio.AbstractEventLoop", lane._loop)
        loop.call_soon_threadsafe(_submitted_done, lane, future, ok, value)
    except RuntimeError:  # the loop is closed: nobody is waiting any more
        pass


def _submitted_done(lane: "Lane", future: "concurrent.futures.Future[Any]", ok: bool, value: Any) -> None:
    lane._job_done()
    if future.done():  # cancelled before it ran
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
