"""Middleware that records what happens, for comparing with Django's handler."""

import contextvars
import threading

from django.http import HttpResponse
from django.utils.deprecation import MiddlewareMixin

EVENTS = []
THREADS = {}


def record(event):
    EVENTS.append(event)
    THREADS[event] = threading.get_ident()


class Recorder(MiddlewareMixin):
    def process_request(self, request):
        record("request")
        if request.GET.get("short") == "request":
            return HttpResponse("short-circuit", status=203)
        if request.GET.get("raise") == "request":
            raise ValueError("boom in process_request")

    def process_view(self, request, view, args, kwargs):
        record("view")
        if request.GET.get("short") == "view":
            return HttpResponse("view-short", status=202)

    def process_exception(self, request, exception):
        record("exception:%s" % type(exception).__name__)
        if request.GET.get("handle") == "exception":
            return HttpResponse("handled %s" % exception, status=299)

    def process_template_response(self, request, response):
        record("template")
        if response.context_data is not None:  # DRF's Response has none
            response.context_data["name"] = "middleware"
        return response

    def process_response(self, request, response):
        record("response:%d" % response.status_code)
        if request.GET.get("raise") == "response":
            raise KeyError("boom in process_response")
        response["X-Recorded"] = "yes"
        return response


def function_middleware(get_response):
    """A middleware that cannot be split into hooks: it must wrap the view."""

    def middleware(request):
        record("function:before")
        request.function_thread = threading.get_ident()
        response = get_response(request)
        record("function:after:%d" % response.status_code)
        response["X-Function"] = "wrapped"
        return response

    return middleware


class CallOverride(MiddlewareMixin):
    """Subclasses MiddlewareMixin but overrides __call__: opaque too."""

    def __call__(self, request):
        record("call:before")
        response = self.get_response(request)
        record("call:after")
        response["X-Call"] = "overridden"
        return response


class UrlconfSwitch(MiddlewareMixin):
    """Per-request urlconf, set on the lane (unknown middleware runs there)."""

    def process_request(self, request):
        if request.GET.get("alt"):
            request.urlconf = "testproject.alt_urls"


class ClientTag(MiddlewareMixin):
    """A project's small middleware: reads a request header, sets a response header."""

    def process_request(self, request):
        request.client_tag = request.META.get("HTTP_X_CLIENT", "anonymous")

    def process_response(self, request, response):
        response["X-Client"] = getattr(request, "client_tag", "-")
        return response


class Timing(ClientTag):
    """A second one, next to it in MIDDLEWARE."""

    def process_response(self, request, response):
        response["X-Timing"] = "1"
        return response


# Middleware written the Django 3.1+ way: the same list runs on every Django
# (tests/core/test_middleware.py).
from asgiref.sync import iscoroutinefunction, markcoroutinefunction  # noqa: E402
from django.http import Http404  # noqa: E402

from async_legacy import async_only_middleware, sync_and_async_middleware, sync_only_middleware  # noqa: E402


class AsyncClass:
    """A class with ``async def __call__``, marked as Django's docs say."""

    async_capable = True
    sync_capable = False

    def __init__(self, get_response):
        self.get_response = get_response
        record("async-class:init:%s" % ("async" if iscoroutinefunction(get_response) else "sync"))
        if iscoroutinefunction(self.get_response):
            markcoroutinefunction(self)

    async def __call__(self, request):
        record("async-class:before")
        if request.GET.get("raise") == "async-class":
            raise ValueError("boom in AsyncClass")
        response = await self.get_response(request)
        record("async-class:after:%d" % response.status_code)
        response["X-Async-Class"] = "yes"
        return response

    async def process_view(self, request, view, args, kwargs):
        record("async-class:view")
        if request.GET.get("short") == "async-view":
            return HttpResponse("async view hook", status=202)

    async def process_exception(self, request, exception):
        record("async-class:exception:%s" % type(exception).__name__)
        if request.GET.get("handle") == "async":
            return HttpResponse("async handled %s" % exception, status=299)

    async def process_template_response(self, request, response):
        record("async-class:template")
        response.context_data["name"] = "async middleware"
        return response


@sync_and_async_middleware
def hybrid(get_response):
    if iscoroutinefunction(get_response):

        async def middleware(request):
            record("hybrid:async")
            response = await get_response(request)
            response["X-Hybrid"] = "async"
            return response

    else:

        def middleware(request):
            record("hybrid:sync")
            response = get_response(request)
            response["X-Hybrid"] = "sync"
            return response

    return middleware


@async_only_middleware
def async_only(get_response):
    async def middleware(request):
        record("async-only:before")
        if request.GET.get("raise") == "async-only":
            raise Http404("async-only says no")
        response = await get_response(request)
        record("async-only:after:%d" % response.status_code)
        return response

    return middleware


@sync_only_middleware
def sync_only(get_response):
    record("sync-only:init:%s" % ("async" if iscoroutinefunction(get_response) else "sync"))

    def middleware(request):
        record("sync-only:before")
        response = get_response(request)
        record("sync-only:after:%d" % response.status_code)
        response["X-Sync-Only"] = "yes"
        return response

    return middleware


class AsyncUnflagged:
    """Wrong on purpose (system check W007): async __call__, no async_capable."""

    def __init__(self, get_response):
        self.get_response = get_response

    async def __call__(self, request):
        return await self.get_response(request)


def async_undecorated(get_response):
    """Wrong on purpose (system check W007): returns an async def, not decorated."""

    async def middleware(request):
        return await get_response(request)

    return middleware


#: What RequestInThreadLocal keeps, per thread (as audit-log and history packages do).
REQUEST_LOCAL = threading.local()


class RequestInThreadLocal(MiddlewareMixin):
    """Keeps the request in a threading.local for the request's later sync code."""

    def process_request(self, request):
        REQUEST_LOCAL.request = request
        request.hook_threads = [threading.get_ident()]

    def process_response(self, request, response):
        seen = getattr(REQUEST_LOCAL, "request", None)
        response["X-Local-At-Response"] = "own" if seen is request else "other" if seen is not None else "none"
        if hasattr(REQUEST_LOCAL, "request"):
            del REQUEST_LOCAL.request
        if hasattr(request, "hook_threads"):
            request.hook_threads.append(threading.get_ident())
            response["X-Hook-Threads"] = ",".join(str(t) for t in request.hook_threads)
        return response


REQUEST_VAR = contextvars.ContextVar("testproject.request_var")


class ContextVarToken(MiddlewareMixin):
    """Sets a contextvar in process_request and resets it with its token in
    process_response, which Django's sync handler allows."""

    def process_request(self, request):
        request.var_token = REQUEST_VAR.set(request.path)

    def process_response(self, request, response):
        token = getattr(request, "var_token", None)
        if token is not None:
            REQUEST_VAR.reset(token)
            response["X-Var-Reset"] = "yes"
        return response
