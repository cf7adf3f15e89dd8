"""Django >= 3.1: the request path is Django's own ASGIHandler.

Our legacy machinery steps aside; what is left is one fix for 3.1 and 3.2,
where every request's thread-sensitive sync work (sync views, sync
middleware) shares ONE thread under asgiref >= 3.3, so concurrent sync views
queue behind each other. Django 4.0 runs each request in its own
``ThreadSensitiveContext``; we do the same on 3.1 and 3.2. And on every
version, the connections a request's thread opened are closed when they
would otherwise wait for the cyclic GC (see ThreadPerRequest).
"""

import warnings
from typing import TYPE_CHECKING, Any

from . import blocking
from .compat import DJANGO_VERSION

if TYPE_CHECKING:
    from ._typing import ASGIApp, Receive, Scope, Send


class ThreadPerRequest:
    """An ASGI 3 app running each call of ``app`` in its own ThreadSensitiveContext.

    The database connections that request's thread opened are closed when
    it ends, always with ``close_connections`` (CONN_MAX_AGE > 0: the thread
    ends with the request, so a persistent connection could never be reused)
    and after a request that failed or was cancelled (its sync work may have
    run on after Django's request_finished). Either way the connection would
    stay open until the cyclic garbage collector happened to free it.
    """

    def __init__(self, app: "ASGIApp", close_connections: bool = False) -> None:
        self.app = app
        self.close_connections = close_connections

    async def __call__(self, scope: "Scope", receive: "Receive", send: "Send") -> None:
        from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async

        # Django >= 4.0 opens its own context inside; it joins this one.
        async with ThreadSensitiveContext() as context:
            close = self.close_connections
            try:
                return await self.app(scope, receive, send)
            except BaseException:
                close = True
                raise
            finally:
                if close and context in SyncToAsync.context_to_thread_executor:
                    await sync_to_async(_close_connections)()  # on the request's thread

    def __getattr__(self, name: str) -> Any:
        # Look like the wrapped ASGIHandler (request_class, get_response...).
        return getattr(self.app, name)


def _close_connections() -> None:
    from django.db import connections

    for conn in connections.all():
        conn.close()


def _persistent_connections() -> bool:
    from django.conf import settings

    return any(db.get("CONN_MAX_AGE", 0) != 0 for db in settings.DATABASES.values())


class Watched:
    """An ASGI 3 app that starts the blocking detector on its loop (DEBUG, or when set)."""

    def __init__(self, app: "ASGIApp", threshold: float) -> None:
        self.app = app
        self.threshold = threshold

    async def __call__(self, scope: "Scope", receive: "Receive", send: "Send") -> None:
        blocking.watch(self.threshold)
        return await self.app(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)


def get_native_application() -> "ASGIApp":
    """Django's ASGIHandler, with a thread context per request (Django 4.0+
    has its own; it joins ours), whose connections are closed with it.

    With the blocking detector on, it is started by the first request.
    """
    from django.core.asgi import get_asgi_application

    app: Any = get_asgi_application()
    app = ThreadPerRequest(app, close_connections=_persistent_connections())
    threshold = blocking.threshold_from_settings()
    return Watched(app, threshold) if threshold is not None else app


class AsyncDjangoApplication:
    """On Django >= 3.1, ``AsyncDjangoApplication()`` returns Django's ASGI app.

    Code written for the legacy path keeps working; the warning names the
    replacement.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> "ASGIApp":  # type: ignore[misc]  # deliberately not an instance: Django's app
        warnings.warn(
            "AsyncDjangoApplication() on Django %d.%d returns Django's own ASGI handler; "
            "use async_legacy.get_application() (any Django) or "
            "django.core.asgi.get_asgi_application() (Django >= 3.1) instead." % DJANGO_VERSION,
            DeprecationWarning,
            stacklevel=2,
        )
        return get_native_application()
