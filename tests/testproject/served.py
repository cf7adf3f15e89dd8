"""The test project as gunicorn serves it: Django set up first, as a
project's wsgi.py does, then the application for this Django version."""

import django

django.setup(set_prefix=False)

from async_legacy import get_application  # noqa: E402

application = get_application()
