"""The thread lane: bounded, one thread per request, DB work never on the loop."""
import asyncio
import threading

import pytest
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import override_settings

from async_legacy.lane import Lane, LanePool
from helpers import call, gather, lanes_idle, run


@pytest.fixture
def cursor_threads():
    """Threads that opened a DB cursor during the test."""
    seen = set()
    original = BaseDatabaseWrapper.cursor

    def cursor(self):
        seen.add(threading.get_ident())
        return original(self)

    BaseDatabaseWrapper.cursor = cursor
    yield seen
    BaseDatabaseWrapper.cursor = original


def test_pool_size_is_a_bound(app, loop):
    results = gather(loop, *[call(app, "/thread/") for _ in range(40)])
    names = {r.body for r in results}
    assert all(name.startswith(b"async_legacy-lane-") for name in names)
    assert 1 <= len(names) <= 8  # ASYNC_LEGACY_THREADS in the test settings


def test_one_thread_per_request_for_opaque_middleware_and_view(loop):
    from django.conf import settings
    from async_legacy import AsyncDjangoApplication

    if settings.MIDDLEWARE is None:
        pytest.skip("function middleware needs settings.MIDDLEWARE")
    with override_settings(MIDDLEWARE=["testproject.middleware.function_middleware"]):
        app = AsyncDjangoApplication()
        got = run(loop, call(app, "/sync-db/"))
    view_thread = int(got.body.split(b"thread=")[1])
    from testproject.middleware import THREADS

    assert THREADS["function:before"] == THREADS["function:after:200"] == view_thread


def test_loop_thread_never_opens_a_cursor(app, loop, cursor_threads):
    """Typical stack, sessions written, sync ORM views: the loop stays clean."""
    loop_thread = threading.get_ident()
    results = gather(
        loop,
        *[call(app, path) for path in ["/session/", "/sync-db/", "/hello/", "/protected/", "/async/"] * 10]
    )
    assert [r.status_code for r in results].count(500) == 0
    assert cursor_threads, "the scenario did reach the database"
    assert loop_thread not in cursor_threads


def test_logged_in_session_request_on_the_loop_stays_clean(app, loop, cursor_threads):
    from django.contrib.auth.models import User

    User.objects.filter(username="lane").delete()
    User.objects.create_user("lane", password="pw")
    login = run(loop, call(app, "/session/"))
    cookie = login.header("Set-Cookie").split(";")[0]
    loop_thread = threading.get_ident()
    cursor_threads.clear()  # the setup above ran on this thread
    # The session middleware and CSRF hooks must not load the session on the loop.
    results = gather(loop, *[call(app, "/async/", headers={"Cookie": cookie}) for _ in range(10)])
    assert all(r.status_code == 200 for r in results)
    assert loop_thread not in cursor_threads


def test_lane_pool_rejects_a_bad_size():
    with pytest.raises(ValueError) as info:
        LanePool(0)
    assert "ASYNC_LEGACY_THREADS must be a positive integer" in str(info.value)


def test_lane_context_flows_both_ways(loop):
    import contextvars

    var = contextvars.ContextVar("v")
    pool = LanePool(1)

    async def scenario():
        lane = Lane(pool)
        var.set("from loop")
        seen = await lane.run(var.get)
        await lane.run(var.set, "from lane")
        after = var.get()
        await lane.close()
        return seen, after

    assert run(loop, scenario()) == ("from loop", "from lane")


def test_waiters_get_threads_in_turn(loop):
    pool = LanePool(2)
    active = []
    peak = []

    def work():
        active.append(1)
        peak.append(len(active))
        import time

        time.sleep(0.02)
        active.pop()

    async def one():
        lane = Lane(pool)
        await lane.run(work)
        await lane.close()

    run(loop, asyncio.gather(*[one() for _ in range(10)]))
    assert max(peak) <= 2 and len(peak) == 10


@pytest.mark.parametrize("max_age, expected_connections", [(60, 1), (0, 3)])
def test_conn_max_age_is_honoured_on_the_lane(loop, max_age, expected_connections):
    """Persistent connections live on the long-lived lane thread and are reused;
    with CONN_MAX_AGE=0 each request closes its own at request_finished."""
    from django.db import connections
    from django.db.backends.signals import connection_created

    from async_legacy import AsyncDjangoApplication

    created = []

    def count(sender, connection, **kwargs):
        created.append(threading.get_ident())

    database = connections.databases["default"]
    saved = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = max_age
    connection_created.connect(count, dispatch_uid="t-conn-max-age")
    try:
        with override_settings(ASYNC_LEGACY_THREADS=1):
            app = AsyncDjangoApplication()
        for _ in range(3):  # one after the other, on the pool's only thread
            assert run(loop, call(app, "/sync-db/")).status_code == 200
    finally:
        connection_created.disconnect(dispatch_uid="t-conn-max-age")
        database["CONN_MAX_AGE"] = saved
    assert len(created) == expected_connections
    assert len(set(created)) == 1


def test_async_orm_in_a_coroutine_view_runs_on_the_lane(app, loop, cursor_threads):
    loop_thread = threading.get_ident()
    results = gather(loop, *[call(app, "/modern/count/") for _ in range(20)])
    assert all(r.status_code == 200 and r.body.startswith(b"users=") for r in results)
    assert cursor_threads and loop_thread not in cursor_threads
    run(loop, lanes_idle(app))
    assert app.lanes.busy == 0
