"""Datadog's ddtrace on our app, next to Django's own handler.

ddtrace's Django integration (enabled with ``import ddtrace.auto`` in the
served module, tests/ddtraceproject/served.py) patches Django's handler:
``BaseHandler.get_response`` opens the ``django.request`` span (rewritten in
place, see below), ``BaseHandler.load_middleware`` wraps every middleware's
hooks (``django.middleware`` spans), ``django.core.asgi.get_asgi_application``
wraps Django's ASGI handler in ddtrace's ASGI middleware, which opens the
request span on Django >= 3.1 (``BaseHandler.get_response_async`` only tags
it), views are wrapped as URL patterns are built (``django.view``),
``Template.render`` and database cursors get spans of their own.

Each server sends its traces to a fake agent on loopback
(ddtraceproject/agent.py). The reference is Django's own handler with the
same project: on the legacy path Django's WSGIHandler (gunicorn's sync
worker), against ours (``get_application()`` under the gaiohttp worker); on
Django >= 3.1 Django's ASGIHandler from ``django.core.asgi.
get_asgi_application()``, against ours with ``ASYNC_LEGACY_PIPELINE = True``
(the pipeline runs inside that handler; under ASGI ddtrace's middleware
spans are siblings under the request span, under WSGI they nest).

ddtrace patches Django in two ways the library must see (async_legacy.
entry_points): ``BaseHandler.get_response`` and ``load_middleware`` are
rewritten in place (the same function object, marked ``__dd_wrapped__``),
and on Django >= 3.1 ``django.core.asgi.get_asgi_application`` wraps the
handler in ddtrace's ASGI middleware, which opens each request's span
(``get_pipeline_application()`` builds its handler through it).

scripts/matrix.py installs ddtrace on py3.8-django2.2 and py3.12-django5.2;
elsewhere these tests skip.
"""

import concurrent.futures
import contextlib
import time
from urllib.parse import urlsplit

import pytest
import requests
from support.gunicorn_helpers import gunicorn

pytest.importorskip("ddtrace")
pytest.importorskip("msgpack")

import django  # noqa: E402
from ddtraceproject.agent import FakeAgent  # noqa: E402

NATIVE = django.VERSION >= (3, 1)
CLIENTS = 20
BOUND = 30
PAGES = ["/sync/page/", "/async/page/"]
FAILS = ["/sync/fail/", "/async/fail/"]


def _environment(agent, service):
    return {
        "DJANGO_SETTINGS_MODULE": "ddtraceproject.settings",
        "DD_SERVICE": service,
        "DD_TRACE_AGENT_URL": agent.url,
        "DD_TRACE_API_VERSION": "v0.4",
        "DD_TRACE_WRITER_INTERVAL_SECONDS": "0.1",
        "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
        "DD_REMOTE_CONFIGURATION_ENABLED": "false",
        "DD_CRASHTRACKING_ENABLED": "false",
        "DD_TRACE_STARTUP_LOGS": "false",
        "DD_DOGSTATSD_URL": "udp://127.0.0.1:9",  # nothing listens; nothing leaves loopback
    }


@contextlib.contextmanager
def serve(kind):
    """A gunicorn serving the project for ``kind`` ("ours" or "django"), with its agent."""
    with FakeAgent() as agent:
        env = _environment(agent, kind)
        if kind == "ours":
            app, settings = "ddtraceproject.served:application", {}
            if NATIVE:
                env["DDTRACE_PIPELINE"] = "1"
        elif NATIVE:
            app, settings = "ddtraceproject.served:django_asgi()", {}
        else:
            app, settings = "ddtraceproject.served:django_wsgi", {"worker_class": "sync"}
        with gunicorn(app, settings=settings, env=env) as server:
            server.agent = agent
            yield server


def view_name(path):
    """The view behind ``path`` ("/async/page/" -> "async_page")."""
    return path.strip("/").replace("/", "_")


def is_setup_query(span):
    """A query Django runs when it opens a connection, not the view's."""
    resource = span.get("resource", "")
    return resource.startswith("PRAGMA") or "sqlite_compileoption" in resource


def request_traces(agent, path):
    """The traces holding the ``django.view`` span of ``path``'s view."""
    view = "ddtraceproject.views." + view_name(path)
    return [
        spans
        for spans in agent.traces().values()
        if any(s["name"] == "django.view" and s.get("resource") == view for s in spans)
    ]


class Run:
    """What one server's agent received: one request per path, then
    ``CLIENTS`` concurrent requests per page."""

    def __init__(self, kind):
        self.kind = kind
        self.single = {}  # path -> the trace of one request
        self.concurrent = {}  # path -> the traces of CLIENTS concurrent requests
        self.strays = {}  # path -> traces of the concurrent run without a view span


def _record(kind):
    run = Run(kind)
    paths = PAGES + FAILS if NATIVE or kind == "ours" else ["/sync/page/", "/sync/fail/"]
    with serve(kind) as server:
        for path in paths:
            run.single[path] = _one_request(server, path)
        for path in paths:
            if "page" in path:
                run.concurrent[path], run.strays[path] = _concurrent_requests(server, path)
    return run


def _one_request(server, path):
    status = requests.get(server.base + path, timeout=BOUND).status_code
    assert status == (200 if "page" in path else 500), server.log()[-3000:]
    found = server.agent.wait(lambda: request_traces(server.agent, path))
    assert len(found) == 1, (path, server.log()[-3000:])
    return found[0]


