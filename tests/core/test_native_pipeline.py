"""ASYNC_LEGACY_PIPELINE = True: Django >= 3.1's ASGIHandler with async_legacy's pipeline inside.

Django's own handler code receives the request (scope, body, disconnects,
signals, send_response); the middleware/view path is the pipeline's. The
checks here: where hooks run (inline vs thread trips, counted), request_started
and request_finished on the request's thread, DB connection hygiene,
streaming, disconnects. Middleware order/exception semantics against Django's
own chain: tests/core/test_middleware.py runs the same list through both.
"""

import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_finished, request_started
from django.test import override_settings
from support.helpers import Peer, call_asgi, run
from testproject import gates
from testproject.settings import TYPICAL_STACK as TYPICAL

import async_legacy
from async_legacy.compat import DJANGO_VERSION, NATIVE_ASYNC
from async_legacy.lane import Lane

native = pytest.mark.skipif(not NATIVE_ASYNC, reason="opt-in pipeline: Django >= 3.1")

P = "testproject.middleware."


class CountingLane(Lane):
    """A lane that notes every trip to its thread: the pipeline's own
    (``run``) and asgiref's thread-sensitive ``sync_to_async`` (``submit``)."""

    __slots__ = ()
    trips = []

    async def _submit(self, exc, func, args, kwargs):
        CountingLane.trips.append(("run", getattr(func, "__name__", repr(func))))
        return await Lane._submit(self, exc, func, args, kwargs)

    def submit(self, fn, *args, **kwargs):
        CountingLane.trips.append(("sync_to_async", threading.get_ident()))
        return Lane.submit(self, fn, *args, **kwargs)


def pipeline_app(**settings):
    with override_settings(ASYNC_LEGACY_PIPELINE=True, **settings):
        app = async_legacy.get_asgi_application()
    app.lane_class = CountingLane
    del CountingLane.trips[:]
    return app


@native
def test_setting_selects_the_handler():
    from django.core.handlers.asgi import ASGIHandler

    from async_legacy.native import ThreadPerRequest
    from async_legacy.native_pipeline import PipelineASGIHandler

    assert isinstance(async_legacy.get_application(), ThreadPerRequest)  # default: Django's handler
    with override_settings(ASYNC_LEGACY_PIPELINE=True):
        for app in (async_legacy.get_application(), async_legacy.get_asgi_application()):
            assert type(app) is PipelineASGIHandler and isinstance(app, ASGIHandler)


def test_bad_setting_names_itself():
    # Checked on every Django (on < 3.1 the pipeline always serves).
    with override_settings(ASYNC_LEGACY_PIPELINE="yes"):
        with pytest.raises(ImproperlyConfigured, match=r"ASYNC_LEGACY_PIPELINE must be True .* got 'yes'"):
            async_legacy.get_application()


@native
def test_typical_stack_hooks_run_inline(loop):
    app = pipeline_app(MIDDLEWARE=TYPICAL)
    got = run(loop, call_asgi(app, "/hello/"))
    assert (got.status, got.body) == (200, b"hello")
    assert got.header("X-Frame-Options")  # XFrameOptionsMiddleware's response hook ran
    # No trip at all: the hooks run inline, and Django's handler code's own
    # sync_to_async (request_started, response.close() with request_finished)
    # calls only Django's I/O-free receivers, run on the loop.
    assert CountingLane.trips == []


@native
def test_blocking_hooks_take_one_trip_per_phase(events, loop):
    # Two project middleware whose hooks may block, next to each other: one
    # trip before the view and one after, not four.
    app = pipeline_app(MIDDLEWARE=TYPICAL + [P + "ClientTag", P + "Timing"])
    got = run(loop, call_asgi(app, "/hello/", headers=[(b"x-client", b"probe")]))
    assert (got.status, got.header("X-Client"), got.header("X-Timing")) == (200, "probe", "1")
    runs = [name for kind, name in CountingLane.trips if kind == "run"]
    assert runs == ["_request_phase", "_response_phase"]


@native
def test_sync_view_and_signals_share_the_request_thread(loop):
    seen = {}

    def started(**kwargs):
        seen.setdefault("started", []).append(threading.get_ident())

    def finished(**kwargs):
        seen.setdefault("finished", []).append(threading.get_ident())

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        app = pipeline_app(MIDDLEWARE=TYPICAL)
        got = run(loop, call_asgi(app, "/sync-db/"))
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    assert got.status == 200, got.body
    view_thread = int(got.body.decode().split("thread=")[1])
    assert view_thread != threading.get_ident()  # the sync view ran off the loop
    # Django's handler sends both signals through thread-sensitive
    # sync_to_async: with the lane as the request's executor, on its thread.
    assert seen == {"started": [view_thread], "finished": [view_thread]}


