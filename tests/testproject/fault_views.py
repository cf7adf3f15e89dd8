"""Views for the fault, database and proxy tests (test-only: census reports
the serving process's threads, tasks and file descriptors)."""

import asyncio
import hashlib
import json
import os
import threading

import django
from django.db import transaction
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone, translation

from async_legacy.auth import auser
from async_legacy.compat import NATIVE_ASYNC
from async_legacy.decorators import csrf_exempt  # async-aware on every Django

#: Django 3.1/3.2's ASGI handler iterates streaming responses synchronously
#: (async iterators came in 4.2): streams there are sync and not paced.
SYNC_STREAMS_ONLY = NATIVE_ASYNC and django.VERSION < (4, 2)

#: Coroutine views cancelled so far in this process (client went away).
CANCELLED = {"count": 0}


def _record(name, request):
    state = os.environ.get("SERVERAPPS_STATE")  # tests/gunicorn_helpers: a file any worker appends to
    if state:
        with open(os.path.join(state, name), "a") as f:
            f.write(request.path + "\n")


def _cancelled(request):
    CANCELLED["count"] += 1
    _record("cancelled", request)


def _lane_pool():
    try:
        from async_legacy.lane import current_lane
    except ImportError:
        return None, False
    lane = current_lane.get()
    if lane is None:
        return None, False
    return lane._pool, lane.used


async def census(request):
    """What the process holds right now. Lanes busy leaves this request's own out."""
    if request.GET.get("gc"):
        import gc

        gc.collect()
    pool, own = _lane_pool()
    names = [t.name for t in threading.enumerate()]
    pools = ("async_legacy-lane-", "asyncio_")  # the lanes; the loop's default executor
    return JsonResponse(
        {
            "pid": os.getpid(),
            "threads": len(names),
            "lane_threads": sum(1 for n in names if n.startswith(pools[0])),
            "default_executor_threads": sum(1 for n in names if n.startswith(pools[1])),
            "default_executor_size": min(32, (os.cpu_count() or 1) + 4),  # ThreadPoolExecutor's default
            "other_threads": sorted(n for n in names if not n.startswith(pools)),
            "tasks": len(asyncio_all_tasks()) - 1,  # not this request's task
            "fds": len(os.listdir("/proc/self/fd")) - 1,  # not listdir's own
            "lanes_busy": None if pool is None else pool.busy - (1 if own else 0),
            "lanes_size": None if pool is None else pool.size,
            "cancelled": CANCELLED["count"],
        }
    )


def asyncio_all_tasks():
    return asyncio.all_tasks() if hasattr(asyncio, "all_tasks") else asyncio.Task.all_tasks()


async def forwarded(request):
    """What the app learns about the client through a proxy."""
    return JsonResponse(
        {
            "scheme": request.scheme,
            "secure": request.is_secure(),
            "forwarded_for": request.META.get("HTTP_X_FORWARDED_FOR"),
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "host": request.get_host(),
        }
    )


async def raises(request):
    await asyncio.sleep(0)
    raise ZeroDivisionError("raised on purpose by the fault tests")


def sync_raises(request):
    raise ValueError("raised on purpose by the fault tests")


