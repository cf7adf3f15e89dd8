import logging

import sentry_sdk
from django.utils.deprecation import MiddlewareMixin

logger = logging.getLogger("sentryproject")


class ClientTag(MiddlewareMixin):
    """Tags the request's scope with its client and leaves a breadcrumb."""

    def process_request(self, request):
        client = request.META.get("HTTP_X_CLIENT", "none")
        sentry_sdk.set_tag("client", client)
        logger.info("request of client %s", client)
