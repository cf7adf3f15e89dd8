"""django.views.decorators.http, accepting coroutine views.

The require_* decorators are Django's own from 5.0. ``condition``, ``etag``
and ``last_modified`` stay ours on every release for coroutine views: Django
5.0+ calls ``etag_func``/``last_modified_func`` on the event loop, where the
usual database query raises SynchronousOnlyOperation; here they run off it.
Sync views get Django's.
"""

import functools
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from django.http import HttpRequest, HttpResponse
from django.middleware.http import ConditionalGetMiddleware
from django.views.decorators import http as django_http

from .._typing import ViewT
from ..compat import forwarding, iscoroutinefunction
from ..lane import run_sync
from ._adapt import gate, middleware

__all__ = [
    "require_http_methods",
    "require_GET",
    "require_POST",
    "require_safe",
    "condition",
    "etag",
    "last_modified",
    "conditional_page",
]


def _require_http_methods(request_method_list: Sequence[str]) -> Callable[[ViewT], ViewT]:
    # Comparing the method is no I/O: checked on the loop.
    return gate(django_http.require_http_methods(request_method_list), blocking=False)


class _Placeholder(HttpResponse):
    """What the stand-in view returns: Django's condition() puts its headers on it."""


def _placeholder(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return _Placeholder()


def condition(
    etag_func: Optional[Callable[..., Optional[str]]] = None,
    last_modified_func: Optional[Callable[..., Optional[datetime]]] = None,
) -> Callable[[ViewT], ViewT]:
    django_decorator = django_http.condition(etag_func=etag_func, last_modified_func=last_modified_func)
    check = django_decorator(_placeholder)

    def decorator(func: ViewT) -> ViewT:
        if not iscoroutinefunction(func):
            return django_decorator(func)

        @functools.wraps(func)
        async def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            # etag_func / last_modified_func usually query the database: off the loop.
            answer = await run_sync(check, request, *args, **kwargs)
            if not isinstance(answer, _Placeholder):
                return answer  # 304 Not Modified or 412 Precondition Failed
            response = await func(request, *args, **kwargs)
            # The headers Django's release decided on, unless the view set its own.
            for header in ("Last-Modified", "ETag"):
                if answer.has_header(header) and not response.has_header(header):
                    response[header] = answer[header]
            return response

        return inner  # type: ignore[return-value]  # same signature, as functools.wraps says

    return decorator


def etag(etag_func: Callable[..., Optional[str]]) -> Callable[[ViewT], ViewT]:
    return condition(etag_func=etag_func)


def last_modified(last_modified_func: Callable[..., Optional[datetime]]) -> Callable[[ViewT], ViewT]:
    return condition(last_modified_func=last_modified_func)


if TYPE_CHECKING:  # the names __getattr__ serves, for type checkers

    def require_http_methods(request_method_list: Sequence[str]) -> Callable[[ViewT], ViewT]: ...
    def require_GET(view_func: ViewT) -> ViewT: ...
    def require_POST(view_func: ViewT) -> ViewT: ...
    def require_safe(view_func: ViewT) -> ViewT: ...
    def conditional_page(view_func: ViewT) -> ViewT: ...


__getattr__ = forwarding(
    __name__,
    {
        "require_http_methods": _require_http_methods,
        "require_GET": _require_http_methods(["GET"]),
        "require_POST": _require_http_methods(["POST"]),
        "require_safe": _require_http_methods(["GET", "HEAD"]),
        "conditional_page": middleware(django_http.conditional_page, ConditionalGetMiddleware),
    },
    "django.views.decorators.http",
    since=(5, 0),
)
