"""Django's handler entry points, as monitoring agents patch them.

Sentry's Django integration, New Relic, Datadog's ddtrace and others
instrument a Django site by replacing methods of Django's handler classes:
``WSGIHandler.__call__`` (a request's scope or transaction), ``BaseHandler.
get_response`` (its URL, user and route), ``ASGIHandler.__call__`` and
``BaseHandler.get_response_async`` on Django >= 3.1, ``BaseHandler.
make_view_atomic`` (a span around the view), ``BaseHandler.load_middleware``
(each middleware wrapped as it is loaded). The pipeline replaces Django's
code on those paths, so a patch there would never run: while one is in
place, the pipeline calls it the way Django's handler does (see
``AsyncDjangoApplication.serve`` and ``AsyncBaseHandler.load_middleware``).
While none is, the direct path costs nothing more.

A method counts as patched when it is not a plain function defined in
Django's own module (a wrapper function from elsewhere, or a wrapt proxy),
or when it carries attributes (a function wrapped in place).
"""

import os
import types
from typing import Any, Dict, Tuple

from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIHandler

_BASE = os.path.join("django", "core", "handlers", "base.py")
_WSGI = os.path.join("django", "core", "handlers", "wsgi.py")
_ASGI = os.path.join("django", "core", "handlers", "asgi.py")

#: Per looked-up function: whether it is Django's own (functions compare by identity: cheap).
_seen: Dict[Tuple[str, str], Tuple[Any, bool, int]] = {}


def _is_djangos(func: Any, module_file: str) -> bool:
    # Django's own methods carry no attributes: one that does was wrapped in
    # place (ddtrace rewrites the function's code, keeping the function and
    # its file name, and marks it with __dd_wrapped__; functools.wraps leaves
    # __wrapped__).
    return type(func) is types.FunctionType and func.__code__.co_filename.endswith(module_file) and not func.__dict__


def _patched(cls: Any, name: str, module_file: str) -> bool:
    func = cls.__dict__.get(name)
    key = (getattr(cls, "__name__", str(cls)), name)
    seen = _seen.get(key)
    if seen is not None and seen[0] is func and seen[2] == len(getattr(func, "__dict__", ())):
        return seen[1]
    patched = not _is_djangos(func, module_file)
    _seen[key] = (func, patched, len(getattr(func, "__dict__", ())))
    return patched


def wsgi_entry_patched() -> bool:
    """True when ``WSGIHandler.__call__`` or ``BaseHandler.get_response`` is patched."""
    return _patched(WSGIHandler, "__call__", _WSGI) or _patched(BaseHandler, "get_response", _BASE)


def load_middleware_patched() -> bool:
    """True when ``BaseHandler.load_middleware`` is patched: the agent wraps
    middleware as Django loads it (Sentry's middleware spans, ddtrace)."""
    return _patched(BaseHandler, "load_middleware", _BASE)


def make_view_atomic_patched() -> bool:
    return _patched(BaseHandler, "make_view_atomic", _BASE)


def get_response_async_patched() -> bool:
    return "get_response_async" in BaseHandler.__dict__ and _patched(BaseHandler, "get_response_async", _BASE)


def asgi_entry_patched() -> bool:
    from django.core.handlers.asgi import ASGIHandler

    return _patched(ASGIHandler, "__call__", _ASGI)


def asgi_factory_patched() -> bool:
    """True when ``django.core.asgi.get_asgi_application`` is patched (ddtrace
    wraps the handler it returns in its ASGI middleware, which opens each
    request's span)."""
    from django.core import asgi

    return _patched(asgi, "get_asgi_application", os.path.join("django", "core", "asgi.py"))
