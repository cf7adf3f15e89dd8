"""Django's handler entry points, patched as monitoring agents patch them
(async_legacy/entry_points.py): the legacy pipeline calls them as Django's
handler does. The real agents: tests/integration/test_sentry.py, tests/integration/test_ddtrace.py."""

import functools
import threading

import pytest
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIHandler
from django.test import override_settings
from support.helpers import call, gather, run

from async_legacy import entry_points
from async_legacy.compat import NATIVE_ASYNC

legacy = pytest.mark.skipif(NATIVE_ASYNC, reason="AsyncDjangoApplication is the legacy path (Django < 3.1)")


class Proxy:
    """A wrapt-style proxy: a callable object, not a function."""

    def __init__(self, wrapped):
        self.__wrapped__ = wrapped

    def __get__(self, instance, owner):
        return functools.partial(self.__wrapped__, instance) if instance is not None else self

    def __call__(self, *args, **kwargs):
        return self.__wrapped__(*args, **kwargs)


def test_djangos_own_methods_are_not_patched():
    assert not entry_points.wsgi_entry_patched()
    assert not entry_points.load_middleware_patched()
    assert not entry_points.make_view_atomic_patched()


def test_a_wrapper_a_proxy_or_a_function_wrapped_in_place_is_patched(monkeypatch):
    original = BaseHandler.get_response

    def wrapper(self, request):
        return original(self, request)

    monkeypatch.setattr(BaseHandler, "get_response", wrapper)
    assert entry_points.wsgi_entry_patched()
    monkeypatch.setattr(BaseHandler, "get_response", Proxy(original))
    assert entry_points.wsgi_entry_patched()
    monkeypatch.setattr(BaseHandler, "get_response", original)
    assert not entry_points.wsgi_entry_patched()
    # ddtrace's way: the same function, its code rewritten, marked.
    monkeypatch.setattr(original, "__dd_wrapped__", True, raising=False)
    assert entry_points.wsgi_entry_patched()
    monkeypatch.delattr(original, "__dd_wrapped__")
    assert not entry_points.wsgi_entry_patched()
    monkeypatch.setattr(WSGIHandler, "__call__", Proxy(WSGIHandler.__call__))
    assert entry_points.wsgi_entry_patched()


@legacy
def test_patched_entry_points_run_on_the_requests_thread_around_the_pipeline(loop, monkeypatch):
    """A patched WSGIHandler.__call__ and get_response wrap the whole request,
    on the thread its sync code runs on; the coroutine view is awaited."""
    from async_legacy import AsyncDjangoApplication

    seen = []
    original_call, original_get_response = WSGIHandler.__call__, BaseHandler.get_response

    def patched_call(self, environ, start_response):
        seen.append(("call", environ["PATH_INFO"], threading.get_ident()))
        return original_call(self, environ, start_response)

    def patched_get_response(self, request):
        seen.append(("get_response", request.path, threading.get_ident()))
        response = original_get_response(self, request)
        response["X-Agent"] = "saw %s" % request.path
        return response

    monkeypatch.setattr(WSGIHandler, "__call__", patched_call)
    monkeypatch.setattr(BaseHandler, "get_response", patched_get_response)
    with override_settings(MIDDLEWARE=["testproject.middleware.RequestInThreadLocal"]):
        app = AsyncDjangoApplication()
        results = gather(
            loop,
            *[
                call(app, "/lane/template-after-wait/", query={"s": "0.05"}, headers={"X-User": "user-%d" % i})
                for i in range(6)
            ],
        )
    assert [r.status_code for r in results] == [200] * 6
    assert [r.header("X-Agent") for r in results] == ["saw /lane/template-after-wait/"] * 6
    assert [r.header("X-Local-User") for r in results] == ["user-%d" % i for i in range(6)]
    threads = {int(r.header("X-Sync-Thread")) for r in results}
    assert len([s for s in seen if s[0] == "call"]) == len([s for s in seen if s[0] == "get_response"]) == 6
    assert {ident for _, _, ident in seen} == threads  # each request's entry code on its own thread
    assert threading.get_ident() not in threads


@legacy
def test_a_patched_load_middleware_wraps_the_middleware_django_loads(loop, monkeypatch):
    """An agent wrapping middleware as Django loads it (Sentry's middleware
    spans): Django's own chain, with its wrappers, serves the request."""
    from django.core.handlers import base

    from async_legacy import AsyncDjangoApplication

    wrapped = []
    loading = threading.local()
    original_import, original_load = base.import_string, BaseHandler.load_middleware

    def patched_import(path):
        factory = original_import(path)
        if not getattr(loading, "on", False):
            return factory

        def wrapped_factory(get_response):
            instance = factory(get_response)

            def middleware(request):
                wrapped.append(path)
                return instance(request)

            return middleware

        return wrapped_factory

    def patched_load(self, *args, **kwargs):
        loading.on = True
        try:
            return original_load(self, *args, **kwargs)
        finally:
            loading.on = False

    monkeypatch.setattr(base, "import_string", patched_import)
    monkeypatch.setattr(BaseHandler, "load_middleware", patched_load)
    stack = ["django.middleware.common.CommonMiddleware", "testproject.middleware.RequestInThreadLocal"]
    with override_settings(MIDDLEWARE=stack):
        app = AsyncDjangoApplication()
        got = run(loop, call(app, "/lane/template-after-wait/", query={"s": "0.01"}, headers={"X-User": "u"}))
    assert got.status_code == 200, got.body[:500]
    assert wrapped == stack
    assert got.header("X-Local-User") == "u"
    assert got.header("X-Local-At-Response") == "own"


@legacy
def test_a_patched_make_view_atomic_wraps_coroutine_views_too(loop, monkeypatch):
    from async_legacy import AsyncDjangoApplication

    wrapped = []
    original = BaseHandler.make_view_atomic

    def patched(self, view):
        view = original(self, view)
        wrapped.append(getattr(view, "__name__", view))
        return view

    monkeypatch.setattr(BaseHandler, "make_view_atomic", patched)
    app = AsyncDjangoApplication()
    got = run(loop, call(app, "/async/"))
    assert got.status_code == 200
    assert wrapped == ["async_view"]
