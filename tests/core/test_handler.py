"""AsyncDjangoApplication as a coroutine-WSGI app: views of every kind,
streaming, request bodies, cancellation, and being called by the wrong server."""

import asyncio
import threading
import uuid

import pytest
from django.core import signals
from django.test import override_settings
from support.helpers import call, environ, gather, lanes_idle, run
from testproject import gates

#: The legacy pipeline's own code: deselected on Django >= 3.1, where Django's handler serves (tests/conftest.py).
pytestmark = pytest.mark.legacy_only


def test_async_function_view(app, loop):
    got = run(loop, call(app, "/hello/"))
    assert (got.status_code, got.body) == (200, b"hello")


def test_sync_view_runs_on_the_lane(app, loop):
    got = run(loop, call(app, "/thread/"))
    assert got.body.startswith(b"async_legacy-lane-")


def test_async_cbv_and_mixed_cbv(app, loop):
    assert run(loop, call(app, "/cbv/")).body == b"cbv get"
    post = run(loop, call(app, "/cbv/", method="POST", body=b"x=1", content_type="application/x-www-form-urlencoded"))
    assert post.status_code == 403  # CSRF still protects async views
    assert run(loop, call(app, "/mixed-cbv/")).body.startswith(b"sync get on async_legacy-lane-")
    assert run(loop, call(app, "/cbv/", method="TRACE")).status_code == 405  # safe, not defined


def test_dispatch_override_returning_coroutine(app, loop):
    assert run(loop, call(app, "/dispatch-cbv/")).body == b"dispatched"
    assert run(loop, call(app, "/dispatch-cbv/", query={"deny": 1})).status_code == 403


def test_decorators_hiding_async_def(app, loop):
    anonymous = run(loop, call(app, "/protected/"))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.header("Location")
    assert run(loop, call(app, "/post-only/")).status_code == 405
    posted = run(
        loop, call(app, "/post-only/", method="POST", body=b"x=42", content_type="application/x-www-form-urlencoded")
    )
    assert (posted.status_code, posted.body) == (200, b"posted 42")


def test_sync_view_returning_coroutine_is_awaited(app, loop):
    assert run(loop, call(app, "/sync-coroutine/")).body == b"hello"


def test_generator_based_coroutine(app, loop):
    assert run(loop, call(app, "/generator/")).body == b"generator-based"


def test_views_run_concurrently(loop):
    from async_legacy import AsyncDjangoApplication

    # A thread for each (the test settings' pool of 8 would make 7 waves).
    with override_settings(ASYNC_LEGACY_THREADS=50):
        app = AsyncDjangoApplication()
    key = "concurrently-%s" % uuid.uuid4().hex

    async def scenario():
        requests = [asyncio.ensure_future(call(app, "/gated/", query={"key": key})) for _ in range(50)]
        try:
            # All 50 views inside at once: one at a time, the first would wait alone.
            await gates.arrived(key, 50)
        finally:
            gates.release(key)
        return await asyncio.gather(*requests)

    results = run(loop, scenario())
    assert all(r.body == b"hello" for r in results)


def test_streaming_async_iterator(app, loop):
    got = run(loop, call(app, "/stream/async/"))
    assert got.body == b"chunk0;chunk1;chunk2;"


def test_streaming_sync_iterator_consumed_off_the_loop(app, loop):
    got = run(loop, call(app, "/stream/sync/"))
    assert got.body == b"sync0@async_legacy;sync1@async_legacy;sync2@async_legacy;"


def test_file_response(app, loop):
    import testproject.views

    got = run(loop, call(app, "/file/"))
    with open(testproject.views.__file__, "rb") as f:
        assert got.body == f.read()


def test_data_upload_max_memory_size_gives_400(app, loop):
    from django.test import override_settings

    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        got = run(
            loop,
            call(
                app,
                "/post-only/",
                method="POST",
                body=b"x=" + b"1" * 5000,
                content_type="application/x-www-form-urlencoded",
            ),
        )
    assert got.status_code == 400


def test_called_by_plain_wsgi_server(app):
    started = {}
    body = app(environ("/hello/", coroutine=False), lambda s, h: started.update(status=s))
    assert started["status"].startswith("500")
    message = b"".join(body).decode()
    assert "gaiohttp" in message and "AsyncDjangoApplication" in message


