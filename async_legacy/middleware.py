"""Django 3.1's middleware decorators on every Django.

``sync_only_middleware``, ``async_only_middleware`` and
``sync_and_async_middleware`` mark a middleware factory (a function or a
class) with the ``sync_capable`` / ``async_capable`` flags Django's
``load_middleware`` reads. On Django >= 3.1 these ARE Django's
(``django.utils.decorators``); on 1.11-3.0 they are defined here with the
same meaning, and the legacy pipeline reads the flags as Django 3.1+ does:
an async-capable middleware is awaited on the event loop with an async
``get_response``, a sync-only one runs on the request's thread lane.

Unlike Django 3.1+'s, ``MiddlewareMixin`` of Django 1.11-3.0 is not
async-capable: its hooks are split and run inline or on the lane.

No deprecation warning on 3.1+ (other shims of this package warn): a
middleware module shared by both sides of an upgrade imports these at
start-up, and they are Django's objects there.
"""

from typing import TYPE_CHECKING

from .compat import NATIVE_ASYNC

__all__ = ["sync_only_middleware", "async_only_middleware", "sync_and_async_middleware"]

if NATIVE_ASYNC or TYPE_CHECKING:  # type checkers see Django's (django-stubs)
    from django.utils.decorators import (  # noqa: F401 - the same objects
        async_only_middleware,
        sync_and_async_middleware,
        sync_only_middleware,
    )
else:

    def sync_only_middleware(func):
        """Mark a middleware factory as only compatible with a sync request path."""
        func.sync_capable = True
        func.async_capable = False
        return func

    def async_only_middleware(func):
        """Mark a middleware factory as returning an async middleware."""
        func.sync_capable = False
        func.async_capable = True
        return func

    def sync_and_async_middleware(func):
        """Mark a middleware factory as returning a hybrid: it checks whether
        ``get_response`` is a coroutine function and answers in kind."""
        func.sync_capable = True
        func.async_capable = True
        return func
