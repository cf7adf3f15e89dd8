"""Which bridge serves an application object.

ASGI detection follows uvicorn's (``Config.load``), so an app served by
uvicorn is served the same way here; where uvicorn would call a sync
callable ASGI 2, WSGI (this worker's default) wins unless the callable takes
a scope alone.
"""

import functools
import inspect
import sys
from typing import TYPE_CHECKING, Any, Awaitable, Optional

from async_legacy.coroutine_wsgi import is_coroutine_wsgi_app

if TYPE_CHECKING:
    from concurrent.futures import Executor
    from typing import Protocol  # Python 3.8+: for type checkers only

    from aiohttp import web

    from .options import Options
    from .respond import Exchange

    class Bridge(Protocol):
        """What the server asks of every bridge (more by ``kind``: ASGI's state, startup)."""

        kind: str

        def __call__(self, request: web.BaseRequest, exchange: Exchange) -> Awaitable[web.StreamResponse]: ...


# uvicorn's choice (uvicorn/_compat.py): asyncio's also knows asgiref's
# markcoroutinefunction on Python < 3.12; inspect's is the one left on 3.14.
if sys.version_info >= (3, 14):
    from inspect import iscoroutinefunction
else:
    from asyncio import iscoroutinefunction


def _is_coroutine_function(func: Any) -> bool:
    while isinstance(func, functools.partial):  # Python 3.7's inspect does not look through partials
        func = func.func
    return iscoroutinefunction(func)


def _takes_scope_only(func: Any) -> bool:
    """Callable with one positional argument (an ASGI 2 scope), not with two
    (a WSGI environ and start_response)."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):  # builtins, C callables: not ours to guess
        return False
    return _binds(signature, 1) and not _binds(signature, 2)


def _binds(signature: inspect.Signature, count: int) -> bool:
    try:
        signature.bind(*[None] * count)
    except TypeError:
        return False
    return True


def asgi_version(app: Any) -> Optional[int]:
    """3 or 2 for an ASGI application of that version, None for anything else."""
    if not callable(app):
        return None
    # asgiref's explicit marks (asgiref.compatibility.is_double_callable).
    if getattr(app, "_asgi_single_callable", False):
        return 3
    if getattr(app, "_asgi_double_callable", False):
        return 2
    if inspect.isclass(app):
        if hasattr(app, "__await__"):
            return 3  # App(scope, receive, send) is awaited
        # uvicorn takes every other class for ASGI 2; a class can be a WSGI app
        # too (PEP 3333), so ASGI 2 needs instances called as coroutines, or a
        # constructor taking the scope alone.
        if _is_coroutine_function(getattr(app, "__call__", None)) or _takes_scope_only(app):  # noqa: B004
            return 2
        return None
    # A function, bound method or partial that is a coroutine function is ASGI 3
    # (uvicorn reads a method's or partial's __call__ and takes it for ASGI 2,
    # which fails on every request: app(scope) is no ASGI 2 instance).
    if _is_coroutine_function(app):
        return 3
    call: Any = app
    if not (inspect.isroutine(app) or isinstance(app, functools.partial)):
        # The instance's own attribute first, as uvicorn reads it: sentry-sdk's
        # SentryAsgiMiddleware sets self.__call__ in __init__ (a __slots__ entry).
        call = getattr(app, "__call__", None)  # noqa: B004
        if _is_coroutine_function(call):
            return 3
    return 2 if _takes_scope_only(call) else None


def app_kind(app: Any) -> str:
    """The kind of app, named as its bridge's ``kind``."""
    if is_coroutine_wsgi_app(app):
        return "coroutine WSGI"  # first: its marked callable is often an async def
    version = asgi_version(app)
    if version is not None:
        return "ASGI" if version == 3 else "ASGI 2"
    from aiohttp import web

    if isinstance(app, web.Application):
        return "aiohttp"
    if callable(app):
        return "WSGI"
    raise TypeError(
        "%r is not a WSGI, coroutine-WSGI or ASGI application: serve a callable, such as "
        "app(environ, start_response) or app(scope, receive, send)." % (app,)
    )


def bridge_for(app: Any, options: "Options", executor: "Executor") -> "Bridge":
    from . import asgi, wsgi

    kind = app_kind(app)
    if kind == "coroutine WSGI":
        return wsgi.CoroutineWSGIBridge(app, options)
    if kind == "ASGI":
        return asgi.ASGIBridge(app, options)
    if kind == "ASGI 2":
        return asgi.ASGI2Bridge(app, options)
    if kind == "aiohttp":
        from .aiohttp_app import AiohttpAppBridge

        return AiohttpAppBridge(app, options)
    from .wrapped import bridge_for_wrapper

    # wsgi.py's WhiteNoise(get_application()): the wrapper around ours.
    wrapper = bridge_for_wrapper(app, options)
    if wrapper is not None:
        return wrapper
    return wsgi.WSGIBridge(app, options, executor)
