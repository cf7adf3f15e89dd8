"""HTTP through async_legacy and WebSockets through Channels, in one ASGI app."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelsproject.settings")

from async_legacy import get_asgi_application  # noqa: E402

http_application = get_asgi_application()  # sets Django up before Channels' imports

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from .consumers import EchoConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": AuthMiddlewareStack(URLRouter([re_path(r"^ws/echo/$", EchoConsumer.as_asgi())])),
    }
)
