"""django.contrib.auth.decorators, accepting coroutine views (Django's own from 5.1).

Before 5.1, ``login_required`` around an ``async def`` view evaluates
``request.user`` on the event loop (SynchronousOnlyOperation on 3.0+, blocking
I/O before) and hides the coroutine function from Django's ASGIHandler on
3.1-5.0. Here Django's check runs off the loop and the wrapper is an
``async def``.
"""
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import decorators as django_auth

from ..compat import forwarding
from ._adapt import gate

__all__ = ["user_passes_test", "login_required", "permission_required"]


def _user_passes_test(test_func, login_url=None, redirect_field_name=REDIRECT_FIELD_NAME):
    return gate(django_auth.user_passes_test(test_func, login_url, redirect_field_name))


def _login_required(function=None, redirect_field_name=REDIRECT_FIELD_NAME, login_url=None):
    decorator = _user_passes_test(
        lambda u: u.is_authenticated, login_url=login_url, redirect_field_name=redirect_field_name
    )
    return decorator(function) if function else decorator


def _permission_required(perm, login_url=None, raise_exception=False):
    return gate(django_auth.permission_required(perm, login_url, raise_exception))


__getattr__ = forwarding(
    __name__,
    {
        "user_passes_test": _user_passes_test,
        "login_required": _login_required,
        "permission_required": _permission_required,
    },
    "django.contrib.auth.decorators",
    since=(5, 1),
)
