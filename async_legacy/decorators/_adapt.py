"""How a Django (< 5.0) view decorator is applied to a coroutine view.

Before Django 5.0 the view decorators wrap the view in a plain ``def``: around
an ``async def`` view they edit a coroutine object instead of a response
(AttributeError), and they hide the coroutine function from Django's
ASGIHandler (3.1-4.2), which then runs the view in a thread and gets an
unawaited coroutine back. Django's decorators fall into three shapes, and each
shape is adapted once here, reusing Django's own code of the running release
for the part that is not the view:

- ``after``: the decorator only edits the response (never_cache, vary_on_*,
  xframe_options_*, cache_control): Django's wrapper is applied to a stand-in
  view that hands back the awaited response.
- ``gate``: the decorator may answer instead of the view (require_http_methods,
  the auth decorators): Django's wrapper around a stand-in view tells whether
  the real view may run.
- ``middleware``: the decorator is built from a middleware class (cache_page,
  gzip_page, csrf_protect, ensure_csrf_cookie…): the hooks run as Django's
  ``make_middleware_decorator`` runs them, off the loop.

Sync views always get Django's own decorator, unchanged.
"""

import functools
from typing import Any, Callable, Dict, Optional, Tuple, Type

from .._typing import ViewT
from ..compat import iscoroutinefunction, view_middleware
from ..lane import run_sync

#: A decorator of Django's (sync views only, before Django 5.0).
DjangoDecorator = Callable[[Callable[..., Any]], Callable[..., Any]]

_PASSED = object()


def _passed(*args: Any, **kwargs: Any) -> object:
    return _PASSED


def _response_of(request: Any, response: Any) -> Any:
    return response


def check_request(request: Any, decorator_name: str) -> None:
    # Django 4.0+ checks this too; without it a decorated method would
    # receive ``self`` as the request and fail far from the cause.
    if not hasattr(request, "META"):
        raise TypeError(
            "%s didn't receive an HttpRequest. If you are decorating a method, "
            "wrap the decorator in django.utils.decorators.method_decorator." % decorator_name
        )


def after(django_decorator: DjangoDecorator, check: Optional[str] = None) -> Callable[[ViewT], ViewT]:
    """Adapt a decorator that only edits the response the view returned."""
    patch = django_decorator(_response_of)

    def decorator(view_func: Any) -> Any:
        if not iscoroutinefunction(view_func):
            return django_decorator(view_func)

        @functools.wraps(view_func)
        async def _view_wrapper(*args: Any, **kwargs: Any) -> Any:
            if check:
                check_request(args[0] if args else None, check)
            response = await view_func(*args, **kwargs)
            # Django's wrapper, given the awaited response by the stand-in.
            return patch(args[0] if args else None, response)

        return _view_wrapper

    return decorator


def gate(django_decorator: DjangoDecorator, blocking: bool = True) -> Callable[[ViewT], ViewT]:
    """Adapt a decorator that may answer (redirect, 403, 405…) instead of the view.

    ``blocking``: the check may do I/O (loads the user, a session), so it
    runs off the loop; pure checks (the request method) run inline.
    """
    check = django_decorator(_passed)

    def decorator(view_func: Any) -> Any:
        if not iscoroutinefunction(view_func):
            return django_decorator(view_func)

        @functools.wraps(view_func)
        async def _view_wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            if blocking:
                answer = await run_sync(check, request, *args, **kwargs)
            else:
                answer = check(request, *args, **kwargs)
            if answer is not _PASSED:
                return answer
            return await view_func(request, *args, **kwargs)

        return _view_wrapper

    return decorator


def middleware(
    django_decorator: DjangoDecorator, middleware_class: Type[Any], *m_args: Any, **m_kwargs: Any
) -> Callable[[ViewT], ViewT]:
    """Adapt a decorator made by Django's ``decorator_from_middleware(_with_args)``.

    ``django_decorator`` is Django's decorator (used for sync views);
    ``middleware_class`` and the arguments are what it was built from.
    """

    def decorator(view_func: Any) -> Any:
        if not iscoroutinefunction(view_func):
            return django_decorator(view_func)
        hooks = view_middleware(middleware_class, view_func, m_args, m_kwargs)

        def before(request: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
            if hasattr(hooks, "process_request"):
                result = hooks.process_request(request)
                if result is not None:
                    return result
            if hasattr(hooks, "process_view"):
                return hooks.process_view(request, view_func, args, kwargs)
            return None

        def on_exception(request: Any, exception: Exception) -> Any:
            if hasattr(hooks, "process_exception"):
                return hooks.process_exception(request, exception)
            return None

        def finish(request: Any, response: Any) -> Any:
            if hasattr(response, "render") and callable(response.render):
                if hasattr(hooks, "process_template_response"):
                    response = hooks.process_template_response(request, response)
                if hasattr(hooks, "process_response"):
                    # As Django does: process_response once the template is rendered.
                    response.add_post_render_callback(lambda rendered: hooks.process_response(request, rendered))
                return response
            if hasattr(hooks, "process_response"):
                return hooks.process_response(request, response)
            return response

        @functools.wraps(view_func)
        async def _view_wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            # Cache lookups, session reads (CSRF_USE_SESSIONS) and the request
            # body read by CSRF checks are blocking work: off the loop.
            result = await run_sync(before, request, args, kwargs)
            if result is not None:
                return result
            try:
                response = await view_func(request, *args, **kwargs)
            except Exception as exc:
                result = await run_sync(on_exception, request, exc)
                if result is None:
                    raise
                return result
            return await run_sync(finish, request, response)

        return _view_wrapper

    return decorator
