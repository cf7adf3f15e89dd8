"""Settings of the thread-affinity test project.

Environment:

* ``AFFINITY_STACK``: the middleware stack (see STACKS below).
* ``AFFINITY_STYLES``: for the "deadlock" stack, which wrapping middleware
  sit in it: "both" (default), "function" or "class".
* ``AFFINITY_THREADS``: ASYNC_LEGACY_THREADS (default 4).
* ``AFFINITY_THREAD_AFFINITY``: "0" sets ASYNC_LEGACY_THREAD_AFFINITY = False
  (by hand: the tests serve the library's default).
* ``AFFINITY_DB``: the SQLite file (made by ``python -m affinityproject.setup_db``).
"""

import os
import tempfile
from importlib.util import find_spec

SECRET_KEY = "affinity-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "affinityproject.urls"
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "German"), ("fr", "French")]

STACK = os.environ.get("AFFINITY_STACK", "deadlock")
STYLES = os.environ.get("AFFINITY_STYLES", "both")

#: django-simple-history and django-debug-toolbar, where scripts/matrix.py
#: installed them for this Python/Django pair.
HAS_SIMPLE_HISTORY = find_spec("simple_history") is not None
HAS_DEBUG_TOOLBAR = find_spec("debug_toolbar") is not None

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "async_legacy",
    "affinityproject",
]
if HAS_SIMPLE_HISTORY:
    INSTALLED_APPS.append("simple_history")

TYPICAL_STACK = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

if STACK == "deadlock":
    MIDDLEWARE = TYPICAL_STACK + ["django.middleware.locale.LocaleMiddleware"]
    if STYLES in ("both", "class"):
        MIDDLEWARE.append("affinityproject.middleware.DocsStyleMiddleware")
    if STYLES in ("both", "function"):
        MIDDLEWARE.append("affinityproject.middleware.function_middleware")
elif STACK == "threadlocal":
    MIDDLEWARE = TYPICAL_STACK + ["affinityproject.middleware.ThreadLocalMiddleware"]
elif STACK == "history":
    MIDDLEWARE = TYPICAL_STACK + ["simple_history.middleware.HistoryRequestMiddleware"]
elif STACK == "contextvar":
    MIDDLEWARE = TYPICAL_STACK + ["affinityproject.middleware.ContextVarMiddleware"]
elif STACK == "toolbar":
    MIDDLEWARE = TYPICAL_STACK + ["debug_toolbar.middleware.DebugToolbarMiddleware"]
    INSTALLED_APPS += ["django.contrib.staticfiles", "debug_toolbar"]
    STATIC_URL = "/static/"
    # Only the Logging panel (a subclass that also puts its records in a
    # response header, read by the tests); always shown.
    DEBUG_TOOLBAR_PANELS = ["affinityproject.panels.HeaderLoggingPanel"]
    DEBUG_TOOLBAR_CONFIG = {"SHOW_TOOLBAR_CALLBACK": "affinityproject.panels.show_toolbar"}
else:
    raise ValueError("unknown AFFINITY_STACK %r" % STACK)

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("AFFINITY_DB")
        or os.path.join(tempfile.gettempdir(), "affinity_%d.sqlite3" % os.getpid()),
    }
}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.request",
            ]
        },
    }
]
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# The lane's size: a few threads, so that a dozen requests contend for them.
ASYNC_LEGACY_THREADS = int(os.environ.get("AFFINITY_THREADS", "4"))
# AFFINITY_THREAD_AFFINITY=0 tries the opt-out (the library's default otherwise).
if os.environ.get("AFFINITY_THREAD_AFFINITY"):
    ASYNC_LEGACY_THREAD_AFFINITY = os.environ["AFFINITY_THREAD_AFFINITY"] != "0"
# Django >= 3.1: serve through async_legacy's pipeline (Django < 3.1 always does).
ASYNC_LEGACY_PIPELINE = True
LOGGING_CONFIG = None
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
