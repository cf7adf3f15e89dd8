"""A URLconf with the mistakes async_legacy's system checks catch."""

import functools

from django.db import transaction
from django.http import HttpResponse
from django.views import View

try:
    from django.urls import re_path
except ImportError:  # Django 1.11
    from django.conf.urls import url as re_path


def plain_decorator(view):
    # A third-party style decorator: its wrapper is a plain def.
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    return wrapper


async def fine(request):
    return HttpResponse("fine")


@plain_decorator
async def hidden(request):
    return HttpResponse("hidden")


@transaction.non_atomic_requests
async def outside_transactions(request):
    return HttpResponse("no transaction")


class AsyncPage(View):
    async def get(self, request):
        return HttpResponse("page")


def sync_view(request):
    return HttpResponse("sync")


urlpatterns = [
    re_path(r"^fine/$", fine),
    re_path(r"^hidden/$", hidden),
    re_path(r"^outside/$", outside_transactions),
    re_path(r"^page/$", AsyncPage.as_view()),
    re_path(r"^sync/$", sync_view),
]
