"""The apps the tests serve: ours, Django's own WSGI handler, and (Django <
3.1, where ours is a WSGI-style application) ours inside the WSGI middleware
old projects' wsgi.py files wrap it in."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sentryproject.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

import async_legacy  # noqa: E402

application = async_legacy.get_application()
django_wsgi = get_wsgi_application()

STATIC = os.path.join(os.path.dirname(__file__), "static")


def sentry_wrapped():
    from sentry_sdk.integrations.wsgi import SentryWsgiMiddleware

    return SentryWsgiMiddleware(async_legacy.get_application())


def whitenoise_wrapped():
    from whitenoise import WhiteNoise

    return WhiteNoise(async_legacy.get_application(), root=STATIC, prefix="static/")


def both_wrapped():
    from whitenoise import WhiteNoise

    return WhiteNoise(sentry_wrapped(), root=STATIC, prefix="static/")
