"""How a resolved view is called, and what it must return.

A view is called inline on the loop only when calling it is known to do no
blocking work: an ``async def`` function, an async class-based view whose
``dispatch`` is Django's own, or those wrapped only in decorators that just
look at the request (csrf_exempt, require_http_methods). Any other callable is
called on the lane; if what it returns is awaitable (``login_required`` around
an ``async def`` view, a mixin's ``dispatch``), the result is awaited on the
loop.
"""

import asyncio
import inspect
import types
from typing import Any, Callable, Container, Dict, List, Sequence, Tuple

from django.db import connections, transaction
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django.views.generic import View

from .compat import NATIVE_ASYNC, iscoroutinefunction
from .hooks import Mode

#: Call the view on the loop: it returns an awaitable or a response at once.
INLINE = Mode.INLINE
#: Call the view on the lane (it may block); await what it returns if awaitable.
LANE = Mode.LANE


def _probe(request: Any) -> None:
    pass


# Decorators whose wrapper only inspects the request before calling the view.
_PASS_THROUGH_CODES = {
    csrf_exempt(_probe).__code__,
    require_http_methods(["GET"])(_probe).__code__,
}
# transaction.atomic used as a decorator: ContextDecorator's wrapper (shared
# with other context decorators, so its closure is checked for an Atomic).
_CONTEXT_DECORATOR_CODE = transaction.atomic(_probe).__code__

_kinds: Dict[Tuple[Callable[..., Any], str], Mode] = {}


def kind_of(callback: Callable[..., Any], method: str) -> Mode:
    """INLINE or LANE for ``callback`` serving an HTTP ``method``."""
    key = (callback, method)
    try:
        return _kinds[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable callable
        return _kind_of(callback, method)
    if len(_kinds) > 4096:  # callbacks made per request: don't grow forever
        _kinds.clear()
    kind = _kinds[key] = _kind_of(callback, method)
    return kind


def _kind_of(callback: Callable[..., Any], method: str) -> Mode:
    func: Any = callback
    while getattr(func, "__code__", None) in _PASS_THROUGH_CODES:
        func = getattr(func, "__wrapped__", None)
        if func is None:
            return LANE
    if iscoroutinefunction(func):
        return INLINE
    view_class = getattr(func, "view_class", None)
    if view_class is not None and _plain_dispatch(view_class):
        name = method.lower()
        handler = getattr(view_class, name, None)
        if handler is None and name == "head":
            handler = getattr(view_class, "get", None)
        if handler is not None and iscoroutinefunction(handler):
            return INLINE
    return LANE


def _plain_dispatch(view_class: type) -> bool:
    return all(
        getattr(view_class, name, None) is getattr(View, name, None) for name in ("__init__", "setup", "dispatch")
    )


def any_atomic_requests() -> bool:
    return any(conf.get("ATOMIC_REQUESTS") for conf in connections.databases.values())


def atomic_aliases(callback: Callable[..., Any]) -> List[str]:
    """Databases whose ATOMIC_REQUESTS would wrap this view in a transaction."""
    exempt: Container[str] = getattr(callback, "_non_atomic_requests", set())
    return [
        alias for alias, conf in connections.databases.items() if conf.get("ATOMIC_REQUESTS") and alias not in exempt
    ]


def wrapped_in_atomic(callback: Any) -> bool:
    """True when ``@transaction.atomic`` is among the callable's decorators."""
    func: Any = callback
    seen = 0
    while func is not None and seen < 32:
        if getattr(func, "__code__", None) is _CONTEXT_DECORATOR_CODE and any(
            isinstance(cell.cell_contents, transaction.Atomic) for cell in func.__closure__ or ()
        ):
            return True
        func, seen = getattr(func, "__wrapped__", None), seen + 1
    return False


def view_name(callback: Callable[..., Any]) -> str:
    if isinstance(callback, types.FunctionType):  # FBV
        name = callback.__name__
    else:  # CBV
        name = callback.__class__.__name__ + ".__call__"
    return "%s.%s" % (callback.__module__, name)


def atomic_error(callback: Callable[..., Any], aliases: Sequence[str]) -> RuntimeError:
    if aliases:
        if NATIVE_ASYNC:  # Django >= 3.1's own message first, then ours
            return RuntimeError(
                "You cannot use ATOMIC_REQUESTS with async views. The view %s is asynchronous and "
                "ATOMIC_REQUESTS is on for database %s: mark it @transaction.non_atomic_requests."
                % (view_name(callback), ", ".join(repr(a) for a in aliases))
            )
        where = "ATOMIC_REQUESTS is on for database %s" % ", ".join(repr(a) for a in aliases)
        fix = (
            "Mark the view @transaction.non_atomic_requests and open the "
            "transaction inside a sync function run with sync_to_async(), or "
            "turn ATOMIC_REQUESTS off"
        )
    else:
        where = "it is decorated with @transaction.atomic"
        fix = "Remove the decorator and open the transaction inside a sync function run with sync_to_async()"
    return RuntimeError(
        "The view %s is asynchronous, but %s: the transaction would end before "
        "the view's code runs. %s." % (view_name(callback), where, fix)
    )


def check_response(response: object, callback: Callable[..., Any]) -> None:
    """Raise Django's error for a view that returned no response."""
    if isinstance(response, HttpResponseBase):
        return
    if response is None:
        what = "None"
    elif asyncio.iscoroutine(response) or inspect.isawaitable(response):
        what = "an unawaited coroutine"
    elif callable(getattr(response, "render", None)):
        return  # a response with deferred rendering (TemplateResponse-like)
    else:
        what = "a %s object" % type(response).__name__
    message = "The view %s didn't return an HttpResponse object. It returned %s instead." % (
        view_name(callback),
        what,
    )
    if what == "an unawaited coroutine":
        message += " You may need to add an 'await' into your view."
    raise ValueError(message)
