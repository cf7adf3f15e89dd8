"""The affinity project as gunicorn serves it (as a project's wsgi.py)."""

import django

django.setup(set_prefix=False)

from async_legacy import get_application  # noqa: E402

application = get_application()
