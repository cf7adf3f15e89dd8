"""A project's own small middleware, as most sites have one; and the two
styles Django's documentation teaches since 1.10 (MONTAGE_STACK=docs)."""

import time
import uuid

from django.utils.deprecation import MiddlewareMixin


class ClientTag(MiddlewareMixin):
    """Reads a request header, sets a response header."""

    def process_request(self, request):
        request.client_tag = request.META.get("HTTP_X_CLIENT", "anonymous")

    def process_response(self, request, response):
        response["X-Client"] = getattr(request, "client_tag", "-")
        return response


class Timing:
    """A class middleware as the docs write it: times the request, sets X-Timing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        response["X-Timing"] = "%.1f ms" % ((time.monotonic() - started) * 1000)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.view_name = getattr(view_func, "__name__", "-")
        return None


def request_id(get_response):
    """A function middleware as the docs write it: an id per request, sent back in X-Request-Id."""

    def middleware(request):
        request.request_id = request.META.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
        response = get_response(request)
        response["X-Request-Id"] = request.request_id
        return response

    return middleware
