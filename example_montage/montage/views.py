"""example_montage's views: async and sync side by side, on any Django."""

import asyncio
import time

from django import forms
from django.contrib import messages
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse

from async_legacy.auth import auser
from async_legacy.decorators import login_required, never_cache
from async_legacy.tasks import spawn


def index(request):
    return render(request, "montage/index.html")


async def hello_world(request):
    """The seed's view: one second of waiting that holds no thread."""
    await asyncio.sleep(1)
    return HttpResponse("Hello, async world!\n")


async def hello_async(request):
    return HttpResponse("Hello, world!")


def hello_sync(request):
    return HttpResponse("Hello, world!")


async def sleep_async(request):
    await asyncio.sleep(float(request.GET.get("s", 1)))
    return HttpResponse("slept")


def sleep_sync(request):
    time.sleep(float(request.GET.get("s", 1)))
    return HttpResponse("slept")


async def docs_stack(request):
    """One second of waiting, then a TemplateResponse (MONTAGE_STACK=docs: through
    the docs' class and function middleware)."""
    await asyncio.sleep(1)
    return TemplateResponse(
        request,
        "montage/docs_stack.html",
        {"request_id": getattr(request, "request_id", "-"), "view": getattr(request, "view_name", "-")},
    )


async def sleep_blocking(request):
    """The classic mistake: a blocking call in a coroutine view stalls every request.

    With DEBUG on, async_legacy's blocking detector logs a warning naming it.
    """
    time.sleep(float(request.GET.get("s", 1)))
    return HttpResponse("slept, and everybody waited")


async def upstream(request, name):
    """Stands in for a slow upstream API."""
    delay = float(request.GET.get("delay", 0.5))
    await asyncio.sleep(delay)
    return JsonResponse({"name": name, "delay": delay})


async def call_upstreams(request):
    """Three upstream calls at once: takes as long as the slowest. Returns the results and the time."""
    import aiohttp

    base = "%s://%s" % (request.scheme, request.get_host())
    delay = request.GET.get("delay", "0.5")
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:

        async def fetch(name):
            async with session.get("%s/upstream/%s/?delay=%s" % (base, name, delay)) as response:
                return await response.json()

        results = await asyncio.gather(fetch("weather"), fetch("news"), fetch("stocks"))
    return {"results": results, "elapsed": round(time.monotonic() - started, 3)}


@never_cache
async def fanout(request):
    """Three upstream calls at once: the page takes as long as the slowest."""
    return JsonResponse(await call_upstreams(request))


class GuestbookForm(forms.Form):
    name = forms.CharField(max_length=40)


def guestbook(request):
    entries = request.session.get("guestbook", [])
    if request.method == "POST":
        form = GuestbookForm(request.POST)
        if form.is_valid():
            request.session["guestbook"] = entries + [form.cleaned_data["name"]]
            messages.success(request, "Signed by %s." % form.cleaned_data["name"])
            return redirect("guestbook")
    else:
        form = GuestbookForm()
    return render(request, "montage/guestbook.html", {"form": form, "entries": entries})


def stream(request):
    def lines():
        for i in range(5):
            time.sleep(0.05)
            yield "line %d\n" % i

    return StreamingHttpResponse(lines(), content_type="text/plain")


@login_required
async def whoami(request):
    # The user is loaded off the event loop, on every Django.
    user = await auser(request)
    return HttpResponse("You are %s.\n" % user.get_username())


@login_required
def whoami_sync(request):
    return HttpResponse("You are %s.\n" % request.user.get_username())


async def poll(request):
    """A long poll: one database read, then a wait that holds no thread."""
    from django.contrib.auth.models import User

    users = await User.objects.acount()
    await asyncio.sleep(float(request.GET.get("s", 1)))
    return JsonResponse({"users": users})


async def sync_work(request):
    """Blocking work the way tutorials teach it: asgiref's sync_to_async."""
    from asgiref.sync import sync_to_async

    await sync_to_async(time.sleep)(float(request.GET.get("s", 0.2)))
    return HttpResponse("worked")


async def smoke_meats(order, seconds):
    """The seed's background job: outlives the response that started it."""
    await asyncio.sleep(seconds)
    if order == "burnt":
        raise RuntimeError("order %s burnt in the smoker" % order)
    print("order %s smoked after %.1f s" % (order, seconds), flush=True)


async def smoke(request):
    order = request.GET.get("order", "brisket")
    spawn(smoke_meats(order, float(request.GET.get("s", 2))), name="smoke-meats:%s" % order)
    return HttpResponse("Order %s is in the smoker.\n" % order)


async def boom(request):
    await asyncio.sleep(0)
    raise RuntimeError("example_montage exploded on purpose")
