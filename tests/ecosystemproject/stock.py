"""The project as Django's own handler serves it: WSGIHandler before Django
3.1 (under gunicorn's sync worker), ASGIHandler from 3.1 on (under ours)."""

import os

import django

django.setup(set_prefix=False)

if os.environ.get("ECOSYSTEM_PACKAGE") == "otel":
    from ecosystemproject import telemetry

    telemetry.instrument()

if django.VERSION >= (3, 1):
    from django.core.asgi import get_asgi_application

    application = get_asgi_application()
else:
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
