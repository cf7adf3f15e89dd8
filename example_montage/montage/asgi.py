"""For ASGI servers (uvicorn, daphne, hypercorn): the same project, any Django."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "montage.settings")

import django  # noqa: E402

django.setup()

from async_legacy import get_asgi_application  # noqa: E402

application = get_asgi_application()

# Import the URLconf (DRF with it) at startup: lazily, the first request would
# import it on the event loop.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 - loads the URLconf
