"""Views that do blocking work the ways async tutorials teach, for the lane tests."""

import asyncio
import threading
import time

from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection
from django.http import JsonResponse

import async_legacy
from async_legacy.lane import run_sync

from . import gates

#: Peak number of sync_to_async calls running at once (reset by the tests).
ACTIVE = {"now": 0, "peak": 0}
#: A threading.Barrier the tests may put here: ``_sleep`` then waits at it
#: instead of sleeping (the calls that meet there ran at once).
MEET = {"barrier": None}
_lock = threading.Lock()


def _thread():
    return {"name": threading.current_thread().name, "ident": threading.get_ident()}


def _sleep(seconds):
    with _lock:
        ACTIVE["now"] += 1
        ACTIVE["peak"] = max(ACTIVE["peak"], ACTIVE["now"])
    try:
        barrier = MEET["barrier"]
        if barrier is None:
            time.sleep(seconds)
        else:
            barrier.wait()
        return _thread()
    finally:
        with _lock:
            ACTIVE["now"] -= 1


async def s2a_sleep(request):
    """The tutorial pattern: 0.2 s of sync work through thread-sensitive sync_to_async."""
    return JsonResponse(await sync_to_async(_sleep)(float(request.GET.get("s", 0.2))))


async def _helper():
    # An async helper the view awaits, itself calling sync_to_async.
    return await async_legacy.sync_to_async(_thread)()


def _connection_id():
    # The request's DB connection is the one of the thread the query runs on.
    connection.ensure_connection()
    return id(connection.connection)


async def s2a_same_thread(request):
    """sync_to_async, the ORM names, a helper and gathered tasks: one thread, one connection."""
    from django.contrib.auth.models import User

    first = await sync_to_async(_thread)()
    await User.objects.acount()
    orm = await run_sync(_thread)
    helper = await _helper()
    gathered = await asyncio.gather(sync_to_async(_thread)(), sync_to_async(_thread)())
    conns = {await sync_to_async(_connection_id)(), await run_sync(_connection_id)}
    unsensitive = await sync_to_async(_thread, thread_sensitive=False)()
    return JsonResponse(
        {
            "lane": [first, orm, helper] + list(gathered),
            "connections": len(conns),
            "unsensitive": unsensitive,
        }
    )


def _back_to_the_loop():
    from django.contrib.auth.models import User

    async def on_the_loop():
        here = _thread()
        nested = await sync_to_async(_thread)()
        users = await User.objects.acount()
        return {"loop": here, "nested": nested, "users": users}

    result = async_to_sync(on_the_loop)()
    result["caller"] = _thread()
    return result


async def async_to_sync_inside(request):
    """async_to_sync from sync_to_async code gets back to the request's loop."""
    result = await asyncio.wait_for(sync_to_async(_back_to_the_loop)(), 10)
    result["view"] = _thread()
    return JsonResponse(result)


async def poll(request):
    """A long poll: one database read, then a wait that must hold no thread."""
    from django.contrib.auth.models import User

    users = await User.objects.acount()
    await asyncio.sleep(float(request.GET.get("s", 0.3)))
    return JsonResponse({"users": users})


async def gated_poll(request):
    """A long poll: one database read, then a wait at the test's gate ?key= that must hold no thread."""
    from django.contrib.auth.models import User

    users = await User.objects.acount()
    await gates.wait(request.GET["key"])
    return JsonResponse({"users": users})


async def burst(request):
    """Blocking steps with only quick awaits between them."""
    from django.contrib.auth.models import User

    steps = []
    for _ in range(3):
        await User.objects.acount()
        steps.append(await run_sync(_thread))
        await asyncio.sleep(0)
    return JsonResponse({"steps": steps})


async def language(request):
    from django.http import HttpResponse

    return HttpResponse(request.LANGUAGE_CODE)


async def s2a_count(request):
    from django.contrib.auth.models import User
    from django.http import HttpResponse

    return HttpResponse("users=%d" % await sync_to_async(User.objects.count)())


def _backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


async def pg_burst(request):
    """ORM steps, raw SQL through sync_to_async and the ORM names, quick awaits between."""
    from django.contrib.auth.models import User

    pids = []
    for _ in range(3):
        await User.objects.acount()
        pids.append(await sync_to_async(_backend_pid)())
        await asyncio.sleep(0)
        pids.append(await run_sync(_backend_pid))
    return JsonResponse({"pids": pids})


def _local_request_user():
    from testproject.middleware import REQUEST_LOCAL

    request = getattr(REQUEST_LOCAL, "request", None)
    return (None if request is None else request.META.get("HTTP_X_USER")), threading.get_ident()


async def template_after_wait(request):
    """Waits, then reads the request kept in a thread-local from sync code and
    answers with a TemplateResponse (rendered on the request's thread)."""
    from django.template.response import TemplateResponse

    await asyncio.sleep(float(request.GET.get("s", 0.2)))
    user, ident = await sync_to_async(_local_request_user)()
    response = TemplateResponse(request, "hello.html", {"name": user, "lang": "en"})
    response["X-Local-User"] = str(user)
    response["X-Sync-Thread"] = str(ident)
    return response


async def async_render(request):
    """A response whose render() is a coroutine function (awaited, as Django >= 3.1 does)."""
    from django.http import HttpResponse

    class AsyncRendered(HttpResponse):
        async def render(self):
            await asyncio.sleep(0)
            self.content = b"rendered by a coroutine"
            return self

    return AsyncRendered("not rendered")


#: Requests inside ``spin`` now and at most at once (reset by the admission tests).
SPINNING = {"now": 0, "peak": 0}


def spin(request):
    """A sync view that only computes for ``ms`` milliseconds of its thread's CPU."""
    with _lock:
        SPINNING["now"] += 1
        SPINNING["peak"] = max(SPINNING["peak"], SPINNING["now"])
    entered = time.monotonic()
    try:
        end = time.thread_time() + int(request.GET.get("ms", "20")) / 1000.0
        while time.thread_time() < end:
            sum(range(200))
    finally:
        with _lock:
            SPINNING["now"] -= 1
    return JsonResponse({"entered": entered})


async def nap(request):
    """A coroutine view waiting out ``ms`` milliseconds on a timer."""
    await asyncio.sleep(int(request.GET.get("ms", "100")) / 1000.0)
    return JsonResponse({})


def blocked(request):
    """A sync view blocked ``ms`` milliseconds in I/O (a slow upstream call)."""
    time.sleep(int(request.GET.get("ms", "100")) / 1000.0)
    return JsonResponse({})