@csrf_exempt
async def upload(request):
    """Size and sha256 of the raw body (a slow upload must arrive whole).
    Read as a stream: request.body stops at DATA_UPLOAD_MAX_MEMORY_SIZE."""
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: request.read(64 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    return HttpResponse("%d %s" % (size, digest.hexdigest()))


async def _noted(name, count, seconds=30.0):
    """Until the test wrote ``count`` lines in the state file ``name`` (Gunicorn.note)."""
    path = os.path.join(os.environ.get("SERVERAPPS_STATE", "/tmp"), name)
    for _ in range(int(seconds / 0.02)):
        if os.path.exists(path):
            with open(path) as f:
                if len(f.read().split()) >= count:
                    return
        await asyncio.sleep(0.02)


async def stream(request):
    """?n= chunks, one every ?delay= seconds (Server-Sent Events with ?sse=1);
    with ?gate=name, chunk i once the test noted i lines in that state file."""
    n = int(request.GET.get("n", 3))
    delay = float(request.GET.get("delay", 0.01))
    sse = request.GET.get("sse")
    gate = request.GET.get("gate")

    async def events():
        try:
            for i in range(n):
                if i and gate:
                    await _noted(gate, i)
                elif i:
                    await asyncio.sleep(delay)
                yield ("data: event %d\n\n" % i) if sse else ("chunk %d\n" % i)
        except asyncio.CancelledError:
            _cancelled(request)
            raise

    def sync_events():
        for i in range(n):
            yield ("data: event %d\n\n" % i) if sse else ("chunk %d\n" % i)

    content = sync_events() if SYNC_STREAMS_ONLY else events()
    response = StreamingHttpResponse(content, content_type="text/event-stream" if sse else "text/plain")
    # nginx buffers proxied responses unless told otherwise (README, deployment).
    response["X-Accel-Buffering"] = "no"
    response["Cache-Control"] = "no-cache"
    return response


async def poll(request):
    """A long poll: answers after ?s= seconds; counts starts and cancellations."""
    _record("polls", request)
    try:
        await asyncio.sleep(float(request.GET.get("s", 1)))
    except asyncio.CancelledError:
        _cancelled(request)
        raise
    return HttpResponse("polled")


async def block(request):
    """Blocks the event loop (a bug this view has on purpose): the arbiter's
    timeout must replace the worker. Notes when the loop stopped (blocked-at)."""
    import time

    state = os.environ.get("SERVERAPPS_STATE")
    if state:
        with open(os.path.join(state, "blocked-at"), "a") as f:
            f.write("%f\n" % time.time())
    time.sleep(float(request.GET.get("s", 1)))
    return HttpResponse("blocked")


def _user_model():
    from django.contrib.auth.models import User

    return User


def sync_orm(request):
    """Sync view: a write in a transaction, a read, optionally an error inside the transaction."""
    User = _user_model()
    with transaction.atomic():
        count = User.objects.count()
        if request.GET.get("fail"):
            raise ValueError("failed inside a transaction on purpose")
    return HttpResponse("users=%d" % count)


async def async_orm(request):
    """Coroutine view with ORM calls on the lane (or Django's thread), then an await."""
    User = _user_model()
    count = await User.objects.acount()
    await asyncio.sleep(float(request.GET.get("s", 0)))
    if request.GET.get("fail"):
        raise ValueError("failed after an ORM call on purpose")
    exists = await User.objects.filter(username="nobody").aexists()
    return HttpResponse("users=%d exists=%s" % (count, exists))


def stream_orm(request):
    """Sync streaming response whose chunks query the database."""
    User = _user_model()
    n = int(request.GET.get("n", 3))

    def chunks():
        for i in range(n):
            yield "chunk %d users=%d\n" % (i, User.objects.count())

    return StreamingHttpResponse(chunks())


async def isolation(request):
    """Activates this request's language and timezone, awaits in between, and
    reports what it sees: language, timezone, urlconf, script prefix, user."""
    lang = request.GET["lang"]
    tz = request.GET["tz"]
    translation.activate(lang)
    timezone.activate(tz)
    user = await auser(request)
    seen = []
    for i in range(3):
        await asyncio.sleep(0.001 * ((int(request.GET["i"]) + i) % 4))
        seen.append(
            [
                translation.get_language(),
                timezone.get_current_timezone_name(),
                get_urlconf(),
                get_script_prefix(),
                user.get_username() if user.is_authenticated else "",
            ]
        )
    return HttpResponse(json.dumps({"i": request.GET["i"], "seen": seen}), content_type="application/json")


@csrf_exempt
async def login(request):
    """Logs in ?user= (creating it) and returns the session cookie."""
    from django.contrib.auth import login as django_login

    User = _user_model()
    name = request.GET["user"]
    user = await _run_sync(lambda: User.objects.get_or_create(username=name)[0])
    await _run_sync(lambda: django_login(request, user, backend="django.contrib.auth.backends.ModelBackend"))
    return HttpResponse("logged in %s" % name)


async def _run_sync(func):
    from asgiref.sync import sync_to_async

    from async_legacy.lane import current_lane

    lane = current_lane.get() if current_lane is not None else None
    if lane is not None:
        return await lane.run(func)
    return await sync_to_async(func)()
