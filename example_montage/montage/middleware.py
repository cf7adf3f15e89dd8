"""A project's own small middleware, as most sites have one."""

from django.utils.deprecation import MiddlewareMixin


class ClientTag(MiddlewareMixin):
    """Reads a request header, sets a response header."""

    def process_request(self, request):
        request.client_tag = request.META.get("HTTP_X_CLIENT", "anonymous")

    def process_response(self, request, response):
        response["X-Client"] = getattr(request, "client_tag", "-")
        return response