def test_request_finished_fires_once_per_request(app, loop):
    fired = []

    def receiver(sender, **kwargs):
        fired.append(threading.get_ident())

    signals.request_finished.connect(receiver)
    try:
        gather(loop, call(app, "/hello/"), call(app, "/thread/"), call(app, "/nope/"))
    finally:
        signals.request_finished.disconnect(receiver)
    assert len(fired) == 3


def test_cancelled_request_cleans_up(app, loop, events):
    finished = []
    signals.request_finished.connect(lambda sender, **kw: finished.append(1), weak=False, dispatch_uid="t-cancel")
    try:

        async def scenario():
            task = asyncio.ensure_future(call(app, "/slow/"))
            await gates.until(lambda: "slow:started" in events, "the view started")
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.sleep(0.1)

        run(loop, scenario())
    finally:
        signals.request_finished.disconnect(dispatch_uid="t-cancel")
    assert "slow:cancelled" in events
    assert finished == [1]
    assert app.lanes.busy == 0  # the lane went back to the pool


def test_cancelled_while_on_the_lane_releases_the_thread(app, loop):

    async def scenario():
        task = asyncio.ensure_future(call(app, "/sync-db/"))
        await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        for _ in range(50):
            if app.lanes.busy == 0:
                return True
            await asyncio.sleep(0.02)
        return False

    assert run(loop, scenario())


def test_atomic_requests_with_async_view_is_an_error(loop, caplog):
    from django.db import connections

    from async_legacy import AsyncDjangoApplication

    connections.databases["default"]["ATOMIC_REQUESTS"] = True
    try:
        app = AsyncDjangoApplication()
        got = run(loop, call(app, "/hello/"))
        ok = run(loop, call(app, "/non-atomic/"))
        sync = run(loop, call(app, "/sync-db/"))
    finally:
        connections.databases["default"]["ATOMIC_REQUESTS"] = False
    assert got.status_code == 500
    message = [str(r.exc_info[1]) for r in caplog.records if r.exc_info][0]
    assert "testproject.views.hello is asynchronous" in message and "ATOMIC_REQUESTS" in message
    assert "non_atomic_requests" in message
    assert ok.body == b"non-atomic ok"
    assert sync.status_code == 200  # sync views still get their transaction


def test_transaction_atomic_decorator_on_async_view_is_an_error(app, loop, caplog):
    got = run(loop, call(app, "/atomic/"))
    assert got.status_code == 500
    message = [str(r.exc_info[1]) for r in caplog.records if r.exc_info][0]
    assert "@transaction.atomic" in message and "atomic_decorated" in message


def test_session_saved_on_the_lane(app, loop):
    from django.contrib.sessions.models import Session

    before = Session.objects.count()
    got = run(loop, call(app, "/session/"))
    assert got.status_code == 200 and "sessionid=" in got.header("Set-Cookie")
    assert Session.objects.count() == before + 1


def test_cancel_reaches_the_view_inside_opaque_middleware(loop, events):
    """The view runs on the loop, called back from a function middleware on the lane."""
    from django.conf import settings
    from django.test import override_settings

    from async_legacy import AsyncDjangoApplication

    if settings.MIDDLEWARE is None:
        pytest.skip("function middleware needs settings.MIDDLEWARE")
    with override_settings(MIDDLEWARE=["testproject.middleware.function_middleware"]):
        app = AsyncDjangoApplication()

        async def scenario():
            task = asyncio.ensure_future(call(app, "/slow/"))
            await gates.until(lambda: "slow:started" in events, "the view started")
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await lanes_idle(app)

        run(loop, scenario())
    # Cancelled in its 30 s sleep (the view notes it), not slept out.
    assert "slow:cancelled" in events
    assert app.lanes.busy == 0


def test_a_request_served_inside_another_gives_the_outer_its_lane_back(app, loop):
    from async_legacy.lane import current_lane

    outer = object()  # the lane of the request whose view makes this one

    async def outer_view():
        current_lane.set(outer)
        got = await call(app, "/hello/")
        return got.body, current_lane.get()

    assert run(loop, outer_view()) == (b"hello", outer)
