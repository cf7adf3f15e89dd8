"""example_montage: one settings file for every Django from 1.11 to 6.1."""

import os

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET_KEY = os.environ.get("MONTAGE_SECRET_KEY", "example-montage-not-secret")
DEBUG = os.environ.get("MONTAGE_DEBUG") == "1"
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "montage.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: its runserver (coroutine views awaited) replaces the stock one.
    "async_legacy",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "montage",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
if os.environ.get("MONTAGE_STACK") in ("realistic", "docs"):
    # What most sites add to the typical stack: i18n and a middleware of their own.
    MIDDLEWARE.insert(2, "django.middleware.locale.LocaleMiddleware")
    MIDDLEWARE.append("montage.middleware.ClientTag")
    LANGUAGES = [("en", "English"), ("de", "German")]
if os.environ.get("MONTAGE_STACK") == "docs":
    # The realistic stack plus the two styles Django's docs teach since 1.10, as
    # users write them (no async_capable / sync_capable): a class with __call__
    # and process_view (outermost, it times the whole chain), and a function.
    MIDDLEWARE.insert(0, "montage.middleware.Timing")
    MIDDLEWARE.append("montage.middleware.request_id")
# Django >= 3.1: serve through async_legacy's pipeline inside Django's ASGIHandler
# (Django < 3.1 always does).
ASYNC_LEGACY_PIPELINE = os.environ.get("MONTAGE_PIPELINE") == "1"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("MONTAGE_DB", os.path.join(BASE_DIR, "db.sqlite3")),
        # Persistent connections, as production sites set them (0: Django's default).
        "CONN_MAX_AGE": int(os.environ.get("MONTAGE_CONN_MAX_AGE", "0")),
    }
}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
USE_TZ = True
LOGIN_REDIRECT_URL = "/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR"},
        "async_legacy": {"handlers": ["console"], "level": "INFO"},
    },
}
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

STATIC_URL = "/static/"

# The API (montage/api.py): async DRF views, session or token authentication.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
}
