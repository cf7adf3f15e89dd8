"""For ASGI servers (uvicorn, daphne, hypercorn): the same project, any Django."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "montage.settings")

import django  # noqa: E402

django.setup()

from async_legacy import get_asgi_application  # noqa: E402

application = get_asgi_application()