@native
def test_an_ended_requests_lane_is_freed(loop):
    # As on the legacy path (lane/test_lane): a lane kept by its own context
    # outlived its request through asgiref's executor table.
    import gc

    from asgiref.sync import SyncToAsync

    app = pipeline_app(MIDDLEWARE=TYPICAL + [P + "ClientTag", P + "Timing"])
    before = len(SyncToAsync.context_to_thread_executor)
    results = [run(loop, call_asgi(app, path)) for path in ["/sync-db/", "/hello/"] * 5]
    assert [r.status for r in results] == [200] * 10
    assert len(CountingLane.trips) >= 10  # the requests ran jobs on their lanes
    gc.collect()
    assert [o for o in gc.get_objects() if type(o) is CountingLane] == []
    assert len(SyncToAsync.context_to_thread_executor) <= before


@native
def test_connections_closed_or_kept_as_conn_max_age_says(loop):
    from django.db import connections

    wrappers = []

    def note(**kwargs):
        wrappers.append(connections["default"])  # this thread's wrapper

    request_finished.connect(note)
    try:
        app = pipeline_app(MIDDLEWARE=TYPICAL, ASYNC_LEGACY_THREADS=1)
        run(loop, call_asgi(app, "/sync-db/"))
        # CONN_MAX_AGE = 0 (the default): closed when the request finished.
        assert wrappers[0].connection is None
        original = connections["default"].settings_dict["CONN_MAX_AGE"]
        connections["default"].settings_dict["CONN_MAX_AGE"] = 60
        try:
            run(loop, call_asgi(app, "/sync-db/"))
            kept = wrappers[1].connection
            assert kept is not None  # persistent: kept on the long-lived thread
            run(loop, call_asgi(app, "/sync-db/"))
            assert wrappers[2] is wrappers[1] and wrappers[2].connection is kept  # and reused
        finally:
            connections["default"].settings_dict["CONN_MAX_AGE"] = original
    finally:
        request_finished.disconnect(note)
    # Leave no open connection on the lane thread for other tests.
    wrappers[1].inc_thread_sharing()
    try:
        wrappers[1].close()
    finally:
        wrappers[1].dec_thread_sharing()


@native
def test_streaming_responses(loop):
    app = pipeline_app(MIDDLEWARE=TYPICAL)
    got = run(loop, call_asgi(app, "/stream/sync/"))
    assert got.status == 200 and got.body.count(b";") == 3 and got.body.startswith(b"sync0@")
    if DJANGO_VERSION >= (4, 2):  # async iterators: Django 4.2+
        got = run(loop, call_asgi(app, "/stream/async/"))
        assert (got.status, got.body) == (200, b"chunk0;chunk1;chunk2;")


@native
@pytest.mark.skipif(DJANGO_VERSION < (5, 0), reason="Django's handler listens for disconnects from 5.0")
def test_disconnect_cancels_the_view_and_finishes_the_request(events, loop):
    finished = []

    def note(**kwargs):
        finished.append(True)

    request_finished.connect(note)
    try:
        app = pipeline_app(MIDDLEWARE=TYPICAL + [P + "sync_only"])
        peer = run(loop, call_asgi(app, "/slow/", peer=Peer(disconnect_when=lambda: "slow:started" in events)))
    finally:
        request_finished.disconnect(note)
    assert "slow:cancelled" in events  # in its 30 s sleep: cancelled, not slept out
    assert finished == [True]
    assert peer.sent == []  # nothing was answered
    # The sync-only middleware waited on the thread for the chain inside it:
    # that ended too, and the thread went back to the pool.
    run(loop, gates.until(lambda: app.lanes.busy == 0, "the thread back in the pool"))


@native
def test_unawaited_coroutine_from_a_sync_view_is_djangos_error(loop, caplog):
    # The legacy path awaits it (old plain decorators); Django >= 3.1 refuses it.
    app = pipeline_app(MIDDLEWARE=TYPICAL)
    with caplog.at_level("ERROR", logger="django.request"):
        got = run(loop, call_asgi(app, "/sync-coroutine/"))
    assert got.status == 500
    error = [r for r in caplog.records if r.exc_info][0].exc_info[1]
    assert "returned an unawaited coroutine instead" in str(error)
