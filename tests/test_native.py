"""Django >= 3.1: the same entry points serve through Django's own ASGIHandler."""

import concurrent.futures
import time

import pytest
import requests
from gunicorn_helpers import EXAMPLE, gunicorn

from async_legacy.compat import DJANGO_VERSION, NATIVE_ASYNC

pytestmark = pytest.mark.skipif(not NATIVE_ASYNC, reason="native path: Django >= 3.1")


def test_entry_points_are_djangos_handler():
    from django.core.handlers.asgi import ASGIHandler

    from async_legacy import AsyncDjangoApplication, get_application, get_asgi_application
    from async_legacy.native import ThreadPerRequest

    app = get_application()
    handler = app.app if isinstance(app, ThreadPerRequest) else app
    assert isinstance(handler, ASGIHandler)
    # A thread context per request on every version (Django 4.0+ joins it):
    # the request's connections are closed with it (test_worker_postgres).
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


def four_sync_sleeps(base):
    # Warm up first (URLconf, first DB connection): the figure is about queueing.
    assert requests.get(base + "/sleep/sync/?s=0").text == "slept"
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: requests.get(base + "/sleep/sync/?s=1"), range(4)))
    assert all(r.text == "slept" for r in got)
    return time.time() - started


def test_concurrent_sync_views_do_not_queue(montage_env):
    # get_application() through the gaiohttp worker: one thread context per request.
    with gunicorn("montage.wsgi:application", env=montage_env, cwd=EXAMPLE) as server:
        assert four_sync_sleeps(server.base) < 2.5  # 4 s if queued; wide margin for busy machines


@pytest.mark.skipif(DJANGO_VERSION >= (4, 0), reason="Django 4.0+ gives each request its own thread context")
def test_djangos_bare_handler_queues_them_on_3_1_and_3_2(montage_env):
    # What the wrapper fixes: the same views through Django's bare handler.
    with gunicorn("django.core.asgi:get_asgi_application()", env=montage_env, cwd=EXAMPLE) as server:
        assert four_sync_sleeps(server.base) >= 3.9
