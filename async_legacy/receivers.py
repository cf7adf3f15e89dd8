"""Whether Django's request signals may be sent on the event loop.

request_started / request_finished go to a thread unless every receiver is
one of Django's own that does no I/O worth one: close_old_connections and
reset_queries touch only the calling thread's connections (the lane thread gets
the same hygiene when a request takes it and gives it back), reset_urlconf,
and close_caches when every cache is local. Shared by the legacy handler
(handler.py) and ASYNC_LEGACY_PIPELINE's (native_pipeline.py).
"""

from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from django import db
from django.conf import settings
from django.core.cache import close_caches
from django.dispatch import Signal

from . import compat

#: Cache backends whose close() does no I/O.
LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.db.DatabaseCache",
    "django.core.cache.backends.filebased.FileBasedCache",
)


def safe_receivers() -> Set[Callable[..., Any]]:
    """Django's own request-signal receivers known not to block."""
    safe: Set[Callable[..., Any]] = {db.reset_queries, db.close_old_connections}
    try:
        from django.core.handlers.base import reset_urlconf
    except ImportError:  # Django 1.11
        pass
    else:
        safe.add(reset_urlconf)
    if all(c.get("BACKEND") in LOCAL_CACHES for c in settings.CACHES.values()):
        safe.add(close_caches)
    return safe


class InlineSignals:
    """Per handler: may these signals be sent on the loop? Cached until their
    receivers change (list items compare by identity first: cheap while nothing
    changed). Used on the loop's thread only."""

    __slots__ = ("sender", "_safe", "_cache")

    def __init__(self, sender: type) -> None:
        self.sender = sender
        self._safe: Optional[Set[Callable[..., Any]]] = None  # read when first needed: the settings are loaded
        self._cache: Dict[Tuple[Signal, ...], Tuple[Tuple[List[Any], ...], bool]] = {}

    def ok(self, *signals: Signal) -> bool:
        """True when every live receiver of ``signals`` is known not to block."""
        cached = self._cache.get(signals)
        if cached is not None:
            # Per request, twice: one comparison per receiver list while they stay.
            for signal, seen in zip(signals, cached[0]):
                if signal.receivers != seen:
                    break
            else:
                return cached[1]
        if self._safe is None:
            self._safe = safe_receivers()
        safe = self._safe
        ok = all(receiver in safe for signal in signals for receiver in compat.live_receivers(signal, self.sender))
        self._cache[signals] = (tuple(list(signal.receivers) for signal in signals), ok)
        return ok
