"""The middleware contract around coroutine views equals Django's sync handler's.

Each scenario runs twice: Django's own WSGIHandler with a sync view, and
AsyncDjangoApplication with the same view written ``async def``. Status,
body, headers and the order of every middleware hook must match.
"""

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test import override_settings
from support.helpers import call, call_sync, run

#: The legacy pipeline's own code: deselected on Django >= 3.1, where Django's handler serves (tests/conftest.py).
pytestmark = pytest.mark.legacy_only

SCENARIOS = [
    {},
    {"short": "request"},
    {"raise": "request"},
    {"short": "view"},
    {"what": "404"},
    {"what": "403"},
    {"what": "400"},
    {"what": "500"},
    {"what": "500", "handle": "exception"},
    {"what": "none"},
    {"what": "template"},
    {"raise": "response"},
    {"what": "404", "raise": "response"},
]


def _normalise(events):
    return [e.replace("async-view", "VIEW").replace("sync-view", "VIEW") for e in events]


@pytest.mark.parametrize("query", SCENARIOS, ids=lambda q: "&".join("%s=%s" % i for i in q.items()) or "ok")
def test_same_as_django_sync_handler(app, events, loop, query):
    expected = call_sync(WSGIHandler(), "/sync/", query=query)
    expected_events = _normalise(events)
    del events[:]
    got = run(loop, call(app, "/async/", query=query))
    assert got.status == expected.status
    assert got.body.replace(b"/async/", b"/sync/") == expected.body
    assert got.header("X-Recorded") == expected.header("X-Recorded")
    assert _normalise(events) == expected_events
    assert expected_events  # the recorder did see the request


def test_typical_stack_headers_match(app, loop):
    expected = call_sync(WSGIHandler(), "/sync/")
    got = run(loop, call(app, "/async/"))
    names = lambda r: sorted(k for k, _ in r.headers)  # noqa: E731
    assert names(got) == names(expected)
    assert got.header("X-Frame-Options") == expected.header("X-Frame-Options")


def test_none_names_the_view(app, loop, caplog):
    got = run(loop, call(app, "/async/", query={"what": "none"}))
    assert got.status_code == 500
    assert any(
        "The view testproject.views.async_view didn't return an HttpResponse object. It returned None instead."
        in str(r.exc_info[1])
        for r in caplog.records
        if r.exc_info
    )


def test_non_response_names_the_view(app, loop, caplog):
    got = run(loop, call(app, "/dict/"))
    assert got.status_code == 500
    messages = [str(r.exc_info[1]) for r in caplog.records if r.exc_info]
    assert any(
        "testproject.views.returns_dict didn't return an HttpResponse object. It returned a dict" in m for m in messages
    )


def test_exception_signal_and_logging(app, loop, caplog):
    from django.core.signals import got_request_exception

    seen = []

    def receiver(sender, request, **kwargs):
        seen.append(request.path)

    got_request_exception.connect(receiver)
    try:
        got = run(loop, call(app, "/async/", query={"what": "500"}))
    finally:
        got_request_exception.disconnect(receiver)
    assert got.status_code == 500
    assert seen == ["/async/"]
    errors = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    assert errors and "ZeroDivisionError" in repr(errors[0].exc_info)


def test_security_logger_for_suspicious_operation(app, loop, caplog):
    got = run(loop, call(app, "/async/", query={"what": "400"}))
    assert got.status_code == 400
    assert any(r.name.startswith("django.security") for r in caplog.records)


def test_custom_404_template(app, loop):
    got = run(loop, call(app, "/async/", query={"what": "404"}))
    assert got.status_code == 404
    assert got.body.strip() == b"custom 404"


def test_debug_technical_500(loop):
    from async_legacy import AsyncDjangoApplication

    with override_settings(DEBUG=True):
        got = run(loop, call(AsyncDjangoApplication(), "/async/", query={"what": "500"}))
    assert got.status_code == 500
    assert b"ZeroDivisionError" in got.body and b"division by zero in view" in got.body


requires_new_style = pytest.mark.skipif(
    getattr(settings, "MIDDLEWARE", None) is None, reason="MIDDLEWARE_CLASSES has no function middleware"
)


@requires_new_style
@pytest.mark.parametrize("query", [{}, {"what": "500"}, {"short": "request"}, {"what": "template"}])
def test_opaque_middleware_wraps_coroutine_views(events, loop, query):
    from async_legacy import AsyncDjangoApplication

    stack = settings.TYPICAL_STACK + [
        "testproject.middleware.function_middleware",
        "testproject.middleware.CallOverride",
        "testproject.middleware.Recorder",
    ]
    with override_settings(MIDDLEWARE=stack):
        expected = call_sync(WSGIHandler(), "/sync/", query=query)
        expected_events = _normalise(events)
        del events[:]
        got = run(loop, call(AsyncDjangoApplication(), "/async/", query=query))
    assert got.status == expected.status
    assert got.header("X-Function") == "wrapped" == expected.header("X-Function")
    assert got.header("X-Call") == "overridden"
    assert _normalise(events) == expected_events


@requires_new_style
def test_exception_in_opaque_middleware_is_converted(loop):
    from async_legacy import AsyncDjangoApplication

    stack = ["testproject.middleware.function_middleware", "testproject.middleware.Recorder"]
    with override_settings(MIDDLEWARE=stack):
        got = run(loop, call(AsyncDjangoApplication(), "/async/", query={"raise": "response"}))
        expected = call_sync(WSGIHandler(), "/sync/", query={"raise": "response"})
    assert got.status == expected.status == "500 Internal Server Error"
    assert got.header("X-Function") == expected.header("X-Function") == "wrapped"


def test_legacy_middleware_classes_selected_when_configured():
    from async_legacy import compat

    expect_classes = compat.HAS_MIDDLEWARE_CLASSES and settings.MIDDLEWARE is None
    assert compat.uses_legacy_middleware_classes(settings) == expect_classes


def test_hooks_added_to_djangos_lists_after_loading_run_as_in_django(app, loop):
    # Django reads its hook lists per request; its own tests insert hooks
    # into a loaded handler's lists.
    from django.http import HttpResponse
    from django.utils.deprecation import MiddlewareMixin

    class Inserted(MiddlewareMixin):
        def process_view(self, request, view, args, kwargs):
            return HttpResponse("from the inserted hook")

        def process_request(self, request):
            request.inserted = True

    inserted = Inserted()
    app._view_middleware.insert(0, inserted.process_view)
    if hasattr(app, "_request_middleware") and app._request_middleware is not None:  # MIDDLEWARE_CLASSES
        app._request_middleware.insert(0, inserted.process_request)
    assert run(loop, call(app, "/hello/")).body == b"from the inserted hook"


def test_a_coroutine_render_is_awaited(loop):
    """A response whose render() is ``async def`` is awaited, as Django >= 3.1 does."""
    from async_legacy import AsyncDjangoApplication

    with override_settings(MIDDLEWARE=[] if settings.MIDDLEWARE is not None else None, MIDDLEWARE_CLASSES=[]):
        app = AsyncDjangoApplication()
        got = run(loop, call(app, "/lane/async-render/"))
    assert got.status_code == 200 and got.body == b"rendered by a coroutine"
