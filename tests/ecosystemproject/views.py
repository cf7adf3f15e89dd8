"""The two views every package sees: the same page from a sync view and from
a coroutine view (one database query, one template). ``?tag=`` goes into the
query (the tests tell concurrent requests apart by it), ``?wait=`` seconds
are slept first (so that concurrent requests overlap). ``boom_*`` raise."""

import asyncio
import json
import time

from django.contrib.auth.models import User
from django.http import HttpResponse
from django.template.response import TemplateResponse


def _users(request):
    return User.objects.filter(username=request.GET.get("tag", ""))


def page_sync(request):
    time.sleep(float(request.GET.get("wait", 0)))
    return TemplateResponse(request, "eco/page.html", {"users": _users(request).count()})


async def page_async(request):
    await asyncio.sleep(float(request.GET.get("wait", 0)))
    return TemplateResponse(request, "eco/page.html", {"users": await _users(request).acount()})


def boom_sync(request):
    raise ValueError("boom from the sync view")


async def boom_async(request):
    await asyncio.sleep(0)
    raise ValueError("boom from the async view")


def spans(request):
    """OpenTelemetry's finished spans since the last call (ecosystemproject.telemetry)."""
    from . import telemetry

    return HttpResponse(json.dumps(telemetry.take_spans()), content_type="application/json")
