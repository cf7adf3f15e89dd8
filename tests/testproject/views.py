import asyncio
import threading
import types

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.files.uploadhandler import FileUploadHandler
from django.db import connection, transaction
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import get_urlconf
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django.views.generic import View

from async_legacy.body import load_body

from .middleware import record


def _behave(request):
    """Shared behaviour of the sync and async variants, driven by ?what=."""
    what = request.GET.get("what", "ok")
    if what == "404":
        raise Http404("no such thing")
    if what == "403":
        raise PermissionDenied("not yours")
    if what == "400":
        raise SuspiciousOperation("fishy")
    if what == "500":
        raise ZeroDivisionError("division by zero in view")
    if what == "none":
        return None
    if what == "template":
        return TemplateResponse(request, "hello.html", {"name": "view", "lang": "en"})
    return HttpResponse("ok from %s" % request.path)


def sync_view(request):
    record("sync-view")
    return _behave(request)


async def async_view(request):
    record("async-view")
    await asyncio.sleep(0)
    return _behave(request)


async def hello(request):
    await asyncio.sleep(float(request.GET.get("s", 0)))
    return HttpResponse("hello")


async def returns_dict(request):
    return {"not": "a response"}


def sync_returns_coroutine(request):
    return hello(request)


@types.coroutine
def generator_coroutine(request):
    yield from asyncio.sleep(0).__await__()
    return HttpResponse("generator-based")


@login_required
async def protected(request):
    return HttpResponse("hi %s" % request.user.username)


@require_http_methods(["POST"])
@csrf_exempt
async def post_only(request):
    return HttpResponse("posted %s" % request.POST.get("x", ""))


class RecordingUploadHandler(FileUploadHandler):
    """Set by the view before the body is parsed (Django's upload-progress pattern)."""

    def receive_data_chunk(self, raw_data, start):
        self.request.seen_by_handler = getattr(self.request, "seen_by_handler", 0) + len(raw_data)
        return raw_data

    def file_complete(self, file_size):
        return None


@csrf_exempt
async def upload(request):
    """?handler=1 adds an upload handler first; ?read=0 never reads the body;
    ?load=1 awaits load_body() (parse on the lane) before reading."""
    if request.GET.get("handler"):
        request.upload_handlers.insert(0, RecordingUploadHandler(request))
    if request.GET.get("read") == "0":
        return HttpResponse("unread")
    if request.GET.get("load"):
        await load_body(request)
    files = request.FILES
    if request.GET.get("handler"):
        return HttpResponse("handler saw %d bytes" % getattr(request, "seen_by_handler", 0))
    return HttpResponse(
        "fields=%d files=%s sizes=%s"
        % (len(request.POST), ",".join(sorted(files)), ",".join(str(f.size) for _, f in sorted(files.items())))
    )


class AsyncCBV(View):
    async def get(self, request):
        await asyncio.sleep(0)
        return HttpResponse("cbv get")

    async def post(self, request):
        return HttpResponse("cbv post %s" % request.POST.get("x"))


class MixedCBV(View):
    def get(self, request):
        return HttpResponse("sync get on %s" % threading.current_thread().name)

    async def post(self, request):
        return HttpResponse("async post")


class LoggedInCBV(View):
    def dispatch(self, request, *args, **kwargs):
        # A mixin-style dispatch: it runs sync checks, then returns the coroutine.
        if request.GET.get("deny"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    async def get(self, request):
        return HttpResponse("dispatched")


async def stream_async(request):
    async def chunks():
        for i in range(3):
            await asyncio.sleep(0.01)
            yield "chunk%d;" % i

    return StreamingHttpResponse(chunks())


def stream_sync(request):
    def chunks():
        for i in range(3):
            yield "sync%d@%s;" % (i, threading.current_thread().name.split("-")[0])

    return StreamingHttpResponse(chunks())


async def file_view(request):
    return FileResponse(open(__file__, "rb"))


async def locale_view(request):
    """Activates per-request state, awaits, and reports what it sees."""
    lang = request.GET["lang"]
    tz = request.GET["tz"]
    translation.activate(lang)
    timezone.activate(tz)
    for _ in range(3):
        await asyncio.sleep(0.001 * (hash(lang) % 3))
    return HttpResponse(
        "%s|%s|%s|%s" % (translation.get_language(), timezone.get_current_timezone_name(), get_urlconf(), request.path)
    )


@transaction.atomic
async def atomic_decorated(request):
    return HttpResponse("never")


@transaction.non_atomic_requests
async def non_atomic(request):
    return HttpResponse("non-atomic ok")


def sync_db(request):
    from django.contrib.auth.models import User

    return HttpResponse("users=%d thread=%d" % (User.objects.count(), threading.get_ident()))


async def async_session(request):
    # Touches the session only through the lane-aware middleware hooks.
    request.session["n"] = 1  # marks it modified: the save runs on the lane
    return HttpResponse("session set")


async def slow(request):
    record("slow:started")
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        record("slow:cancelled")
        raise
    return HttpResponse("slow done")


def thread_name(request):
    return HttpResponse(threading.current_thread().name)


async def get_connection_thread(request):
    return HttpResponse(str(connection.connection is None))


@csrf_exempt
async def webob_view(request):
    await asyncio.sleep(0)
    webob = request.webob
    return HttpResponse(
        "webob=%s path=%s q=%s name=%s django-post=%s"
        % (type(request).__name__, webob.path_info, webob.GET["q"], webob.POST["name"], request.POST["name"])
    )


async def current_language(request):
    # Activated on the loop, rendered on the lane: the language must be the same there.
    translation.activate(request.GET["lang"])
    return TemplateResponse(request, "language.html", {})


async def nested_request(request):
    """Makes a request of its own through the test client, then needs its lane."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Django's own client on 3.1+
        from async_legacy.test import AsyncClient

    inner = await AsyncClient().get("/hello/")
    if request.GET.get("fail"):
        raise Http404("outer view failed after an inner request answered %d" % inner.status_code)
    return TemplateResponse(request, "hello.html", {"name": "outer", "lang": inner.content.decode()})
