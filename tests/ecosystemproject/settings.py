"""Settings of the ecosystem test project: one third-party package at a time.

Environment:

* ``ECOSYSTEM_PACKAGE``: the package the settings are built for ("cors",
  "prometheus", "otel", "apm", "whitenoise", "toolbar", "silk"), "base" for
  none, "migrate" for every installed app that has models.
* ``ECOSYSTEM_DB``: the SQLite file (a copy of one migrated once per test run).
* ``ECOSYSTEM_PIPELINE``: "1" sets ASYNC_LEGACY_PIPELINE = True (Django >= 3.1:
  our pipeline inside Django's ASGIHandler; "0": Django's handler alone).
"""

import os
import tempfile
from importlib.util import find_spec

HERE = os.path.dirname(os.path.abspath(__file__))

SECRET_KEY = "ecosystem-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "ecosystemproject.urls"
USE_TZ = True
LOGGING_CONFIG = None
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
ASYNC_LEGACY_PIPELINE = os.environ.get("ECOSYSTEM_PIPELINE", "1") == "1"

PACKAGE = os.environ.get("ECOSYSTEM_PACKAGE", "base")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "async_legacy",
    "django.contrib.staticfiles",
    "ecosystemproject",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
STATIC_URL = "/static/"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("ECOSYSTEM_DB")
        or os.path.join(tempfile.gettempdir(), "ecosystem_%d.sqlite3" % os.getpid()),
    }
}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(HERE, "templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]

if PACKAGE == "migrate":
    INSTALLED_APPS.append("django.contrib.sessions")
    INSTALLED_APPS += [app for app in ("silk", "debug_toolbar") if find_spec(app) is not None]
elif PACKAGE == "cors":
    INSTALLED_APPS.append("corsheaders")
    MIDDLEWARE.insert(1, "corsheaders.middleware.CorsMiddleware")  # before CommonMiddleware, as documented
    CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    CORS_ALLOW_CREDENTIALS = True
    CORS_EXPOSE_HEADERS = ["X-Eco"]
    CORS_PREFLIGHT_MAX_AGE = 600
elif PACKAGE == "prometheus":
    INSTALLED_APPS.append("django_prometheus")
    MIDDLEWARE = (
        ["django_prometheus.middleware.PrometheusBeforeMiddleware"]
        + MIDDLEWARE
        + ["django_prometheus.middleware.PrometheusAfterMiddleware"]
    )
elif PACKAGE == "otel":
    pass  # DjangoInstrumentor adds its middleware (ecosystemproject.telemetry)
elif PACKAGE == "apm":
    INSTALLED_APPS.append("elasticapm.contrib.django")
    MIDDLEWARE.insert(0, "elasticapm.contrib.django.middleware.TracingMiddleware")
    ELASTIC_APM = {
        "SERVICE_NAME": "ecosystem",
        # Never contacted: the transport writes the events to a file.
        "SERVER_URL": "http://127.0.0.1:9",
        "TRANSPORT_CLASS": "ecosystemproject.apm.FileTransport",
        "CENTRAL_CONFIG": False,
        "CLOUD_PROVIDER": "none",
        "METRICS_INTERVAL": "0ms",
        "BREAKDOWN_METRICS": False,
        "API_REQUEST_TIME": "100ms",
        "EXIT_SPAN_MIN_DURATION": "0ms",
        "SPAN_COMPRESSION_ENABLED": False,
        "SPAN_STACK_TRACE_MIN_DURATION": "-1ms",
    }
elif PACKAGE == "whitenoise":
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")  # right after SecurityMiddleware
    STATIC_ROOT = os.path.join(HERE, "static_root")
elif PACKAGE == "toolbar":
    INSTALLED_APPS.append("debug_toolbar")
    MIDDLEWARE.append("debug_toolbar.middleware.DebugToolbarMiddleware")
    DEBUG_TOOLBAR_PANELS = ["ecosystemproject.panels.HeaderSQLPanel", "ecosystemproject.panels.HeaderTemplatesPanel"]
    DEBUG_TOOLBAR_CONFIG = {
        "SHOW_TOOLBAR_CALLBACK": "ecosystemproject.panels.show_toolbar",
        # Panels rendered on demand through the toolbar's render_panel view
        # (by default that depends on the server's wsgi.multiprocess).
        "RENDER_PANELS": False,
        # Stacks would name each handler's own frames.
        "ENABLE_STACKTRACES": False,
        "ENABLE_STACKTRACES_LOCALS": False,
    }
elif PACKAGE == "silk":
    INSTALLED_APPS += ["django.contrib.sessions", "silk"]
    # silk's pages keep their filters in the session.
    MIDDLEWARE.insert(1, "django.contrib.sessions.middleware.SessionMiddleware")
    MIDDLEWARE.append("silk.middleware.SilkyMiddleware")
    SILKY_PYTHON_PROFILER = False
    SILKY_AUTHENTICATION = False
    SILKY_AUTHORISATION = False
elif PACKAGE != "base":
    raise ValueError("unknown ECOSYSTEM_PACKAGE %r" % PACKAGE)
