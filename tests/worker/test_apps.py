"""worker/apps.py: which bridge serves an app (ASGI detected as uvicorn does),
and ASGI 2 apps and sentry-sdk's ASGI middleware served by a real gunicorn."""

import functools
import json
import os
import signal

import pytest
import requests
from support import serverapps
from support.gunicorn_helpers import gunicorn

from async_legacy.worker.apps import bridge_for


async def asgi3(scope, receive, send):
    pass


def wsgi(environ, start_response):
    return [b""]


def asgi2(scope):
    return Asgi2Instance()


class Asgi2Instance:
    async def __call__(self, receive, send):
        pass


class AwaitableApp:
    """ASGI 3 as a class: AwaitableApp(scope, receive, send) is awaited."""

    def __init__(self, scope, receive, send):
        pass

    def __await__(self):
        yield


class AsyncCallApp:
    async def __call__(self, scope, receive, send):
        pass

    async def handle(self, scope, receive, send):
        pass


class WsgiCallApp:
    def __call__(self, environ, start_response):
        return [b""]


class WsgiClassApp:
    """WSGI as a class (PEP 3333): WsgiClassApp(environ, start_response) is the body."""

    def __init__(self, environ, start_response):
        start_response("200 OK", [])

    def __iter__(self):
        yield b""


class PerInstanceCall:
    """__call__ set per instance, as sentry-sdk's SentryAsgiMiddleware does."""

    __slots__ = ("__call__",)

    def __init__(self, version):
        self.__call__ = self._asgi3 if version == 3 else self._asgi2

    async def _asgi3(self, scope, receive, send):
        pass

    def _asgi2(self, scope):
        return Asgi2Instance()


async def coroutine_wsgi(environ, start_response):
    return [b""]


coroutine_wsgi.coroutine_wsgi = (1, 0)


def _kind(app):
    return bridge_for(app, None, None).kind


KINDS = [
    ("async function", asgi3, "ASGI"),
    ("WSGI function", wsgi, "WSGI"),
    ("function taking the scope alone", asgi2, "ASGI 2"),
    ("class with __await__", AwaitableApp, "ASGI"),
    ("class with an async __call__", serverapps.Asgi2App, "ASGI 2"),
    ("WSGI class", WsgiClassApp, "WSGI"),
    ("instance with an async class __call__", AsyncCallApp(), "ASGI"),
    ("bound async method", AsyncCallApp().handle, "ASGI"),
    ("instance with a WSGI class __call__", WsgiCallApp(), "WSGI"),
    ("instance with its own async __call__", PerInstanceCall(3), "ASGI"),
    ("instance with its own __call__ taking the scope", PerInstanceCall(2), "ASGI 2"),
    ("partial of an async function", functools.partial(asgi3), "ASGI"),
    (
        "partial of a partial of a bound async method",
        functools.partial(functools.partial(AsyncCallApp().handle)),
        "ASGI",
    ),
    ("partial of a WSGI function", functools.partial(wsgi), "WSGI"),
    (
        "partial left taking the scope alone",
        functools.partial(lambda scope, settings: Asgi2Instance(), settings={}),
        "ASGI 2",
    ),
    ("coroutine-WSGI function", coroutine_wsgi, "coroutine WSGI"),
    ("coroutine-WSGI instance", serverapps.slow_app, "coroutine WSGI"),
    ("aiohttp Application", serverapps.aiohttp_app, "aiohttp"),
]


@pytest.mark.parametrize("app, kind", [pytest.param(app, kind, id=name) for name, app, kind in KINDS])
def test_bridge_for_each_kind_of_app(app, kind):
    assert _kind(app) == kind


def test_wsgi_callables_that_take_extra_arguments_stay_wsgi():
    def with_defaults(environ, start_response, extra=None):
        return [b""]

    def variadic(*args, **kwargs):
        return [b""]

    assert _kind(with_defaults) == _kind(variadic) == "WSGI"
    assert _kind(print) == "WSGI"  # no signature to read: not guessed at


def test_asgiref_marks_decide():
    def double(*args):
        pass

    double._asgi_double_callable = True
    assert _kind(double) == "ASGI 2"


def test_not_an_app_names_it():
    with pytest.raises(TypeError, match="42 is not a WSGI, coroutine-WSGI or ASGI application"):
        _kind(42)


def test_serves_class_style_asgi2_app_with_lifespan():
    with gunicorn("support.serverapps:Asgi2App") as server:
        got = requests.post(server.base + "/two", data=b"z" * 70000)
        assert got.json() == {"method": "POST", "path": "/two", "body_length": 70000, "asgi": "2.0"}
        assert server.state("asgi2-lifespan") == ["startup"]
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(20)
        assert server.state("asgi2-lifespan") == ["startup", "shutdown"]


@pytest.fixture
def sentry_sdk():
    return pytest.importorskip("sentry_sdk", reason="sentry-sdk is not installed for this Python/Django pair")


def test_sentry_asgi_middleware_kind_follows_the_app_it_wraps(sentry_sdk):
    from sentry_sdk.integrations.asgi import SentryAsgiMiddleware

    assert _kind(SentryAsgiMiddleware(asgi3)) == "ASGI"
    assert _kind(SentryAsgiMiddleware(serverapps.Asgi2App)) == "ASGI 2"


@pytest.mark.parametrize("version", [3, 2])
def test_sentry_asgi_middleware_is_served_and_reports_errors(sentry_sdk, version):
    """SentryAsgiMiddleware sets __call__ per instance (_run_asgi3 or _run_asgi2)."""
    with gunicorn("support.serverapps:sentry_asgi(%d)" % version) as server:
        got = requests.put(server.base + "/a", data=b"y" * 100)
        assert got.status_code == 200, server.log()
        assert got.json()["path"] == "/a" and got.json()["body_length"] == 100
        assert requests.get(server.base + "/boom?x=1").status_code == 500
        assert server.state("lifespan" if version == 3 else "asgi2-lifespan") == ["startup"]
        with open(os.path.join(server.state_dir, "sentry-events")) as f:
            events = [json.loads(line) for line in f]
    reported = [e for e in events if e["exception"]["values"][-1]["value"] == "boom from the app"]
    assert reported, events
    event = reported[0]
    assert event["exception"]["values"][-1]["mechanism"]["type"] == "asgi"
    assert event["request"]["url"] == server.base + "/boom"
    assert event["request"]["query_string"] == "x=1" and event["request"]["method"] == "GET"
