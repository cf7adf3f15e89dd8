"""Settings of the Sentry test project: sentry-sdk's Django integration, its
events recorded to the file ``SENTRY_EVENTS`` (see recording.py).

``SENTRY_PIPELINE=1``: ASYNC_LEGACY_PIPELINE = True (Django >= 3.1).
"""

import logging
import os

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration

from sentryproject.recording import FileTransport

SECRET_KEY = "sentry-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "sentryproject.urls"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "async_legacy",
    "sentryproject",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sentryproject.middleware.ClientTag",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(os.path.dirname(__file__), "templates")],
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
if os.environ.get("SENTRY_PIPELINE") == "1":
    ASYNC_LEGACY_PIPELINE = True

sentry_sdk.init(
    dsn="http://public@127.0.0.1:9/1",
    transport=FileTransport,
    integrations=[
        DjangoIntegration(middleware_spans=True),
        LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
    ],
    traces_sample_rate=1.0,
    send_default_pii=True,
)

# The project's INFO records become breadcrumbs (Django leaves the root logger at WARNING).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"sentryproject": {"level": "INFO"}},
}
