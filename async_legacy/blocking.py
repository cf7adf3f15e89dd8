"""The blocking detector: warn when something blocks the event loop too long.

A coroutine view that calls ``time.sleep``, ``requests.get`` or the ORM
directly stalls every request of the worker. A heartbeat callback on the loop
measures how late it runs; a watchdog thread notices a stall while it lasts
and takes the loop thread's stack, so the warning can say which request, view
and line were running. Nothing is added to the request path: the request is
found in the stack (the innermost frame with a ``request`` variable).

Setting ``ASYNC_LEGACY_BLOCKING_THRESHOLD`` (seconds): 0.1 when DEBUG is on,
off (None) otherwise; set a value such as 0.5 in production to find culprits.
"""

import asyncio
import logging
import os
import sys
import sysconfig
import threading
import time
import weakref
from types import FrameType
from typing import List, Optional

logger = logging.getLogger("async_legacy.blocking")

_watching: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopWatch]" = (
    weakref.WeakKeyDictionary()
)  # loop -> LoopWatch
_LIBRARY_DIRS = tuple(
    os.path.normcase(os.path.realpath(p))
    for p in {sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    | {os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    if p
)


def threshold_from_settings() -> Optional[float]:
    """The setting's value in seconds, or None when the detector is off."""
    from . import conf

    value: Optional[float] = conf.get("ASYNC_LEGACY_BLOCKING_THRESHOLD")
    return value


def watch(threshold: float, loop: Optional[asyncio.AbstractEventLoop] = None) -> "LoopWatch":
    """Start watching the running loop (once per loop)."""
    loop = loop or asyncio.get_event_loop()
    if loop not in _watching:
        _watching[loop] = LoopWatch(loop, threshold)
    return _watching[loop]


class LoopWatch:
    def __init__(self, loop: asyncio.AbstractEventLoop, threshold: float) -> None:
        self.loop = loop
        self.threshold = threshold
        self.interval = threshold / 4
        self._loop_thread = threading.get_ident()
        self._stall: Optional[str] = None  # where the loop was, taken by the watchdog
        self._last_beat = time.monotonic()
        self._due = self._last_beat + self.interval
        loop.call_at(loop.time() + self.interval, self._beat)
        threading.Thread(target=self._watchdog, name="async_legacy-blocking-watchdog", daemon=True).start()

    def _beat(self) -> None:
        now = time.monotonic()
        late = now - self._due
        if late > self.threshold:
            if self._stall is _IDLE:
                # The loop sat in select(): no code of the worker blocked it; the
                # process did not get a CPU (or the GIL) in time.
                logger.debug("The event loop ran %.3f s late while idle: the process was not scheduled.", late)
            else:
                self._report(late, self._stall)
        self._stall = None
        self._last_beat = now
        self._due = now + self.interval
        if not self.loop.is_closed():
            self.loop.call_at(self.loop.time() + self.interval, self._beat)

    def _watchdog(self) -> None:
        while not self.loop.is_closed():
            time.sleep(self.interval)
            if self._stall is None and time.monotonic() - self._last_beat > self.threshold + self.interval:
                frame = sys._current_frames().get(self._loop_thread)
                self._stall = _IDLE if _waiting_for_io(frame) else describe(frame)
        _watching.pop(self.loop, None)

    def _report(self, late: float, stall: Optional[str]) -> None:
        logger.warning(
            "The event loop was blocked for %.3f s (ASYNC_LEGACY_BLOCKING_THRESHOLD is %.3f s)%s. Every "
            "other request of this worker waited meanwhile: move blocking calls out of coroutine views "
            "(await sync_to_async(func)(...), the async ORM methods, or make the view a plain def).",
            late,
            self.threshold,
            stall or " (it ended before the watchdog could see what ran)",
        )


#: What the watchdog saw when the loop was waiting in select() (not blocked).
_IDLE = " (idle)"


def _waiting_for_io(frame: Optional[FrameType]) -> bool:
    """True if the loop's innermost frame is its selector's wait for I/O."""
    return (
        frame is not None
        and frame.f_code.co_name in ("select", "poll", "control")
        and os.path.basename(frame.f_code.co_filename) == "selectors.py"
    )


def _is_library(filename: str) -> bool:
    path = os.path.normcase(os.path.realpath(filename))
    return path.startswith(_LIBRARY_DIRS) or not os.path.isabs(filename)


def describe(frame: Optional[FrameType]) -> str:
    """' while serving GET /path in view module.func at file.py:12' from the loop's stack."""
    request = user_frame = None
    innermost = frame
    while frame is not None:
        code = frame.f_code
        # The outermost frame (the server's entry script) runs the loop; it is never the culprit.
        if user_frame is None and frame.f_back is not None and not _is_library(code.co_filename):
            user_frame = frame
        if request is None and "request" in code.co_varnames:
            candidate = frame.f_locals.get("request")
            if hasattr(candidate, "META") and hasattr(candidate, "path"):
                request = candidate
        frame = frame.f_back
    parts: List[str] = []
    if request is not None:
        parts.append(" while serving %s %s" % (request.method, request.path))
        match = getattr(request, "resolver_match", None)
        if match is not None:
            parts.append(" (view %s)" % getattr(match, "_func_path", match.url_name))
    if user_frame is not None:
        parts.append(" in " + _where(user_frame))
    elif innermost is not None:
        parts.append(" in library code: " + _where(innermost))
    return "".join(parts)


def _where(frame: FrameType) -> str:
    code = frame.f_code
    return "%s.%s at %s:%d" % (frame.f_globals.get("__name__", "?"), code.co_name, code.co_filename, frame.f_lineno)
