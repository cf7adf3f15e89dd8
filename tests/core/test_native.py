"""Django >= 3.1: the same entry points serve through Django's own ASGIHandler."""

import concurrent.futures
import uuid

import pytest
import requests
from support.gunicorn_helpers import gunicorn

from async_legacy.compat import DJANGO_VERSION, NATIVE_ASYNC

pytestmark = pytest.mark.skipif(not NATIVE_ASYNC, reason="native path: Django >= 3.1")
SETTINGS = {"DJANGO_SETTINGS_MODULE": "testproject.settings"}


def test_entry_points_are_djangos_handler():
    from django.core.handlers.asgi import ASGIHandler

    from async_legacy import AsyncDjangoApplication, get_application, get_asgi_application
    from async_legacy.native import ThreadPerRequest

    app = get_application()
    handler = app.app if isinstance(app, ThreadPerRequest) else app
    assert isinstance(handler, ASGIHandler)
    # A thread context per request on every version (Django 4.0+ joins it):
    # the request's connections are closed with it (tests/worker/test_postgres.py).
    assert isinstance(app, ThreadPerRequest)
    assert type(get_asgi_application()) is type(app)
    with pytest.warns(DeprecationWarning, match="get_asgi_application"):
        legacy_style = AsyncDjangoApplication()
    assert type(legacy_style) is type(app)


def test_the_wrapped_application_looks_like_djangos_handler():
    """Code that reads the handler's attributes off the application (request_class,
    get_response, load_middleware...) finds Django's, through the wrappers."""
    from django.core.handlers.asgi import ASGIHandler

    from async_legacy import get_application

    app = get_application()
    assert app.request_class is ASGIHandler.request_class
    assert app.get_response.__func__ is ASGIHandler.get_response


def four_sync_views(base, n, timeout):
    """Four requests at once to a sync view that answers "met" once ``n`` of
    them were inside it at the same time, "alone" if not within ``timeout`` s
    (testproject/gates.py): which ran at once, by the order of events."""
    key = uuid.uuid4().hex
    params = {"key": key, "n": n, "timeout": timeout}
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        got = list(
            pool.map(lambda _: requests.get(base + "/meet/sync/", params=params, timeout=timeout + 30), range(4))
        )
    assert all(r.status_code == 200 for r in got), [r.text[:200] for r in got]
    return [r.text for r in got]


def test_concurrent_sync_views_do_not_queue():
    # get_application() through the gaiohttp worker: one thread context per request.
    with gunicorn("testproject.served:application", env=SETTINGS) as server:
        # All four in their views at once (a guard of 30 s: a passing run meets at once).
        assert four_sync_views(server.base, 4, 30) == ["met"] * 4


@pytest.mark.skipif(DJANGO_VERSION >= (4, 0), reason="Django 4.0+ gives each request its own thread context")
def test_djangos_bare_handler_queues_them_on_3_1_and_3_2():
    # What the wrapper fixes: the same views through Django's bare handler.
    with gunicorn("django.core.asgi:get_asgi_application()", env=SETTINGS) as server:
        # One thread runs them all, one after the other: the first waits alone
        # for a second one (3 s), the others find the meeting broken.
        assert four_sync_views(server.base, 2, 3) == ["alone"] * 4
