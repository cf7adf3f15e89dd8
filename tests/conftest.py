import asyncio
import os
import sys

import pytest

# tests/ on the path: the shared helpers (support/), the Django test projects
# (testproject, ...) and the test packages (core/, worker/, ...) import by
# those names, here and in the servers the tests start (support/gunicorn_helpers.py).
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")

import django  # noqa: E402

django.setup()

from django.test.utils import setup_test_environment  # noqa: E402

# As Django's test runner does (template capture for the test clients).
setup_test_environment()

from async_legacy.compat import NATIVE_ASYNC  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """Tests marked ``legacy_only`` (the legacy pipeline's own code) are
    deselected on Django >= 3.1, where Django's handler serves: the mark
    travels with the test, wherever its module lives."""
    if not NATIVE_ASYNC:
        return
    legacy = [item for item in items if item.get_closest_marker("legacy_only")]
    if legacy:
        config.hook.pytest_deselected(items=legacy)
        items[:] = [item for item in items if not item.get_closest_marker("legacy_only")]


@pytest.fixture(scope="session", autouse=True)
def database():
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    yield
    try:
        os.unlink(settings.DATABASES["default"]["NAME"])
    except OSError:
        pass


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the session (tests/support/postgres.py documents
    its API: ``settings``, ``database()``, ``environ()``, ``backends()``,
    ``idle_in_transaction()``, ``restart()``). Skips where psycopg2 is not
    installed (scripts/matrix.py installs it where a wheel exists)."""
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        pytest.skip("psycopg2 is not installed for this Python/Django pair (no wheel of a version Django supports)")
    from support.postgres import PostgresServer

    server = PostgresServer().start()
    yield server
    server.destroy()


@pytest.fixture
def app():
    from async_legacy import AsyncDjangoApplication

    return AsyncDjangoApplication()


@pytest.fixture
def events():
    from testproject import middleware

    del middleware.EVENTS[:]
    middleware.THREADS.clear()
    return middleware.EVENTS


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


@pytest.fixture(scope="module")
def montage_env(tmp_path_factory):
    """example_montage migrated into a fresh SQLite file: the environment to serve it with."""
    import subprocess

    from support.gunicorn_helpers import EXAMPLE

    db = str(tmp_path_factory.mktemp("montage") / "db.sqlite3")
    env = dict(os.environ, MONTAGE_DB=db, DJANGO_SETTINGS_MODULE="montage.settings")
    subprocess.check_call([sys.executable, os.path.join(EXAMPLE, "manage.py"), "migrate", "-v", "0"], env=env)
    return {"MONTAGE_DB": db, "DJANGO_SETTINGS_MODULE": "montage.settings"}


def pytest_sessionfinish(session, exitstatus):
    """For scripts/matrix.py: what this pair really ran (its compatibility table)."""
    path = os.environ.get("MATRIX_FACTS")
    if not path:
        return
    import json
    import platform

    def version_of(dist):
        try:
            from importlib.metadata import version
        except ImportError:  # Python 3.7
            import pkg_resources

            return pkg_resources.get_distribution(dist).version
        return version(dist)

    facts = {
        "python": platform.python_version(),
        "django": django.get_version(),
        "path": "native (Django's ASGIHandler)" if NATIVE_ASYNC else "legacy (AsyncDjangoApplication)",
        "middleware": "MIDDLEWARE_CLASSES"
        if os.environ.get("ASYNC_LEGACY_TEST_MIDDLEWARE") == "classes"
        else "MIDDLEWARE",
    }
    for dist in ("gunicorn", "aiohttp", "asgiref", "uvicorn", "daphne"):
        try:
            facts[dist] = version_of(dist)
        except Exception:  # noqa: BLE001 - not installed
            facts[dist] = None
    with open(path, "w") as f:
        json.dump(facts, f)
