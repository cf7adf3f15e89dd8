"""DRF's model mixins with ``a``-prefixed sister methods (adrf's names).

``alist``, ``acreate``, ``aretrieve``, ``aupdate``, ``partial_aupdate`` and
``adestroy`` do what DRF's ``list``... do. When nothing on the way is async
(no ``async def`` filter backend, paginator, object permission, and none of
the ``a*`` hooks below overridden) the whole action is DRF's own sync method
run in ONE trip to the request's lane: queryset evaluation, pagination,
validation, saving and serializer output together. Otherwise each step goes
through its ``a*`` hook: ``aget_object``, ``afilter_queryset``,
``apaginate_queryset``, ``get_apaginated_response``, ``perform_acreate``,
``perform_aupdate``, ``perform_adestroy`` (whose defaults call DRF's sync
``perform_create``... on the lane, so sync overrides of those keep working).

DRF's sync methods keep their meaning.
"""

from typing import Any, cast

from rest_framework import mixins as drf_mixins
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from ..lane import run_sync

__all__ = [
    "CreateModelMixin",
    "ListModelMixin",
    "RetrieveModelMixin",
    "UpdateModelMixin",
    "DestroyModelMixin",
    "AsyncCreateModelMixin",
    "AsyncListModelMixin",
    "AsyncRetrieveModelMixin",
    "AsyncUpdateModelMixin",
    "AsyncDestroyModelMixin",
]


def overridden(view: Any, name: str, base: type) -> bool:
    """True when ``view``'s class replaced ``base.name``."""
    return getattr(type(view), name) is not getattr(base, name)


async def adata(serializer: Any) -> Any:
    """``serializer.data`` computed off the loop (``adata`` if the serializer has it)."""
    if hasattr(type(serializer), "adata"):
        return await serializer.adata
    return await run_sync(lambda: serializer.data)


async def avalidate(serializer: Any) -> bool:
    """``is_valid(raise_exception=True)`` off the loop (``ais_valid`` if there is one)."""
    if hasattr(serializer, "ais_valid"):
        return cast(bool, await serializer.ais_valid(raise_exception=True))
    return cast(bool, await run_sync(serializer.is_valid, raise_exception=True))


def _parsed_serializer(view: Any, request: Request, **kwargs: Any) -> Any:
    # request.data parses the body (multipart may write temporary files).
    return view.get_serializer(data=request.data, **kwargs)


class CreateModelMixin(drf_mixins.CreateModelMixin):
    async def acreate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not overridden(self, "perform_acreate", CreateModelMixin):
            return await run_sync(self.create, request, *args, **kwargs)
        serializer = await run_sync(_parsed_serializer, self, request)
        await avalidate(serializer)
        await self.perform_acreate(serializer)
        data = await adata(serializer)
        headers = self.get_success_headers(data)
        return Response(data, status=status.HTTP_201_CREATED, headers=headers)

    async def perform_acreate(self, serializer: Any) -> None:
        await run_sync(self.perform_create, serializer)  # type: ignore[misc]  # self is the view


class ListModelMixin(drf_mixins.ListModelMixin):
    async def alist(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not self.has_async_list_steps():
            return await run_sync(self.list, request, *args, **kwargs)
        queryset = await self.afilter_queryset(self.get_queryset())
        page = await self.apaginate_queryset(queryset)
        if page is not None:
            serializer = self.get_serializer(page, many=True)
            return cast(Response, await self.get_apaginated_response(await adata(serializer)))
        serializer = self.get_serializer(queryset, many=True)
        return Response(await adata(serializer))


class RetrieveModelMixin(drf_mixins.RetrieveModelMixin):
    async def aretrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not self.has_async_object_steps():
            return await run_sync(self.retrieve, request, *args, **kwargs)
        instance = await self.aget_object()
        serializer = self.get_serializer(instance)
        return Response(await adata(serializer))


class UpdateModelMixin(drf_mixins.UpdateModelMixin):
    async def aupdate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not self.has_async_object_steps() and not overridden(self, "perform_aupdate", UpdateModelMixin):
            return await run_sync(self.update, request, *args, **kwargs)
        partial = kwargs.pop("partial", False)
        instance = await self.aget_object()
        serializer = await run_sync(_parsed_serializer, self, request, instance=instance, partial=partial)
        await avalidate(serializer)
        await self.perform_aupdate(serializer)
        if getattr(instance, "_prefetched_objects_cache", None):
            # As DRF: a prefetch cache would show the related objects from before.
            instance._prefetched_objects_cache = {}
        return Response(await adata(serializer))

    async def partial_aupdate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return await self.aupdate(request, *args, **kwargs)

    async def perform_aupdate(self, serializer: Any) -> None:
        await run_sync(self.perform_update, serializer)  # type: ignore[misc]  # self is the view


class DestroyModelMixin(drf_mixins.DestroyModelMixin):
    async def adestroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not self.has_async_object_steps() and not overridden(self, "perform_adestroy", DestroyModelMixin):
            return await run_sync(self.destroy, request, *args, **kwargs)
        instance = await self.aget_object()
        await self.perform_adestroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    async def perform_adestroy(self, instance: Any) -> None:
        await run_sync(self.perform_destroy, instance)  # type: ignore[misc]  # self is the view


# The blog recipe's names.
AsyncCreateModelMixin = CreateModelMixin
AsyncListModelMixin = ListModelMixin
AsyncRetrieveModelMixin = RetrieveModelMixin
AsyncUpdateModelMixin = UpdateModelMixin
AsyncDestroyModelMixin = DestroyModelMixin
