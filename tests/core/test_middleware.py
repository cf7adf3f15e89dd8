"""Middleware written the Django 3.1+ way, mixed with MiddlewareMixin ones.

The same module runs on every pair: on Django < 3.1 through the legacy
pipeline (async_legacy.get_asgi_application()), on 3.1+ through Django's own
ASGIHandler and again with ASYNC_LEGACY_PIPELINE = True (the pipeline inside
Django's handler) - the same MIDDLEWARE list, the same expectations.
"""

import threading

import pytest
from django.test import override_settings
from support.helpers import call_asgi, run

import async_legacy
from async_legacy.compat import NATIVE_ASYNC

P = "testproject.middleware."
MIXED = [
    "django.middleware.security.SecurityMiddleware",
    P + "AsyncClass",
    P + "sync_only",
    "django.contrib.sessions.middleware.SessionMiddleware",
    P + "hybrid",
    P + "Recorder",
    P + "async_only",
    "django.middleware.common.CommonMiddleware",
]


@pytest.fixture(params=["default", "pipeline"])
def make_app(request):
    """async_legacy.get_asgi_application(), as is and (3.1+) with ASYNC_LEGACY_PIPELINE = True."""
    if request.param == "pipeline" and not NATIVE_ASYNC:
        pytest.skip("Django < 3.1: the default is the pipeline")

    def make():
        with override_settings(ASYNC_LEGACY_PIPELINE=request.param == "pipeline"):
            return async_legacy.get_asgi_application()

    return make


@pytest.fixture
def mixed(events, make_app):
    with override_settings(MIDDLEWARE=MIXED):
        yield make_app()


def _get(loop, app, query=None, path="/async/"):
    return run(loop, call_asgi(app, path, query=query))


def test_decorators_set_djangos_flags():
    from testproject.middleware import async_only, hybrid, sync_only

    assert (hybrid.sync_capable, hybrid.async_capable) == (True, True)
    assert (async_only.sync_capable, async_only.async_capable) == (False, True)
    assert (sync_only.sync_capable, sync_only.async_capable) == (True, False)
    if NATIVE_ASYNC:
        from django.utils import decorators

        assert async_legacy.sync_and_async_middleware is decorators.sync_and_async_middleware


def test_each_kind_runs_where_django_3_1_runs_it(mixed, events, loop):
    from testproject.middleware import THREADS

    got = _get(loop, mixed)
    assert got.status == 200, got.body
    assert got.body == b"ok from /async/"
    # Every layer's own header: each wrapped the response.
    assert (got.header("X-Async-Class"), got.header("X-Sync-Only"), got.header("X-Hybrid")) == ("yes", "yes", "async")
    assert got.header("X-Recorded") == "yes"
    # Built with the get_response of their kind.
    assert "async-class:init:async" in events and "sync-only:init:sync" in events
    assert events[events.index("async-class:before") :] == [
        "async-class:before",
        "sync-only:before",
        "hybrid:async",
        "request",
        "async-only:before",
        "async-class:view",
        "view",
        "async-view",
        "async-only:after:200",
        "response:200",
        "sync-only:after:200",
        "async-class:after:200",
    ]
    here = threading.get_ident()  # the event loop's thread
    for event in (
        "async-class:before",
        "hybrid:async",
        "async-only:before",
        "async-class:view",
        "async-class:after:200",
    ):
        assert THREADS[event] == here, event  # awaited on the loop: no thread
    assert THREADS["sync-only:before"] != here and THREADS["sync-only:after:200"] != here
    assert THREADS["request"] != here  # Recorder's unknown hooks may block: off the loop


def test_exception_in_async_middleware_becomes_its_response(mixed, events, loop):
    got = _get(loop, mixed, {"raise": "async-only"})
    assert got.status == 404
    # The layers outside saw a 404 response, not an exception.
    assert "response:404" in events and "async-class:after:404" in events and "sync-only:after:404" in events
    assert got.header("X-Async-Class") == "yes"
    got = _get(loop, mixed, {"raise": "async-class"})
    assert got.status == 500 and got.header("X-Async-Class") is None


def test_coroutine_hooks_are_awaited(mixed, events, loop):
    got = _get(loop, mixed, {"short": "async-view"})
    assert (got.status, got.body) == (202, b"async view hook")
    assert "async-view" not in events
    del events[:]
    got = _get(loop, mixed, {"what": "500", "handle": "async"})
    assert (got.status, got.body) == (299, b"async handled division by zero in view")
    # Django order: the innermost middleware's process_exception first.
    assert events.index("exception:ZeroDivisionError") < events.index("async-class:exception:ZeroDivisionError")
    del events[:]
    got = _get(loop, mixed, {"what": "template"})
    assert got.status == 200 and b"async middleware" in got.body
    assert events.index("template") < events.index("async-class:template")


def test_hybrid_inside_sync_only_still_gets_async(events, loop, make_app):
    # A hybrid inside a sync-only middleware still gets an async get_response
    # in async mode (Django adapts per layer); outermost sync-only off the loop.
    with override_settings(MIDDLEWARE=[P + "sync_only", P + "hybrid"]):
        app = make_app()
    got = _get(loop, app)
    assert got.status == 200 and got.header("X-Hybrid") == "async"


def test_neither_sync_nor_async_is_refused(make_app):
    def factory(get_response):
        return get_response

    factory.sync_capable = factory.async_capable = False
    import testproject.middleware as mw

    mw.neither = factory
    try:
        with override_settings(MIDDLEWARE=[P + "neither"]):
            with pytest.raises(RuntimeError, match="testproject.middleware.neither must have at least one of"):
                make_app()
    finally:
        del mw.neither
