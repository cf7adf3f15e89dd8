"""A Channels project's ASGI application: Django's handler for HTTP, the
echo consumer on /ws/echo/."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wsbench.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

http_application = get_asgi_application()  # sets Django up before Channels' imports

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from .consumers import EchoConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": URLRouter([path("ws/echo/", EchoConsumer.as_asgi())]),
    }
)
