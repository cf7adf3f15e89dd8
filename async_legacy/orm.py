"""Django 4.1/4.2's async ORM names on Django 1.11-4.0.

``install()`` (called by ``async_legacy``'s AppConfig when ``"async_legacy"``
is in INSTALLED_APPS) adds to QuerySet, every Manager and Model the async
methods the running Django lacks - no model changes needed:

    user = await User.objects.aget(pk=1)
    async for entry in Entry.objects.filter(published=True): ...
    await user.asave()

Each is a thin wrapper running the sync method off the loop, as Django's are:
inside a request of the legacy pipeline on the request's thread lane (where
its DB connection lives, CONN_MAX_AGE honoured), elsewhere through asgiref's
thread-sensitive ``sync_to_async`` (so tests see the TestCase's data).
Methods Django already has are left alone: on 4.1+/4.2+ these are Django's.

Type checkers see these names on the models that opt in, on every Django
(django-stubs for Django 4.1+ has them on every model already)::

    class Book(AsyncModelMixin, models.Model):      # asave, adelete, arefresh_from_db
        objects = AsyncManager["Book"]()

    book = await Book.objects.aget(pk=1)            # Book
    async for b in Book.objects.filter(x=1): ...    # AsyncQuerySet[Book]

``AsyncManager["Book"]()`` names the model for type checkers with or without
django-stubs' mypy plugin. At run time ``AsyncManager`` is a plain Manager
(subscripting it gives the class, as on Django 3.1+), ``AsyncQuerySet`` a
plain QuerySet and ``AsyncModelMixin`` an empty class: the methods are the
ones ``install()`` added (or Django's own).
"""

from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Coroutine, Dict, Generic, List, Optional, Tuple, TypeVar

from django.db.models import Manager, Model
from django.db.models.manager import BaseManager
from django.db.models.query import QuerySet

from .lane import run_sync

_M = TypeVar("_M", bound=Model)

if TYPE_CHECKING:

    class _AsyncNames(Generic[_M]):
        """The async names QuerySets and Managers share (Django 4.1's), for type checkers."""

        async def aget(self, *args: Any, **kwargs: Any) -> _M: ...
        async def acreate(self, **kwargs: Any) -> _M: ...
        async def afirst(self) -> Optional[_M]: ...
        async def alast(self) -> Optional[_M]: ...
        async def acount(self) -> int: ...
        async def aexists(self) -> bool: ...
        async def aget_or_create(self, defaults: Any = None, **kwargs: Any) -> Tuple[_M, bool]: ...
        async def aupdate_or_create(
            self,
            defaults: Any = None,
            create_defaults: Any = None,
            **kwargs: Any,  # create_defaults: Django 5.0+
        ) -> Tuple[_M, bool]: ...
        async def abulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> List[_M]: ...
        async def ain_bulk(self, *args: Any, **kwargs: Any) -> Dict[Any, _M]: ...
        async def aupdate(self, **kwargs: Any) -> int: ...
        async def aearliest(self, *fields: Any) -> _M: ...
        async def alatest(self, *fields: Any) -> _M: ...
        async def aaggregate(self, *args: Any, **kwargs: Any) -> Dict[str, Any]: ...
        def aiterator(self, chunk_size: int = 2000) -> AsyncIterator[_M]: ...

    class AsyncQuerySet(_AsyncNames[_M], QuerySet[_M]):
        """A QuerySet with the async names, for type checkers."""

        async def adelete(self) -> Tuple[int, Dict[str, int]]: ...
        def __aiter__(self) -> AsyncIterator[_M]: ...

    class AsyncManager(_AsyncNames[_M], Manager[_M]):
        """A Manager with the async names, whose QuerySets have them too, for type checkers."""

        def get_queryset(self) -> AsyncQuerySet[_M]: ...
        def all(self) -> AsyncQuerySet[_M]: ...
        def filter(self, *args: Any, **kwargs: Any) -> AsyncQuerySet[_M]: ...
        def exclude(self, *args: Any, **kwargs: Any) -> AsyncQuerySet[_M]: ...
        def order_by(self, *field_names: Any) -> AsyncQuerySet[_M]: ...
        def select_related(self, *fields: Any) -> AsyncQuerySet[_M]: ...
        def prefetch_related(self, *lookups: Any) -> AsyncQuerySet[_M]: ...
        def using(self, alias: Optional[str]) -> AsyncQuerySet[_M]: ...
        def none(self) -> AsyncQuerySet[_M]: ...

    class AsyncModelMixin:
        """Django 4.2's async Model methods, for type checkers."""

        async def asave(self, *args: Any, **kwargs: Any) -> None: ...
        async def adelete(self, *args: Any, **kwargs: Any) -> Tuple[int, Dict[str, int]]: ...
        async def arefresh_from_db(self, *args: Any, **kwargs: Any) -> None: ...

