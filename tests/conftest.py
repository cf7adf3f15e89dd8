import asyncio
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")

import django  # noqa: E402

django.setup()


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
