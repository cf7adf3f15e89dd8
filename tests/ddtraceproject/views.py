import asyncio
import time

from asgiref.sync import sync_to_async
from django.db import connection
from django.template.response import TemplateResponse

#: Long enough for concurrent requests to overlap.
PAUSE = 0.05


def _query():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 42")
        return cursor.fetchone()[0]


def sync_page(request):
    time.sleep(PAUSE)
    return TemplateResponse(request, "page.html", {"answer": _query()})


async def async_page(request):
    await asyncio.sleep(PAUSE)
    answer = await sync_to_async(_query)()
    return TemplateResponse(request, "page.html", {"answer": answer})


def sync_fail(request):
    raise RuntimeError("sync failure")


async def async_fail(request):
    await asyncio.sleep(0)
    raise RuntimeError("async failure")
