"""Middleware that keep per-request state the ways third-party code does.

Each reports in response headers where (on which thread) its sync code ran
and what state it found, so the tests can check Django's contract: all sync
code of one request runs on one thread, as in Django's WSGI handler.
"""

import contextvars
import threading

from django.utils.deprecation import MiddlewareMixin

#: The request being served on this thread (as django-simple-history < 3.0,
#: django-crum, django-threadlocals... keep it).
_local = threading.local()

#: A value set by ContextVarMiddleware for the rest of the request.
VAR = contextvars.ContextVar("affinityproject.var")


def user_of(request):
    """The X-User header of ``request`` ("None" for no request)."""
    if request is None:
        return "None"
    return request.META.get("HTTP_X_USER", "anonymous")


def current_request():
    return getattr(_local, "request", None)


class DocsStyleMiddleware:
    """The class middleware of Django's docs: __init__(get_response) / __call__(request),
    plus a process_view hook."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.class_call_thread = threading.get_ident()
        response = self.get_response(request)
        response["X-Class-Middleware"] = "called"
        response["X-Class-Threads"] = "%s %s %s" % (
            request.class_call_thread,
            getattr(request, "class_view_thread", None),
            threading.get_ident(),
        )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.class_view_thread = threading.get_ident()
        return None


def function_middleware(get_response):
    """A function middleware (``def mw(get_response): def middleware(request): ...``)."""

    def middleware(request):
        before = threading.get_ident()
        response = get_response(request)
        response["X-Function-Middleware"] = "called"
        response["X-Function-Threads"] = "%s %s" % (before, threading.get_ident())
        return response

    return middleware


class ThreadLocalMiddleware(MiddlewareMixin):
    """Keeps the request in a threading.local from process_request to process_response."""

    def process_request(self, request):
        _local.request = request
        request.thread_of_process_request = threading.get_ident()

    def process_response(self, request, response):
        response["X-Response-Found"] = user_of(current_request())
        response["X-Thread-Request"] = str(getattr(request, "thread_of_process_request", None))
        response["X-Thread-Response"] = str(threading.get_ident())
        try:
            del _local.request
        except AttributeError:
            pass
        return response


class ContextVarMiddleware(MiddlewareMixin):
    """Sets a contextvar for the request and resets it with its token afterwards."""

    def process_request(self, request):
        request._token = VAR.set(user_of(request))

    def process_response(self, request, response):
        token = getattr(request, "_token", None)
        if token is not None:
            VAR.reset(token)
        return response
