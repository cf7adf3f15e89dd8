"""async_legacy's Django settings, with their defaults."""

from typing import Any, Dict

from django.conf import settings

DEFAULTS: Dict[str, Any] = {
    # Threads one worker process may use for blocking work (sync views, hooks
    # that may do I/O, templates, the ORM). One thread per request at most.
    "ASYNC_LEGACY_THREADS": 32,
    # Seconds a request keeps a lane thread it has left idle before giving it
    # back (0: at once). A burst of blocking steps keeps one thread and one
    # DB connection; a view that then waits holds none.
    "ASYNC_LEGACY_THREAD_IDLE": 0.005,
    # Dotted paths of middleware classes whose hooks never block.
    "ASYNC_LEGACY_INLINE_MIDDLEWARE": (),
}


def get(name: str) -> Any:
    """The setting ``name`` (one of DEFAULTS), or its default."""
    return getattr(settings, name, DEFAULTS[name])
