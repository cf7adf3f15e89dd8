"""The apps the tests serve, with ddtrace enabled as its documentation
says for a gunicorn deployment: ``import ddtrace.auto`` before anything
imports Django. ``application`` is ours (async_legacy.get_application());
``django_wsgi`` is Django's own WSGI handler, the reference."""

import ddtrace.auto  # noqa: F401, I001 - first: it patches Django as it is imported

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ddtraceproject.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

import async_legacy  # noqa: E402

application = async_legacy.get_application()
django_wsgi = get_wsgi_application()


def django_asgi():
    """Django's own ASGIHandler (Django >= 3.1), as ``django.core.asgi`` builds it."""
    from django.core.asgi import get_asgi_application

    return get_asgi_application()
