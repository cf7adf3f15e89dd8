"""Settings of the ddtrace test project (ddtrace is enabled in served.py;
its configuration comes from DD_* variables the tests set).

``DDTRACE_PIPELINE=1``: ASYNC_LEGACY_PIPELINE = True (Django >= 3.1).
"""

import os

SECRET_KEY = "ddtrace-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "ddtraceproject.urls"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "async_legacy",
    "ddtraceproject",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(os.path.dirname(__file__), "templates")],
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
if os.environ.get("DDTRACE_PIPELINE") == "1":
    ASYNC_LEGACY_PIPELINE = True
