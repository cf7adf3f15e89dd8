"""``@api_view`` for ``async def`` functions; DRF's other decorators re-exported.

``@api_view(["GET"]) async def f(request)`` gives an async view built on
:class:`.views.APIView`, with DRF's policy decorators (``@permission_classes``,
``@throttle_classes``...) honoured as DRF honours them. Sync functions get
DRF's own ``api_view`` unchanged. ``@action`` works on ``async def`` methods.
"""
from rest_framework import decorators as drf_decorators
from rest_framework.decorators import (  # noqa: F401 - DRF's, re-exported
    action,
    authentication_classes,
    parser_classes,
    permission_classes,
    renderer_classes,
    schema,
    throttle_classes,
)

from ..compat import iscoroutinefunction
from .views import APIView

__all__ = [
    "api_view",
    "action",
    "authentication_classes",
    "parser_classes",
    "permission_classes",
    "renderer_classes",
    "schema",
    "throttle_classes",
]


def api_view(http_method_names=None):
    drf_decorator = drf_decorators.api_view(http_method_names)

    def decorator(func):
        sync_view = drf_decorator(func)
        if not iscoroutinefunction(func):
            return sync_view
        # DRF built its class (policies read from the function's attributes);
        # ours goes in front of it, with coroutine handlers.
        wrapped = sync_view.cls

        async def handler(self, *args, **kwargs):
            return await func(*args, **kwargs)

        attrs = {"__doc__": func.__doc__, "__module__": func.__module__}
        for method in wrapped.http_method_names:
            if method != "options":
                attrs[method] = handler
        return type(func.__name__, (APIView, wrapped), attrs).as_view()

    return decorator
