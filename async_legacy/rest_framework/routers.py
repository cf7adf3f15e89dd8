"""DRF's routers, mapping the standard actions to their async sisters.

``list`` routes to ``alist``, ``create`` to ``acreate``... when the viewset
has them (adrf's mapping); ``@action`` methods route as in DRF, ``async def``
or not. ``view.actions`` and ``self.action`` still say ``list`` (see
:mod:`.viewsets`), and DRF's own routers serve our viewsets the same way.
"""

from typing import Any, Dict, Mapping

from rest_framework import routers as drf_routers
from rest_framework.routers import APIRootView, DynamicRoute, Route  # noqa: F401 - DRF's, re-exported

from .viewsets import async_sister

__all__ = ["SimpleRouter", "DefaultRouter", "APIRootView", "Route", "DynamicRoute"]


class SimpleRouter(drf_routers.SimpleRouter):
    def get_method_map(self, viewset: Any, method_map: Mapping[str, str]) -> Dict[str, str]:
        bound = super().get_method_map(viewset, method_map)
        return {method: async_sister(viewset, action) for method, action in bound.items()}


class DefaultRouter(SimpleRouter, drf_routers.DefaultRouter):
    pass