def _concurrent_requests(server, path):
    """The traces of ``CLIENTS`` concurrent requests of ``path`` holding its
    view's span, and the other traces that came meanwhile."""
    agent = server.agent
    before = set(agent.traces())
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(lambda _: requests.get(server.base + path, timeout=BOUND).status_code, range(CLIENTS)))
    assert statuses == [200] * CLIENTS, server.log()[-3000:]
    agent.wait(lambda: len(request_traces(agent, path)) >= CLIENTS + 1)
    time.sleep(0.5)  # spans finishing after the view's trace was sent
    new = {tid: spans for tid, spans in agent.traces().items() if tid not in before}
    traces = [spans for spans in request_traces(agent, path) if spans[0]["trace_id"] in new]
    return traces, [spans for spans in new.values() if spans not in traces]


@pytest.fixture(scope="module")
def ours():
    return _record("ours")


@pytest.fixture(scope="module")
def reference():
    return _record("django")


def reference_path(path):
    """Django's WSGI handler before 3.1 serves no coroutine view: its sync twin stands in."""
    return path if NATIVE else path.replace("async", "sync")


def as_path(text, path):
    """``text`` from the reference's trace, told of ``path``'s view instead of its twin's."""
    twin = reference_path(path)
    if twin == path or not isinstance(text, str):
        return text
    return text.replace(twin.strip("/"), path.strip("/")).replace(view_name(twin), view_name(path))


def roots(spans):
    ids = {s["span_id"] for s in spans}
    return [s for s in spans if s.get("parent_id", 0) not in ids]


def root_shape(spans, path=None):
    """The trace's top spans: name, resource, status code, URL path, error flag."""
    shape = []
    for span in roots(spans):
        meta = span.get("meta", {})
        url = urlsplit(meta["http.url"]).path if "http.url" in meta else None
        shape.append((span["name"], span.get("resource"), meta.get("http.status_code"), url, span.get("error", 0)))
    if path is not None:
        shape = [tuple(as_path(x, path) for x in item) for item in shape]
    return sorted(shape, key=repr)


def child_shape(spans, path=None, parents=True):
    """Every span below the request span: name, resource, error flag and (with
    ``parents``) the span it hangs from ("<request>": the request span, or
    none)."""
    by_id = {s["span_id"]: s for s in spans}
    shape = []
    for span in spans:
        if span["name"] == "django.request" or is_setup_query(span):
            continue
        item = (span["name"], span.get("resource"), span.get("error", 0))
        if parents:
            parent = by_id.get(span.get("parent_id", 0))
            label = "<request>" if parent is None or parent["name"] == "django.request" else parent.get("resource")
            item += (label,)
        shape.append(item if path is None else tuple(as_path(x, path) for x in item))
    return sorted(shape, key=repr)


def test_djangos_handler_traces_each_request(reference):
    # The reference: what the tests below ask of ours, Django's own handler does.
    for path, spans in reference.single.items():
        (root,) = root_shape(spans)
        assert root[0] == "django.request" and root[3] == path and root[4] == (0 if "page" in path else 1), root
        names = {s["name"] for s in spans}
        assert {"django.middleware", "django.view"} <= names, names
        if "page" in path:
            assert any(s.get("resource") == "SELECT 42" for s in spans), child_shape(spans)
    for path, traces in reference.concurrent.items():
        assert len(traces) == CLIENTS and not reference.strays[path]
        for spans in traces:
            assert [r[:2] for r in root_shape(spans)] == [("django.request", "GET ^%s$" % path.lstrip("/"))]


@pytest.mark.parametrize("path", PAGES + FAILS)
def test_request_span_as_djangos(ours, reference, path):
    twin = reference.single[reference_path(path)]
    assert root_shape(ours.single[path]) == root_shape(twin, path)


@pytest.mark.parametrize("path", ["/sync/page/", "/sync/fail/"])
def test_sync_views_child_spans_as_djangos(ours, reference, path):
    # Middleware hooks, the view, the query and the template, hanging from
    # the same spans as under Django's handler.
    assert child_shape(ours.single[path]) == child_shape(reference.single[path])


@pytest.mark.parametrize("path", ["/async/page/", "/async/fail/"])
def test_coroutine_views_child_spans_as_djangos(ours, reference, path):
    if NATIVE:
        assert child_shape(ours.single[path]) == child_shape(reference.single[path])
        return
    if "fail" in path:
        pytest.skip("ddtrace 3.x ends a coroutine view's span before the coroutine runs: no error on it")
    # Against the sync twin on Django's handler. ddtrace 3.x ends a coroutine
    # view's span before the coroutine runs, so the query hangs from the
    # span around the view, not from it: same spans, parents not compared.
    spans = ours.single[path]
    assert child_shape(spans, parents=False) == child_shape(reference.single["/sync/page/"], path, parents=False)
    assert any(s["name"] == "django.template.render" for s in spans)


@pytest.mark.parametrize("path", PAGES)
def test_concurrent_requests_keep_their_spans_apart(ours, path):
    traces = ours.concurrent[path]
    assert len(traces) == CLIENTS, len(traces)
    assert not ours.strays[path], "%d traces of spans outside a request's trace" % len(ours.strays[path])
    alone = child_shape(ours.single[path], parents=False)
    for spans in traces:
        assert len({s["trace_id"] for s in spans}) == 1
        assert len(roots(spans)) == 1, root_shape(spans)  # every other span's parent is in its trace
        assert child_shape(spans, parents=False) == alone


@pytest.mark.parametrize("path", PAGES)
def test_concurrent_requests_each_get_their_request_span(ours, path):
    traces = ours.concurrent[path]
    assert len(traces) == CLIENTS
    for spans in traces:
        ((name, resource, status, url, error),) = root_shape(spans)
        assert (name, resource, status, url, error) == ("django.request", "GET ^%s$" % path.lstrip("/"), "200", path, 0)
