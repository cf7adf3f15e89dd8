import asyncio
import logging
import time

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import HttpResponse
from django.template.response import TemplateResponse

from async_legacy.tasks import spawn

logger = logging.getLogger("sentryproject")


def _client(request):
    return request.META.get("HTTP_X_CLIENT", "none")


def sync_fail(request):
    time.sleep(0.05)  # the other requests run meanwhile
    logger.info("failing for client %s", _client(request))
    raise RuntimeError("sync failure of client %s" % _client(request))


async def async_fail(request):
    await asyncio.sleep(0.05)
    logger.info("failing for client %s", _client(request))
    raise RuntimeError("async failure of client %s" % _client(request))


def _query():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 42")
        return cursor.fetchone()[0]


def sync_page(request):
    return TemplateResponse(request, "page.html", {"answer": _query()})


async def async_page(request):
    answer = await sync_to_async(_query)()
    return TemplateResponse(request, "page.html", {"answer": answer})


async def _fail_later(client):
    await asyncio.sleep(0.01)
    raise RuntimeError("background failure of client %s" % client)


async def async_spawn_fail(request):
    spawn(_fail_later(_client(request)))
    return HttpResponse("spawned")
