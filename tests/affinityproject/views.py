"""Coroutine views (and one sync view) of the thread-affinity tests."""

import asyncio
import logging
import threading

from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import get_language

from async_legacy import sync_to_async

from . import middleware
from .models import Note

logger = logging.getLogger("affinityproject")


async def page(request):
    """Test 1: waits half a second, then a template response (rendered on a thread)."""
    await asyncio.sleep(0.5)
    return TemplateResponse(request, "affinity/page.html", {"who": middleware.user_of(request), "lang": get_language()})


def _read_local():
    return middleware.user_of(middleware.current_request()), threading.get_ident()


async def whoami(request):
    """Test 2: after an await, sync code reads the request kept in a threading.local."""
    await asyncio.sleep(0.05)
    found, thread = await sync_to_async(_read_local)()
    response = HttpResponse(found, content_type="text/plain")
    response["X-Sync-Found"] = found
    response["X-Thread-Sync"] = str(thread)
    return response


def _history_user(pk):
    row = Note.history.filter(id=pk).order_by("-history_id")[0]
    user = row.history_user
    return user.get_username() if user is not None else "None"


def _save_note(text):
    note = Note.objects.create(text=text)
    return note.pk, _history_user(note.pk), threading.get_ident()


async def save_note(request):
    """Test 3: saves a model with HistoricalRecords through sync_to_async."""
    await asyncio.sleep(0.05)
    pk, user, thread = await sync_to_async(_save_note)(request.META["HTTP_X_NOTE"])
    response = HttpResponse(user, content_type="text/plain")
    response["X-History-User"] = user
    response["X-Thread-Sync"] = str(thread)
    return response


async def save_note_orm(request):
    """Test 3: the same with the async ORM names (async_legacy.orm on old Django)."""
    await asyncio.sleep(0.05)
    note = await Note.objects.acreate(text=request.META["HTTP_X_NOTE"])
    user = await sync_to_async(_history_user)(note.pk)
    response = HttpResponse(user, content_type="text/plain")
    response["X-History-User"] = user
    return response


async def var_async(request):
    """Test 4: a coroutine view under ContextVarMiddleware; answers the value it sees."""
    await asyncio.sleep(0.05)
    return HttpResponse(middleware.VAR.get("unset"), content_type="text/plain")


def var_sync(request):
    """Test 4: a sync view under ContextVarMiddleware."""
    return HttpResponse(middleware.VAR.get("unset"), content_type="text/plain")


HTML = "<html><body>logged %s</body></html>"


def _log(message):
    logger.warning(message)
    return threading.get_ident()


async def log_sync(request):
    """Test 5: a message logged from sync code (sync_to_async) of a coroutine view."""
    await asyncio.sleep(0.05)
    message = "sync-%s" % middleware.user_of(request)
    thread = await sync_to_async(_log)(message)
    response = HttpResponse(HTML % message)
    response["X-Thread-Log"] = str(thread)
    return response


async def log_loop(request):
    """Test 5: a message logged directly in the coroutine (on the event loop's thread)."""
    await asyncio.sleep(0.05)
    message = "loop-%s" % middleware.user_of(request)
    response = HttpResponse(HTML % message)
    response["X-Thread-Log"] = str(_log(message))
    return response
