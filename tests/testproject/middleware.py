"""Middleware that records what happens, for comparing with Django's handler."""
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
