"""DRF's viewsets whose actions may be ``async def`` (adrf's names and layout).

``ModelViewSet``/``ReadOnlyModelViewSet`` answer ``list``, ``create``,
``retrieve``, ``update``, ``partial_update`` and ``destroy`` with their async
sisters ``alist``, ``acreate``... , and ``@action`` methods may be
``async def``. A route is served asynchronously when one of its bound
handlers is a coroutine function; DRF's routers work as well as ours.

``self.action`` and ``view.actions`` keep DRF's names (``"list"``, not
``"alist"``): permissions, ``get_serializer_class`` and schema generation that
test ``self.action == "list"`` keep working.
"""

from typing import Any, Dict, Optional

from django.http import HttpRequest
from django.utils.decorators import classonlymethod
from rest_framework import viewsets as drf_viewsets
from rest_framework.request import Request

from ..compat import iscoroutinefunction
from . import generics, mixins, views

__all__ = ["ViewSetMixin", "ViewSet", "GenericViewSet", "ReadOnlyModelViewSet", "ModelViewSet"]

#: DRF's action names and their async sisters.
ASYNC_ACTIONS = {
    "list": "alist",
    "create": "acreate",
    "retrieve": "aretrieve",
    "update": "aupdate",
    "partial_update": "partial_aupdate",
    "destroy": "adestroy",
}
SYNC_ACTIONS = {value: key for key, value in ASYNC_ACTIONS.items()}


def async_sister(viewset: Any, action: str) -> str:
    """``alist`` for ``list`` when ``viewset`` has it, else ``action`` unchanged."""
    sister = ASYNC_ACTIONS.get(action)
    return sister if sister and hasattr(viewset, sister) else action


class ViewSetMixin(drf_viewsets.ViewSetMixin):
    @classonlymethod
    def as_view(cls, actions: Optional[Dict[str, Any]] = None, **initkwargs: Any) -> Any:
        if not actions:
            return super().as_view(actions, **initkwargs)  # DRF's error message
        bound: Dict[str, Any] = {method: async_sister(cls, action) for method, action in actions.items()}
        if not cls.actions_are_async(bound):
            return super().as_view(actions, **initkwargs)
        view = super().as_view(bound, **initkwargs)
        # DRF's names for introspection (schema generation, breadcrumbs).
        view.actions = {method: SYNC_ACTIONS.get(action, action) for method, action in bound.items()}
        return views.async_view(view)

    @classmethod
    def actions_are_async(cls, actions: Dict[str, Any]) -> bool:
        """A route is served asynchronously when one of its handlers is ``async def``."""
        return any(iscoroutinefunction(getattr(cls, action, None)) for action in actions.values())

    def dispatches_async(self) -> bool:
        return self.actions_are_async(self.action_map)

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        request = super().initialize_request(request, *args, **kwargs)
        self.action = SYNC_ACTIONS.get(self.action, self.action)
        return request


class ViewSet(ViewSetMixin, views.APIView):
    """DRF's ViewSet: no actions by default; write ``async def list(self, request)``..."""


class GenericViewSet(ViewSetMixin, generics.GenericAPIView):
    """DRF's GenericViewSet with the async sisters of GenericAPIView."""


class ReadOnlyModelViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, GenericViewSet):
    """``alist`` and ``aretrieve``."""


class ModelViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    GenericViewSet,
):
    """``acreate``, ``aretrieve``, ``aupdate``, ``partial_aupdate``, ``adestroy`` and ``alist``."""


# The blog recipe's names.
AsyncViewSet = ViewSet
AsyncGenericViewSet = GenericViewSet
AsyncReadOnlyModelViewSet = ReadOnlyModelViewSet
AsyncModelViewSet = ModelViewSet
