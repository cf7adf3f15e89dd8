"""Django >= 3.1: the request path is Django's own ASGIHandler.

Our legacy machinery steps aside; what is left is one fix for 3.1 and 3.2,
where every request's thread-sensitive sync work (sync views, sync
middleware) shares ONE thread under asgiref >= 3.3, so concurrent sync views
queue behind each other. Django 4.0 runs each request in its own
``ThreadSensitiveContext``; we do the same on 3.1 and 3.2.
"""
import warnings

from . import blocking
from .compat import DJANGO_VERSION

#: Django releases whose ASGIHandler does not give each request its own thread context.
NEEDS_CONTEXT_PER_REQUEST = (3, 1) <= DJANGO_VERSION < (4, 0)


class ThreadPerRequest:
    """An ASGI 3 app running each call of ``app`` in its own ThreadSensitiveContext.

    With ``close_connections``, the database connections that request's thread
    opened are closed when it ends: the thread ends with it, so a persistent
    connection (CONN_MAX_AGE > 0) could never be reused and would stay open
    until the cyclic garbage collector happened to free it.
    """

    def __init__(self, app, close_connections=False):
        self.app = app
        self.close_connections = close_connections

    async def __call__(self, scope, receive, send):
        from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async

        # Django >= 4.0 opens its own context inside; it joins this one.
        async with ThreadSensitiveContext() as context:
            try:
                return await self.app(scope, receive, send)
            finally:
                if self.close_connections and context in SyncToAsync.context_to_thread_executor:
                    await sync_to_async(_close_connections)()  # on the request's thread


def _close_connections():
    from django.db import connections

    for conn in connections.all():
        conn.close()


def _persistent_connections():
    from django.conf import settings

    return any(db.get("CONN_MAX_AGE", 0) != 0 for db in settings.DATABASES.values())

    def __getattr__(self, name):
        # Look like the wrapped ASGIHandler (request_class, get_response...).
        return getattr(self.app, name)


class Watched:
    """An ASGI 3 app that starts the blocking detector on its loop (DEBUG, or when set)."""

    def __init__(self, app, threshold):
        self.app = app
        self.threshold = threshold

    async def __call__(self, scope, receive, send):
        blocking.watch(self.threshold)
        return await self.app(scope, receive, send)

    def __getattr__(self, name):
        return getattr(self.app, name)


def get_native_application():
    """Django's ASGIHandler, with a thread context per request on 3.1/3.2,
    whose connections are closed with it when CONN_MAX_AGE keeps them open.

    With the blocking detector on, it is started by the first request.
    """
    from django.core.asgi import get_asgi_application

    app = get_asgi_application()
    persistent = _persistent_connections()
    if NEEDS_CONTEXT_PER_REQUEST or persistent:
        app = ThreadPerRequest(app, close_connections=persistent)
    threshold = blocking.threshold_from_settings()
    return Watched(app, threshold) if threshold is not None else app


class AsyncDjangoApplication:
    """On Django >= 3.1, ``AsyncDjangoApplication()`` returns Django's ASGI app.

    Code written for the legacy path keeps working; the warning names the
    replacement.
    """

    def __new__(cls, *args, **kwargs):
        warnings.warn(
            "AsyncDjangoApplication() on Django %d.%d returns Django's own ASGI handler; "
            "use async_legacy.get_application() (any Django) or "
            "django.core.asgi.get_asgi_application() (Django >= 3.1) instead." % DJANGO_VERSION,
            DeprecationWarning,
            stacklevel=2,
        )
        return get_native_application()
