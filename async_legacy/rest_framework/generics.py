"""DRF's generic views with ``async def`` handlers (adrf's names and layout).

``GenericAPIView`` adds the async sisters ``aget_object``, ``afilter_queryset``,
``apaginate_queryset`` and ``get_apaginated_response``; ``get_object``,
``get_queryset``, ``get_serializer``, ``paginate_queryset``... keep DRF's sync
meaning, so the browsable API, OPTIONS metadata and schema generation, which
call them, keep working.
"""

from typing import Any, List, Optional, cast

from rest_framework import generics as drf_generics
from rest_framework.generics import get_object_or_404  # noqa: F401 - DRF's, re-exported
from rest_framework.request import Request
from rest_framework.response import Response

from ..compat import iscoroutinefunction
from ..lane import run_sync
from . import mixins, views
from .mixins import overridden

__all__ = [
    "GenericAPIView",
    "CreateAPIView",
    "ListAPIView",
    "RetrieveAPIView",
    "DestroyAPIView",
    "UpdateAPIView",
    "ListCreateAPIView",
    "RetrieveUpdateAPIView",
    "RetrieveDestroyAPIView",
    "RetrieveUpdateDestroyAPIView",
    "get_object_or_404",
]


class GenericAPIView(views.APIView, drf_generics.GenericAPIView):  # type: ignore[type-arg]  # generic in the stubs only
    """DRF's GenericAPIView, with the async sister methods."""

    # -- which steps need the loop ---------------------------------------

    def has_async_filters(self) -> bool:
        return any(iscoroutinefunction(getattr(b, "filter_queryset", None)) for b in self.filter_backends)

    def has_async_paginator(self) -> bool:
        paginator = self.paginator
        return paginator is not None and (
            iscoroutinefunction(getattr(paginator, "apaginate_queryset", None))
            or iscoroutinefunction(getattr(paginator, "get_apaginated_response", None))
        )

    def has_async_object_steps(self) -> bool:
        """False when ``get_object()`` and everything it calls can run in one lane trip."""
        return (
            overridden(self, "aget_object", GenericAPIView)
            or overridden(self, "afilter_queryset", GenericAPIView)
            or self.has_async_filters()
            or any(views.is_async_method(p, "has_object_permission") for p in self.get_permissions())
        )

    def has_async_list_steps(self) -> bool:
        return (
            any(
                overridden(self, name, GenericAPIView)
                for name in ("afilter_queryset", "apaginate_queryset", "get_apaginated_response")
            )
            or self.has_async_filters()
            or self.has_async_paginator()
        )

    # -- the async sisters -------------------------------------------------

    async def aget_object(self) -> Any:
        """``get_object()``: lookup, 404 and object permissions before the object is returned."""
        if not self.has_async_object_steps():
            return await run_sync(self.get_object)
        queryset = await self.afilter_queryset(self.get_queryset())
        lookup_url_kwarg = self.lookup_url_kwarg or self.lookup_field
        assert lookup_url_kwarg in self.kwargs, (
            "Expected view %s to be called with a URL keyword argument named %r. Fix your URL conf, "
            "or set the `.lookup_field` attribute on the view correctly." % (type(self).__name__, lookup_url_kwarg)
        )
        filter_kwargs = {self.lookup_field: self.kwargs[lookup_url_kwarg]}
        obj = await run_sync(get_object_or_404, queryset, **filter_kwargs)
        await self.acheck_object_permissions(self.request, obj)
        return obj

    async def afilter_queryset(self, queryset: Any) -> Any:
        """``filter_queryset()``; async backends awaited, runs of sync ones in one lane trip."""
        pending: List[Any] = []
        for backend in list(self.filter_backends):
            if iscoroutinefunction(getattr(backend, "filter_queryset", None)):
                if pending:
                    queryset = await run_sync(self._apply_filters, pending, queryset)
                    pending = []
                queryset = await backend().filter_queryset(self.request, queryset, self)  # type: ignore[misc]  # async backend
            else:
                pending.append(backend)
        if pending:
            queryset = await run_sync(self._apply_filters, pending, queryset)
        return queryset

    def _apply_filters(self, backends: Any, queryset: Any) -> Any:
        for backend in backends:
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    async def apaginate_queryset(self, queryset: Any) -> Optional[List[Any]]:
        """One page of ``queryset``, or None without pagination."""
        paginator = self.paginator
        if paginator is None:
            return None
        if iscoroutinefunction(getattr(paginator, "apaginate_queryset", None)):
            return cast(Optional[List[Any]], await paginator.apaginate_queryset(queryset, self.request, view=self))
        return await run_sync(paginator.paginate_queryset, queryset, self.request, view=self)

    async def get_apaginated_response(self, data: Any) -> Response:
        paginator = self.paginator
        assert paginator is not None
        if iscoroutinefunction(getattr(paginator, "get_apaginated_response", None)):
            return cast(Response, await paginator.get_apaginated_response(data))
        return await run_sync(paginator.get_paginated_response, data)


# -- concrete views -------------------------------------------------------


class CreateAPIView(mixins.CreateModelMixin, GenericAPIView):
    async def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.acreate(request, *args, **kwargs)


class ListAPIView(mixins.ListModelMixin, GenericAPIView):
    async def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.alist(request, *args, **kwargs)


class RetrieveAPIView(mixins.RetrieveModelMixin, GenericAPIView):
    async def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.aretrieve(request, *args, **kwargs)


class DestroyAPIView(mixins.DestroyModelMixin, GenericAPIView):
    async def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.adestroy(request, *args, **kwargs)


class UpdateAPIView(mixins.UpdateModelMixin, GenericAPIView):
    async def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.aupdate(request, *args, **kwargs)

    async def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.partial_aupdate(request, *args, **kwargs)


class ListCreateAPIView(mixins.ListModelMixin, mixins.CreateModelMixin, GenericAPIView):
    async def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.alist(request, *args, **kwargs)

    async def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.acreate(request, *args, **kwargs)


class RetrieveUpdateAPIView(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, GenericAPIView):
    async def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.aretrieve(request, *args, **kwargs)

    async def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.aupdate(request, *args, **kwargs)

    async def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.partial_aupdate(request, *args, **kwargs)


class RetrieveDestroyAPIView(mixins.RetrieveModelMixin, mixins.DestroyModelMixin, GenericAPIView):
    async def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.aretrieve(request, *args, **kwargs)

    async def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.adestroy(request, *args, **kwargs)


class RetrieveUpdateDestroyAPIView(
    mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, GenericAPIView
):
    async def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.aretrieve(request, *args, **kwargs)

    async def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.aupdate(request, *args, **kwargs)

    async def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.partial_aupdate(request, *args, **kwargs)

    async def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return await self.adestroy(request, *args, **kwargs)


# The blog recipe's names.
AsyncGenericAPIView = GenericAPIView
AsyncCreateAPIView = CreateAPIView
AsyncListAPIView = ListAPIView
AsyncRetrieveAPIView = RetrieveAPIView
AsyncDestroyAPIView = DestroyAPIView
AsyncUpdateAPIView = UpdateAPIView
AsyncListCreateAPIView = ListCreateAPIView
AsyncRetrieveUpdateAPIView = RetrieveUpdateAPIView
AsyncRetrieveDestroyAPIView = RetrieveDestroyAPIView
AsyncRetrieveUpdateDestroyAPIView = RetrieveUpdateDestroyAPIView
