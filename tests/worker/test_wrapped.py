"""WSGI middleware around our application in wsgi.py (worker/wrapped.py).

``WhiteNoise(get_application(), root=...)`` and ``SentryWsgiMiddleware(
get_application())``: the worker finds the application inside the wrapper
and serves the wrapper's behaviour (static files, Sentry's capture) with the
coroutine views still awaited. Served for real from tests/sentryproject
(Django < 3.1: on 3.1+ get_application() is an ASGI app, which no WSGI
middleware can wrap).
"""

import concurrent.futures

import django
import pytest
import requests
from support.gunicorn_helpers import gunicorn

from async_legacy.coroutine_wsgi import VERSION
from async_legacy.worker.wrapped import bridge_for_wrapper, wrapped_app

legacy = pytest.mark.skipif(django.VERSION >= (3, 1), reason="get_application() is ASGI on Django >= 3.1")


class CoroutineApp:
    coroutine_wsgi = VERSION

    async def __call__(self, environ, start_response):
        raise AssertionError("not called")


class Servable(CoroutineApp):
    async def serve_wrapped(self, wrapper, environ, start_response):
        raise AssertionError("not called")


class Keeps:
    """A WSGI middleware keeping what it wraps under ``name``."""

    def __init__(self, name, inner):
        setattr(self, name, inner)

    def __call__(self, environ, start_response):
        raise AssertionError("not called")


@pytest.mark.parametrize("name", ["application", "app", "wsgi", "wsgi_app", "__wrapped__"])
def test_the_application_is_found_inside_a_wrapper(name):
    inner = Servable()
    assert wrapped_app(Keeps(name, inner)) is inner
    assert wrapped_app(Keeps("app", Keeps(name, Keeps("application", inner)))) is inner


def test_a_plain_wsgi_app_and_a_looping_wrapper_wrap_nothing():
    looping = Keeps("app", None)
    looping.app = looping
    assert wrapped_app(looping) is None
    assert wrapped_app(Keeps("app", lambda environ, start_response: [])) is None
    assert bridge_for_wrapper(Keeps("app", lambda environ, start_response: []), None) is None


def test_an_application_that_cannot_be_served_through_a_wrapper_is_refused_by_name():
    with pytest.raises(TypeError, match=r"wraps the coroutine-WSGI application .*CoroutineApp cannot be served"):
        bridge_for_wrapper(Keeps("app", CoroutineApp()), None)


def test_the_real_wrappers_are_seen_through():
    import async_legacy

    app = async_legacy.get_application()
    if not hasattr(app, "serve_wrapped"):
        pytest.skip("get_application() is ASGI on Django >= 3.1")
    whitenoise = pytest.importorskip("whitenoise")
    sentry_wsgi = pytest.importorskip("sentry_sdk.integrations.wsgi")
    assert wrapped_app(whitenoise.WhiteNoise(app)) is app
    assert wrapped_app(sentry_wsgi.SentryWsgiMiddleware(app)) is app
    assert wrapped_app(whitenoise.WhiteNoise(sentry_wsgi.SentryWsgiMiddleware(app))) is app


def _serve(factory, tmp_path):
    env = {"DJANGO_SETTINGS_MODULE": "sentryproject.settings", "SENTRY_EVENTS": str(tmp_path / "events.jsonl")}
    return gunicorn("sentryproject.served:%s()" % factory, env=env)


@legacy
def test_whitenoise_around_the_application_serves_static_files_and_coroutine_views(tmp_path):
    pytest.importorskip("whitenoise")
    pytest.importorskip("sentry_sdk")  # the project's settings use it
    with _serve("whitenoise_wrapped", tmp_path) as server:
        static = requests.get(server.base + "/static/hello.txt", timeout=10)
        page = requests.get(server.base + "/async/page/", timeout=10)
        failing = requests.get(server.base + "/async/fail/", timeout=10)
        log = server.log()
    assert (static.status_code, static.text) == (200, "static hello\n"), log[-3000:]
    assert (page.status_code, page.text.strip()) == (200, "<p>page 42</p>"), log[-3000:]
    assert failing.status_code == 500  # the view's own error, not the worker's
    assert "called as plain WSGI" not in log


@legacy
def test_sentry_wsgi_middleware_around_the_application_keeps_each_requests_scope(tmp_path):
    pytest.importorskip("whitenoise")
    pytest.importorskip("sentry_sdk")
    from support.sentry import CLIENTS, assert_own_scopes, recorded

    with _serve("both_wrapped", tmp_path) as server:
        server.events = str(tmp_path / "events.jsonl")

        def fail(i):
            return requests.get(
                server.base + "/async/fail/", params={"n": i}, headers={"X-Client": "client-%d" % i}, timeout=30
            ).status_code

        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            assert list(pool.map(fail, range(CLIENTS))) == [500] * CLIENTS
        static = requests.get(server.base + "/static/hello.txt", timeout=10)
        events = recorded(server, "event", "/async/fail/", CLIENTS)
    assert static.status_code == 200
    assert_own_scopes(events, "/async/fail/")
