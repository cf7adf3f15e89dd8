"""HTTP through async_legacy and WebSockets through Channels, in one ASGI app."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelsproject.settings")

from async_legacy import get_asgi_application  # noqa: E402

http_application = get_asgi_application()  # sets Django up before Channels' imports

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from .consumers import CloseConsumer, EchoConsumer, PlainEchoConsumer, UserConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": AuthMiddlewareStack(
            URLRouter(
                [
                    re_path(r"^ws/echo/$", EchoConsumer.as_asgi()),
                    re_path(r"^ws/plain/$", PlainEchoConsumer.as_asgi()),
                    re_path(r"^ws/user/$", UserConsumer.as_asgi()),
                    re_path(r"^ws/close/(?P<code>[0-9]+)/$", CloseConsumer.as_asgi()),
                ]
            )
        ),
    }
)
