"""``@api_view`` for ``async def`` functions; DRF's other decorators re-exported.

``@api_view(["GET"]) async def f(request)`` gives an async view built on
:class:`.views.APIView`, with DRF's policy decorators (``@permission_classes``,
``@throttle_classes``...) honoured as DRF honours them. Sync functions are
served as DRF serves them. ``@action`` works on ``async def`` methods.
"""

from typing import Any, Callable, Dict, Optional, Sequence

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


_drf_api_view = drf_decorators.api_view


def api_view(http_method_names: Optional[Sequence[str]] = None) -> Callable[[Callable[..., Any]], Any]:
    drf_decorator = _drf_api_view(http_method_names)

    def decorator(func: Callable[..., Any]) -> Any:
        # DRF builds its class (policies read from the function's attributes);
        # ours goes in front of it, so an async function gets coroutine handlers.
        wrapped = drf_decorator(func).cls
        handler: Callable[..., Any]
        if iscoroutinefunction(func):

            async def handler(self: Any, *args: Any, **kwargs: Any) -> Any:
                return await func(*args, **kwargs)

        else:

            def handler(self: Any, *args: Any, **kwargs: Any) -> Any:
                return func(*args, **kwargs)

        attrs: Dict[str, Any] = {"__doc__": func.__doc__, "__module__": func.__module__}
        for method in wrapped.http_method_names:
            if method != "options":
                attrs[method] = handler
        return type(func.__name__, (APIView, wrapped), attrs).as_view()

    return decorator
