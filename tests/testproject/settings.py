import os
import tempfile

SECRET_KEY = "tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "testproject.urls"
USE_TZ = True
USE_I18N = True
LANGUAGES = [("en", "English"), ("de", "German"), ("fr", "French")]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "async_legacy",  # async ORM names on old Django
    "testproject",
]
try:
    import rest_framework  # noqa: F401 - the drf extra
except ImportError:
    pass
else:
    INSTALLED_APPS += ["rest_framework", "rest_framework.authtoken", "drfapp"]
TYPICAL_STACK = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
MIDDLEWARE = TYPICAL_STACK + ["testproject.middleware.UrlconfSwitch", "testproject.middleware.Recorder"]
if os.environ.get("ASYNC_LEGACY_TEST_MIDDLEWARE") == "classes":
    # Django 1.11's old style: MIDDLEWARE = None selects MIDDLEWARE_CLASSES.
    MIDDLEWARE_CLASSES = MIDDLEWARE
    MIDDLEWARE = None
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # A served process may be given an already migrated file.
        "NAME": os.environ.get("TEST_SQLITE_PATH")
        or os.path.join(tempfile.gettempdir(), "async_legacy_tests_%d.sqlite3" % os.getpid()),
    }
}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(os.path.dirname(__file__), "templates")],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.contrib.auth.context_processors.auth"]},
    }
]
SESSION_ENGINE = "django.contrib.sessions.backends.db"
ASYNC_LEGACY_THREADS = 8
# Served test processes on a crowded machine can be descheduled longer than the 5 ms default.
ASYNC_LEGACY_THREAD_IDLE = float(os.environ.get("ASYNC_LEGACY_TEST_THREAD_IDLE", "0.005"))
LOGGING_CONFIG = None
