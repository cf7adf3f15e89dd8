"""The lane as asgiref's thread-sensitive ``sync_to_async`` sees it: an executor."""

from .threads import _thread


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
