"""async_legacy's Django settings, with their defaults."""

from typing import Any, Dict

from django.conf import settings

DEFAULTS: Dict[str, Any] = {
    # Threads one worker process may use for blocking work (sync views, hooks
    # that may do I/O, templates, the ORM): one per request in flight that has
    # run sync code, so also the bound on its database connections. Created on
    # demand; beyond 32, unused ones exit after 30 s. 1000: gunicorn's default
    # worker_connections, so requests never queue for a thread by default.
    "ASYNC_LEGACY_THREADS": 1000,
    # True: a request keeps the thread it took until it ends, so all its sync
    # code runs on one thread (thread-locals as in Django's sync handler).
    # False (opt-in): it gives the thread back while it awaits; see lane.py.
    "ASYNC_LEGACY_THREAD_AFFINITY": True,
    # Without affinity: seconds a request keeps a lane thread it has left idle
    # before giving it back (0: at once). A burst of blocking steps keeps one
    # thread and one DB connection; a view that then waits holds none.
    "ASYNC_LEGACY_THREAD_IDLE": 0.005,
    # Dotted paths of middleware classes whose hooks never block.
    "ASYNC_LEGACY_INLINE_MIDDLEWARE": (),
    # Django >= 3.1: serve the middleware/view path through async_legacy's
    # pipeline instead of Django's ASGIHandler chain (Django < 3.1: always).
    "ASYNC_LEGACY_PIPELINE": False,
}


def get(name: str) -> Any:
    """The setting ``name`` (one of DEFAULTS), or its default."""
    return getattr(settings, name, DEFAULTS[name])


def pipeline() -> bool:
    """ASYNC_LEGACY_PIPELINE, checked (read once, when the application is created)."""
    from django.core.exceptions import ImproperlyConfigured

    value = get("ASYNC_LEGACY_PIPELINE")
    if not isinstance(value, bool):
        raise ImproperlyConfigured(
            "ASYNC_LEGACY_PIPELINE must be True (Django >= 3.1 serves the middleware and views "
            "through async_legacy's pipeline) or False (Django's own ASGIHandler, the default); "
            "got %r." % (value,)
        )
    return value
