"""View decorators that also accept coroutine views, with Django's names.

Django's auth decorators became async-aware in 5.1. Before that,
``login_required`` around an ``async def`` view evaluates ``request.user``
on the event loop (SynchronousOnlyOperation on 3.0+, blocking I/O before)
and hides the coroutine function from Django's ASGIHandler on 3.1-5.0.
Here the check runs off the loop and the wrapper is an ``async def``.
On Django >= 5.1 the names are Django's own.
"""
import functools

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import decorators as django_auth

from .compat import DJANGO_VERSION, iscoroutinefunction, superseded
from .lane import run_sync

__all__ = ["user_passes_test", "login_required", "permission_required"]

_AUTH_ASYNC_SINCE = (5, 1)
_PASSED = object()


def _passed(request, *args, **kwargs):
    return _PASSED


def _async_aware(sync_decorator):
    """Apply ``sync_decorator`` (a Django auth decorator) to sync or async views."""

    def decorator(view_func):
        if not iscoroutinefunction(view_func):
            return sync_decorator(view_func)
        # Django's own wrapper around a stand-in view: it runs the test (and
        # raises PermissionDenied or redirects exactly as Django does).
        gate = sync_decorator(_passed)

        @functools.wraps(view_func)
        async def _view_wrapper(request, *args, **kwargs):
            answer = await run_sync(gate, request, *args, **kwargs)
            if answer is not _PASSED:
                return answer
            return await view_func(request, *args, **kwargs)

        return _view_wrapper

    return decorator


def _user_passes_test(test_func, login_url=None, redirect_field_name=REDIRECT_FIELD_NAME):
    return _async_aware(django_auth.user_passes_test(test_func, login_url, redirect_field_name))


def _login_required(function=None, redirect_field_name=REDIRECT_FIELD_NAME, login_url=None):
    decorator = _user_passes_test(
        lambda u: u.is_authenticated, login_url=login_url, redirect_field_name=redirect_field_name
    )
    return decorator(function) if function else decorator


def _permission_required(perm, login_url=None, raise_exception=False):
    return _async_aware(django_auth.permission_required(perm, login_url, raise_exception))


_OURS = {
    "user_passes_test": _user_passes_test,
    "login_required": _login_required,
    "permission_required": _permission_required,
}


def __getattr__(name):
    if name not in _OURS:
        raise AttributeError("module 'async_legacy.decorators' has no attribute %r" % name)
    if DJANGO_VERSION >= _AUTH_ASYNC_SINCE:
        superseded(name, "django.contrib.auth.decorators.%s" % name, _AUTH_ASYNC_SINCE)
        return getattr(django_auth, name)
    return _OURS[name]