else:

    class AsyncQuerySet(QuerySet):
        """A QuerySet whose async names type checkers see (at run time: QuerySet's)."""

        def __class_getitem__(cls, model):
            # AsyncQuerySet["Book"]: Django < 3.1's QuerySet is not subscriptable.
            return cls

    class AsyncManager(Manager):
        """A Manager whose async names type checkers see (at run time: Manager's)."""

        def __class_getitem__(cls, model):
            # AsyncManager["Book"]() names the model for type checkers on every Django.
            return cls

    class AsyncModelMixin:
        """Django 4.2's async Model methods for type checkers (at run time: Model's)."""


#: QuerySet methods Django 4.1 added, by the sync method each wraps.
QUERYSET_METHODS = [
    "get",
    "create",
    "first",
    "last",
    "count",
    "exists",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "in_bulk",
    "update",
    "delete",
    "earliest",
    "latest",
    "aggregate",
]
#: Model methods Django 4.2 added.
MODEL_METHODS = ["save", "delete", "refresh_from_db"]


def _wrapping(name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
    async def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return await run_sync(getattr(self, name), *args, **kwargs)

    method.__name__ = method.__qualname__ = "a" + name
    method.__doc__ = "Async version of %s(), run off the event loop." % name
    return method


def _take(iterator: Any, size: int) -> List[Any]:
    chunk = []
    for item in iterator:
        chunk.append(item)
        if len(chunk) >= size:
            break
    return chunk


async def aiterator(self: Any, chunk_size: int = 2000) -> AsyncIterator[Any]:
    """Async version of iterator(): rows fetched in chunks off the event loop."""
    iterator = iter(self.iterator())
    while True:
        chunk = await run_sync(_take, iterator, chunk_size)
        if not chunk:
            return
        for item in chunk:
            yield item


def __aiter__(self: Any) -> AsyncIterator[Any]:
    async def rows() -> AsyncIterator[Any]:
        await run_sync(self._fetch_all)
        for item in self._result_cache:
            yield item

    return rows()


def _manager_method(name: str) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.get_queryset(), name)(*args, **kwargs)

    method.__name__ = method.__qualname__ = name
    return method


def install() -> List[str]:
    """Add the missing async methods. Idempotent; returns the names added."""
    added = []

    def add(cls: type, name: str, func: Callable[..., Any]) -> None:
        if not hasattr(cls, name):
            setattr(cls, name, func)
            added.append("%s.%s" % (cls.__name__, name))

    for name in QUERYSET_METHODS:
        add(QuerySet, "a" + name, _wrapping(name))
    add(QuerySet, "aiterator", aiterator)
    add(QuerySet, "__aiter__", __aiter__)
    for name in QUERYSET_METHODS + ["iterator"]:
        add(BaseManager, "a" + name, _manager_method("a" + name))
    for name in MODEL_METHODS:
        add(Model, "a" + name, _wrapping(name))
    return added
