"""The wait policy: when the loop waits for a lane job in place instead of
returning to its queue (see the package doc). Only the loop's thread uses it."""

from typing import TYPE_CHECKING, Any, Dict, Optional

if TYPE_CHECKING:
    import asyncio
    import threading


def suspended_on(task: "Optional[asyncio.Task[Any]]") -> "Optional[asyncio.Future[Any]]":
    """The future ``task`` is suspended on (None: running or ready to, or no task).

    asyncio's own record of it: the C and the Python Task both keep it under
    this name, and asyncio offers no public way.
    """
    return getattr(task, "_fut_waiter", None)


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

    def __init__(self) -> None:
        self.slow: Dict[object, int] = {}  # {kind of job: runs left to await through the loop}
        self.tried = self.missed = self.paused = 0

    def worth_trying(self, site: object) -> bool:
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

    def wait(self, lock: "threading.Lock", site: object) -> bool:
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
