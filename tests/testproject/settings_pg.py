"""The test project on a real PostgreSQL server (tests/support/postgres.py starts one
and exports these variables to the process it serves from)."""

import os

from .settings import *  # noqa: F401,F403

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["PG_NAME"],
        "USER": os.environ.get("PG_USER", "postgres"),
        "PASSWORD": "",
        "HOST": os.environ.get("PG_HOST", "127.0.0.1"),
        "PORT": os.environ["PG_PORT"],
        "CONN_MAX_AGE": int(os.environ.get("PG_CONN_MAX_AGE", "0")),
        # pg_stat_activity tells this process's connections apart by it.
        "OPTIONS": {"application_name": os.environ.get("PG_APPLICATION_NAME", "async_legacy_test")},
    }
}
