"""DRF's serializers with ``adata``, ``ais_valid`` and ``asave``.

Every DRF serializer name (fields, relations, ``ValidationError``...) is
re-exported, so ``from async_legacy.rest_framework import serializers`` can
replace ``from rest_framework import serializers``. The async methods run DRF's
sync code off the loop (the request's lane), so validators and related fields
that query the database (``UniqueValidator``, ``PrimaryKeyRelatedField``,
nested writes) and output with foreign keys and many-to-many fields never touch
the ORM from the event loop:

* ``await serializer.adata`` - ``serializer.data``;
* ``await serializer.ais_valid(raise_exception=False)`` - ``is_valid()``;
* ``await serializer.asave(**kwargs)`` - ``save()``; if ``acreate``/``aupdate``
  are overridden with ``async def``, they are awaited instead of DRF's
  ``create``/``update``.
"""

from typing import Any, Awaitable

from rest_framework import serializers as drf_serializers
from rest_framework.serializers import *  # noqa: F401,F403 - DRF's names, re-exported

from ..lane import run_sync

_MISSING = object()


def _data_of(serializer: Any) -> Any:
    return serializer.data


class AsyncSerializerMixin:
    """The async sisters of a serializer's methods."""

    instance: Any  # DRF's serializer's, declared for type checkers

    @property
    def adata(self) -> "Awaitable[Any]":
        return run_sync(_data_of, self)

    async def ais_valid(self, raise_exception: bool = False) -> bool:
        return await run_sync(self.is_valid, raise_exception=raise_exception)

    async def ato_representation(self, instance: Any) -> Any:
        return await run_sync(self.to_representation, instance)

    async def acreate(self, validated_data: Any) -> Any:
        return await run_sync(self.create, validated_data)

    async def aupdate(self, instance: Any, validated_data: Any) -> Any:
        return await run_sync(self.update, instance, validated_data)

    async def asave(self, **kwargs: Any) -> Any:
        cls = type(self)
        if cls.acreate is AsyncSerializerMixin.acreate and cls.aupdate is AsyncSerializerMixin.aupdate:
            return await run_sync(self.save, **kwargs)
        # DRF's save() with the async hooks awaited.
        assert hasattr(self, "_errors"), "You must call `.ais_valid()` before calling `.asave()`."
        assert not self.errors, "You cannot call `.asave()` on a serializer with invalid data."
        validated_data = dict(list(self.validated_data.items()) + list(kwargs.items()))
        if self.instance is not None:
            self.instance = await self.aupdate(self.instance, validated_data)
            assert self.instance is not None, "`aupdate()` did not return an object instance."
        else:
            self.instance = await self.acreate(validated_data)
            assert self.instance is not None, "`acreate()` did not return an object instance."
        return self.instance

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> Any:
        # DRF builds its own ListSerializer unless Meta names another: give
        # ours (same state, plus the async sisters).
        serializer = super().many_init(*args, **kwargs)  # type: ignore[misc]  # the serializer's
        if type(serializer) is drf_serializers.ListSerializer:
            serializer.__class__ = ListSerializer
        return serializer


class BaseSerializer(AsyncSerializerMixin, drf_serializers.BaseSerializer):  # type: ignore[no-redef,type-arg]  # extends DRF's (generic in the stubs only)
    pass


class Serializer(AsyncSerializerMixin, drf_serializers.Serializer):  # type: ignore[no-redef,type-arg]  # extends DRF's (generic in the stubs only)
    pass


class ListSerializer(AsyncSerializerMixin, drf_serializers.ListSerializer):  # type: ignore[no-redef,type-arg]  # extends DRF's (generic in the stubs only)
    pass


class ModelSerializer(AsyncSerializerMixin, drf_serializers.ModelSerializer):  # type: ignore[no-redef,type-arg]  # extends DRF's (generic in the stubs only)
    pass


class HyperlinkedModelSerializer(AsyncSerializerMixin, drf_serializers.HyperlinkedModelSerializer):  # type: ignore[no-redef,type-arg]  # extends DRF's (generic in the stubs only)
    pass
