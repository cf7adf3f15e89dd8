"""Async helpers for django.contrib.auth, with Django 5.0's names."""

from typing import Any

from django.http import HttpRequest

from .compat import DJANGO_VERSION, superseded
from .lane import run_sync


def _loaded_user(request: HttpRequest) -> Any:
    user = request.user
    user.is_authenticated  # noqa: B018 - evaluates the lazy object (one session + user query)
    return user


async def auser(request: HttpRequest) -> Any:
    """``await request.auser()`` on any Django: the request's user, loaded off the loop.

    Before Django 5.0 it also leaves ``request.user`` loaded, so the view can
    read it afterwards without touching the database.
    """
    if DJANGO_VERSION >= (5, 0):
        superseded("auser(request)", "await request.auser()", (5, 0))
        return await request.auser()
    return await run_sync(_loaded_user, request)
