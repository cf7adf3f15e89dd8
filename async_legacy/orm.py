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
"""
from django.db.models import Model
from django.db.models.manager import BaseManager
from django.db.models.query import QuerySet

from .lane import run_sync

#: QuerySet methods Django 4.1 added, by the sync method each wraps.
QUERYSET_METHODS = [
    "get", "create", "first", "last", "count", "exists", "get_or_create", "update_or_create",
    "bulk_create", "in_bulk", "update", "delete", "earliest", "latest", "aggregate",
]
#: Model methods Django 4.2 added.
MODEL_METHODS = ["save", "delete", "refresh_from_db"]


def _wrapping(name):
    async def method(self, *args, **kwargs):
        return await run_sync(getattr(self, name), *args, **kwargs)

    method.__name__ = method.__qualname__ = "a" + name
    method.__doc__ = "Async version of %s(), run off the event loop." % name
    return method


def _take(iterator, size):
    chunk = []
    for item in iterator:
        chunk.append(item)
        if len(chunk) >= size:
            break
    return chunk


async def aiterator(self, chunk_size=2000):
    """Async version of iterator(): rows fetched in chunks off the event loop."""
    iterator = iter(self.iterator())
    while True:
        chunk = await run_sync(_take, iterator, chunk_size)
        if not chunk:
            return
        for item in chunk:
            yield item


def __aiter__(self):
    async def rows():
        await run_sync(self._fetch_all)
        for item in self._result_cache:
            yield item

    return rows()


def _manager_method(name):
    def method(self, *args, **kwargs):
        return getattr(self.get_queryset(), name)(*args, **kwargs)

    method.__name__ = method.__qualname__ = name
    return method


def install():
    """Add the missing async methods. Idempotent; returns the names added."""
    added = []

    def add(cls, name, func):
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
