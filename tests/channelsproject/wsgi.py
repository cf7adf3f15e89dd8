"""The HTTP side as gunicorn serves it (coroutine WSGI on Django < 3.1)."""

import django

django.setup(set_prefix=False)

from async_legacy import get_application  # noqa: E402

application = get_application()
