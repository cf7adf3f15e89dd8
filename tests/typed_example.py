"""The public API used as a project uses it, checked by mypy in the lint step.

Never imported or run (pytest collects test_*.py only): each ``assert_type``
is a claim about an annotation, and a wrong annotation fails the lint step.
"""

import asyncio
from typing import List, Optional, Tuple

from django.db import models
from django.http import HttpRequest, HttpResponse
from typing_extensions import assert_type

from async_legacy import conf, get_application, get_asgi_application, sync_to_async
from async_legacy.auth import auser
from async_legacy.body import load_body
from async_legacy.decorators import cache_page, condition, login_required, never_cache, require_GET, vary_on_headers
from async_legacy.orm import AsyncManager, AsyncModelMixin, AsyncQuerySet
from async_legacy.tasks import drain, pending, spawn
from async_legacy.test import AsyncClient, TestCase


class Book(AsyncModelMixin, models.Model):
    title: "models.CharField[str, str]" = models.CharField(max_length=100)
    # How a project opts in: the async names on every Django, for type checkers.
    objects = AsyncManager["Book"]()

    class Meta:
        app_label = "typed_example"


async def smoke(order: int) -> str:
    await asyncio.sleep(0)
    return "smoked %d" % order


def shout(text: str) -> str:
    return text.upper()


def latest_etag(request: HttpRequest, pk: int) -> Optional[str]:
    return None


@never_cache
@login_required
@require_GET
@vary_on_headers("Accept-Language")
@cache_page(60)
@condition(etag_func=latest_etag)
async def book_view(request: HttpRequest, pk: int) -> HttpResponse:
    book = await Book.objects.aget(pk=pk)
    assert_type(book, Book)
    assert_type(await Book.objects.filter(title="x").afirst(), Optional[Book])
    assert_type(await Book.objects.acount(), int)
    assert_type(await Book.objects.aget_or_create(title="x"), Tuple[Book, bool])
    assert_type(Book.objects.exclude(title="y"), AsyncQuerySet[Book])
    async for other in Book.objects.filter(title="x"):
        assert_type(other, Book)
    async for row in Book.objects.aiterator(chunk_size=100):
        assert_type(row, Book)
    await book.asave()
    await book.arefresh_from_db()
    task = spawn(smoke(book.pk), name="smoke")
    assert_type(task, "asyncio.Future[str]")
    assert_type(pending(), List[str])
    await auser(request)
    await load_body(request)
    title = await sync_to_async(shout)(book.title)
    return HttpResponse(title)


async def call_view(request: HttpRequest) -> None:
    # The decorators keep the view's type (a coroutine function stays one).
    assert_type(await book_view(request, 1), HttpResponse)


async def shutdown() -> None:
    await drain(5.0)


application = get_application()
asgi_application = get_asgi_application()
threads = conf.get("ASYNC_LEGACY_THREADS")


class BookTests(TestCase):
    async def test_book(self) -> None:
        response = await AsyncClient().get("/books/1/", ACCEPT_LANGUAGE="de")
        assert_type(response.status_code, int)
        response = await self.async_client.post("/books/", {"title": "x"})
        self.assertEqual(response.status_code, 302)
