"""The thread lane: bounded, one thread per request, DB work never on the loop."""

import asyncio
import threading
import uuid

import pytest
from asgiref.sync import SyncToAsync
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import override_settings
from support.helpers import call, gather, lanes_idle, run
from testproject import gates

from async_legacy.lane import Lane, LanePool

#: The legacy pipeline's own code: deselected on Django >= 3.1, where Django's handler serves (tests/conftest.py).
pytestmark = pytest.mark.legacy_only


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
        loop, *[call(app, path) for path in ["/session/", "/sync-db/", "/hello/", "/protected/", "/async/"] * 10]
    )
    assert [r.status_code for r in results].count(500) == 0
    assert cursor_threads, "the scenario did reach the database"
    assert loop_thread not in cursor_threads


def test_logged_in_session_request_on_the_loop_stays_clean(app, loop, cursor_threads):
    from django.contrib.auth.models import User

    User.objects.filter(username="lane").delete()
    User.objects.create_user("lane", password="pw")
    try:
        login = run(loop, call(app, "/session/"))
        cookie = login.header("Set-Cookie").split(";")[0]
        loop_thread = threading.get_ident()
        cursor_threads.clear()  # the setup above ran on this thread
        # The session middleware and CSRF hooks must not load the session on the loop.
        results = gather(loop, *[call(app, "/async/", headers={"Cookie": cookie}) for _ in range(10)])
        assert all(r.status_code == 200 for r in results)
        assert loop_thread not in cursor_threads
    finally:
        User.objects.filter(username="lane").delete()  # other modules count users


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


# --- sync_to_async, ORM steps and waits: the request's own thread, given back when idle


def _json(response):
    import json

    assert response.status_code == 200, response.body[:2000]
    return json.loads(response.body.decode())


def test_sync_to_async_runs_on_the_requests_lane_and_overlaps(app, loop):
    """asgiref's thread-sensitive default no longer serialises the process."""
    from testproject import lane_views

    lane_views.ACTIVE.update(now=0, peak=0)
    # Each call waits until 8 run at once (twice: 16 calls): one thread would leave the first alone.
    lane_views.MEET["barrier"] = threading.Barrier(8, timeout=30)
    try:
        results = gather(loop, *[call(app, "/lane/s2a-sleep/") for _ in range(16)])
    finally:
        lane_views.MEET["barrier"] = None
    names = {_json(r)["name"] for r in results}
    assert all(name.startswith("async_legacy-lane-") for name in names), names
    # 16 requests, 8 lane threads in the test settings: 8 at once, not one.
    assert lane_views.ACTIVE["peak"] == 8
    run(loop, lanes_idle(app))
    assert app.lanes.busy == 0


def test_sync_to_async_orm_helpers_and_tasks_share_one_thread_and_connection(app, loop):
    got = _json(run(loop, call(app, "/lane/s2a-same-thread/")))
    threads = {t["ident"] for t in got["lane"]}
    assert len(threads) == 1, got
    assert got["lane"][0]["name"].startswith("async_legacy-lane-")
    assert got["connections"] == 1
    # thread_sensitive=False keeps asgiref's meaning: the loop's default executor.
    assert not got["unsensitive"]["name"].startswith("async_legacy-lane-")


def test_async_to_sync_from_the_lane_gets_back_to_the_loop(app, loop):
    got = _json(run(loop, call(app, "/lane/async-to-sync/")))
    assert got["loop"] == got["view"]  # the coroutine ran on the request's loop
    assert got["caller"]["name"].startswith("async_legacy-lane-")
    assert got["nested"] == got["caller"]  # and hopped back onto the same lane thread


@pytest.fixture
def releasing_app():
    """An application whose requests give their thread back while they await
    (ASYNC_LEGACY_THREAD_AFFINITY = False, the opt-in mode)."""
    from async_legacy import AsyncDjangoApplication

    with override_settings(ASYNC_LEGACY_THREAD_AFFINITY=False):
        return AsyncDjangoApplication()


def test_a_long_poll_holds_no_thread_while_it_waits_without_affinity(releasing_app, loop):
    """40 polls (read, then wait at the test's gate) on 8 threads: all wait at once, holding none."""
    app = releasing_app
    key = "poll-%s" % uuid.uuid4().hex

    async def scenario():
        polls = [asyncio.ensure_future(call(app, "/lane/gated-poll/", query={"key": key})) for _ in range(40)]
        try:
            # Each read its row and waits: holding their threads, only 8 could.
            await gates.arrived(key, 40)
            await gates.until(lambda: app.lanes.busy == 0, "no thread held while 40 polls wait")
        finally:
            gates.release(key)
        return await asyncio.gather(*polls)

    results = run(loop, scenario())
    assert [r.status_code for r in results] == [200] * 40


def test_a_burst_of_blocking_steps_keeps_one_thread_and_one_connection(loop):
    from django.db import connections
    from django.db.backends.signals import connection_created

    from async_legacy import AsyncDjangoApplication

    created = []
    database = connections.databases["default"]
    saved = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    connection_created.connect(lambda **kw: created.append(1), dispatch_uid="t-burst", weak=False)
    try:
        app = AsyncDjangoApplication()
        got = _json(run(loop, call(app, "/lane/burst/")))
        run(loop, lanes_idle(app))
    finally:
        connection_created.disconnect(dispatch_uid="t-burst")
        database["CONN_MAX_AGE"] = saved
    assert len({s["ident"] for s in got["steps"]}) == 1
    assert len(created) == 1  # as Django's sync handler: one connection for the request


def test_thread_idle_setting_zero_gives_the_thread_back_at_once(loop):
    from async_legacy import AsyncDjangoApplication

    with override_settings(ASYNC_LEGACY_THREAD_IDLE=0, ASYNC_LEGACY_THREAD_AFFINITY=False):
        app = AsyncDjangoApplication()

    async def scenario():
        lane = Lane(app.lanes)
        await lane.run(int)
        held = lane.used
        await lane.close()
        return held

    assert run(loop, scenario()) is False


@pytest.mark.parametrize("value", [-1, "0.1", True, 61])
def test_thread_idle_setting_is_checked(value):
    from async_legacy import AsyncDjangoApplication

    with override_settings(ASYNC_LEGACY_THREAD_IDLE=value):
        with pytest.raises(ValueError) as info:
            AsyncDjangoApplication()
    assert "ASYNC_LEGACY_THREAD_IDLE must be a number of seconds" in str(info.value)


def test_concurrent_first_steps_of_one_request_take_one_thread(loop):
    """Two gathered steps of one request while it holds no thread: one is taken, none leaked."""
    pool = LanePool(4, idle=0.005)

    async def scenario():
        lane = Lane(pool)
        idents = await asyncio.gather(lane.run(threading.get_ident), lane.run(threading.get_ident))
        await lane.close()
        return idents

    first, second = run(loop, scenario())
    assert first == second
    assert len(pool._threads) == 1
    run(loop, gates.until(lambda: pool.busy == 0, "the thread back in the pool"))


def test_a_pinned_lane_keeps_its_thread_however_idle(loop):
    pool = LanePool(2, idle=0.01, affinity=False)
    lane = Lane(pool)

    async def steps():
        lane.pin()
        first = await lane.run(threading.get_ident)
        await asyncio.sleep(0.2)  # 20 idle periods
        held = lane.used
        second = await lane.run(threading.get_ident)
        lane.unpin()
        for _ in range(1000):  # the idle rule gives it back within a few periods (a guard of 10 s)
            if not lane.used:
                break
            await asyncio.sleep(0.01)
        return first, second, held, lane.used

    first, second, held, used_after = run(loop, steps())
    assert held and first == second
    assert not used_after
    with pytest.raises(RuntimeError, match="unpin"):
        lane.unpin()


def test_a_quick_job_is_waited_for_in_place(loop, monkeypatch):
    """A short job's result comes back without the loop running anything else
    meanwhile (no thread switch through the loop); a slow one lets the loop serve."""
    import time

    from async_legacy.lane import wait as lane_module

    pool = LanePool(2, idle=0.005)

    async def scenario():
        lane = Lane(pool)
        await lane.run(int)  # the thread is taken (first job)
        in_place = []
        # On a crowded machine a woken thread may miss the 0.5 ms wait: a few tries,
        # each with a fresh record of what ran out.
        for _ in range(20):
            monkeypatch.setattr(lane_module, "_in_place", lane_module._InPlace())
            ran = []
            loop.call_soon(ran.append, "other")
            await lane.run(int)
            in_place.append(ran == [])
            if in_place[-1]:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)
        ran = []
        loop.call_soon(ran.append, "other")
        await lane.run(time.sleep, 0.05)  # outlasts the in-place wait
        slow_let_loop_serve = ran == ["other"]
        await lane.close()
        return any(in_place), slow_let_loop_serve

    assert run(loop, scenario()) == (True, True)


def test_a_slow_kind_of_job_is_then_awaited_through_the_loop(loop, monkeypatch):
    """After one run of a function outlasted the in-place wait, its next runs do
    not block the loop even briefly: other callbacks run while each is on the thread."""
    import time

    from async_legacy.lane import wait as lane_module

    monkeypatch.setattr(lane_module, "_in_place", lane_module._InPlace())
    pool = LanePool(2, idle=0.005)

    def slowish():
        time.sleep(0.002)

    async def scenario():
        lane = Lane(pool)
        await lane.run(slowish)  # outlasts 0.5 ms: marked slow
        served = []
        for _ in range(3):
            loop.call_soon(served.append, 1)
            await lane.run(slowish)
        await lane.close()
        return served

    assert run(loop, scenario()) == [1, 1, 1]


def test_a_job_failure_comes_back_from_an_in_place_wait(loop):
    pool = LanePool(1, idle=0.005)

    def boom():
        raise KeyError("from the lane")

    async def scenario():
        lane = Lane(pool)
        try:
            await lane.run(boom)
        finally:
            await lane.close()

    with pytest.raises(KeyError, match="from the lane"):
        run(loop, scenario())


def test_a_thread_without_a_connection_goes_back_without_a_trip(loop):
    """The release hygiene (close_old_connections) runs on the thread only when
    it holds an open connection: with one, it is closed (CONN_MAX_AGE = 0)."""
    from django.db import connection, connections

    from async_legacy import AsyncDjangoApplication

    app = AsyncDjangoApplication()
    hygiene = []
    original = app.lanes.on_release

    def counted():
        hygiene.append(threading.current_thread().name)
        original()

    app.lanes.on_release = counted

    async def request(func):
        lane = Lane(app.lanes)
        await lane.run(func)
        lane.close_now()
        await asyncio.sleep(0.05)

    def query():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    def is_open():
        return connection.connection is not None

    database = connections.databases["default"]
    saved = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    try:
        run(loop, request(int))
        assert hygiene == [] and app.lanes.busy == 0  # no connection: straight back
        run(loop, request(query))
        assert len(hygiene) == 1 and hygiene[0].startswith("async_legacy-lane-")  # ran there...
        lane = Lane(app.lanes)
        assert run(loop, lane.run(is_open)) is False  # ...and closed it
        run(loop, lane.close())
    finally:
        database["CONN_MAX_AGE"] = saved


def test_an_idle_thread_goes_back_at_once_when_others_wait(loop):
    """With every thread held idle by requests that have moved on to a long
    wait, a new request gets one at once, not after the idle grace."""
    pool = LanePool(2, idle=30, affinity=False)  # a grace far longer than the test

    async def holder(started, done):
        lane = Lane(pool)
        lane.enter()
        await lane.run(int)
        started.append(1)
        await done.wait()  # a long wait: the thread is idle
        lane.close_now()

    async def scenario():
        started, done = [], asyncio.Event()
        holders = [asyncio.ensure_future(holder(started, done)) for _ in range(2)]
        while len(started) < 2:
            await asyncio.sleep(0.001)
        assert pool.busy == 2  # both idle threads still held (the grace)
        lane = Lane(pool)
        try:
            # The holders let go only after this: had it waited for one of
            # their threads (or for the 30 s grace), the guard ends it.
            await asyncio.wait_for(lane.run(int), 10)
        finally:
            done.set()
        await lane.close()
        await asyncio.gather(*holders)

    run(loop, scenario())


FRAMES = ["testproject.middleware.function_middleware", "testproject.middleware.CallOverride"]
LOCAL = ["testproject.middleware.RequestInThreadLocal"]


@pytest.mark.parametrize("affinity", [True, False])
def test_middleware_frames_never_deadlock_the_pool(loop, affinity):
    """Function and __call__ middleware wait on their thread for the rest of
    the chain (a coroutine view, then a TemplateResponse rendered on a thread):
    3x ASYNC_LEGACY_THREADS such requests at once are all answered."""
    from django.conf import settings

    from async_legacy import AsyncDjangoApplication

    if settings.MIDDLEWARE is None:
        pytest.skip("function middleware needs settings.MIDDLEWARE")
    with override_settings(MIDDLEWARE=FRAMES + LOCAL, ASYNC_LEGACY_THREADS=2, ASYNC_LEGACY_THREAD_AFFINITY=affinity):
        app = AsyncDjangoApplication()

        async def scenario():
            calls = [call(app, "/lane/template-after-wait/", query={"s": "0.2"}) for _ in range(6)]
            return await asyncio.wait_for(asyncio.gather(*calls), 20)  # a deadlock never ends

        results = run(loop, scenario())
    assert [r.status_code for r in results] == [200] * 6
    assert all(r.header("X-Function") == "wrapped" and r.header("X-Call") == "overridden" for r in results)
    run(loop, lanes_idle(app))
    assert app.lanes.busy == 0


def test_a_requests_sync_code_sees_its_own_thread_locals(loop):
    """With affinity (the default) every sync step of a request runs on one
    thread: a thread-local set in process_request is the request's own in a
    sync_to_async call after an await, and in process_response."""
    from async_legacy import AsyncDjangoApplication

    with override_settings(MIDDLEWARE=LOCAL):
        app = AsyncDjangoApplication()
        calls = [
            call(app, "/lane/template-after-wait/", query={"s": "0.05"}, headers={"X-User": "user-%d" % i})
            for i in range(10)
        ]
        results = gather(loop, *calls)
    assert [r.header("X-Local-User") for r in results] == ["user-%d" % i for i in range(10)]
    assert [r.header("X-Local-At-Response") for r in results] == ["own"] * 10
    for r in results:
        hooks = set(r.header("X-Hook-Threads").split(","))
        assert hooks == {r.header("X-Sync-Thread")}, (hooks, r.header("X-Sync-Thread"))


def test_without_affinity_thread_locals_may_be_another_requests(loop):
    """What ASYNC_LEGACY_THREAD_AFFINITY = False gives up (documented): with
    fewer threads than requests, a thread-local set before an await is gone
    or another request's after it."""
    from async_legacy import AsyncDjangoApplication

    with override_settings(MIDDLEWARE=LOCAL, ASYNC_LEGACY_THREADS=2, ASYNC_LEGACY_THREAD_AFFINITY=False):
        app = AsyncDjangoApplication()
        calls = [
            call(app, "/lane/template-after-wait/", query={"s": "0.05"}, headers={"X-User": "user-%d" % i})
            for i in range(10)
        ]
        results = gather(loop, *calls)
    assert [r.status_code for r in results] == [200] * 10
    assert [r.header("X-Local-User") for r in results] != ["user-%d" % i for i in range(10)]


@pytest.mark.parametrize("path", ["/lane/template-after-wait/", "/sync-db/"])
@pytest.mark.parametrize("frames", [[], FRAMES])
def test_a_contextvar_set_in_process_request_resets_with_its_token(loop, path, frames):
    """process_request and process_response of one middleware run in one
    context, as in Django's sync handler, also nested in middleware frames."""
    from django.conf import settings

    from async_legacy import AsyncDjangoApplication

    if frames and settings.MIDDLEWARE is None:
        pytest.skip("function middleware needs settings.MIDDLEWARE")
    with override_settings(MIDDLEWARE=frames + ["testproject.middleware.ContextVarToken"]):
        app = AsyncDjangoApplication()
        got = run(loop, call(app, path, query={"s": "0"}))
    assert got.status_code == 200, got.body[:500]
    assert got.header("X-Var-Reset") == "yes"


@pytest.mark.parametrize("path", ["/lane/template-after-wait/", "/sync-db/"])
def test_an_ended_requests_lane_and_context_are_freed(loop, path):
    """Nothing keeps a request's lane once it has ended: its context holds
    asgiref's key to the lane's entry in a WeakKeyDictionary whose value holds
    the lane, so a lane keeping that context lived as long as the process
    (every request that ran a job leaked its lane, context and thread-sensitive
    entry)."""
    import gc
    import weakref

    from asgiref.sync import SyncToAsync
    from django.conf import settings

    from async_legacy import AsyncDjangoApplication

    frames = FRAMES if settings.MIDDLEWARE is not None else []
    made = []

    class Recorded(Lane):
        __slots__ = ("__weakref__",)

        def __init__(self, pool):
            super().__init__(pool)
            made.append(weakref.ref(self))

    with override_settings(MIDDLEWARE=frames + LOCAL):
        app = AsyncDjangoApplication()
        app.lane_class = Recorded
        before = len(SyncToAsync.context_to_thread_executor)
        results = gather(loop, *[call(app, path, query={"s": "0.01"}) for _ in range(20)])
        run(loop, lanes_idle(app))
    assert [r.status_code for r in results] == [200] * 20
    assert len(made) == 20
    del results
    gc.collect()
    assert [ref for ref in made if ref() is not None] == []
    assert len(SyncToAsync.context_to_thread_executor) <= before


def test_unused_threads_beyond_the_kept_ones_retire_and_close_their_connections(loop, monkeypatch):
    """Threads started for a burst do not stay forever with an open persistent
    connection each: beyond KEEP_THREADS, unused ones close it and exit."""
    from django.db import connection, connections

    from async_legacy import AsyncDjangoApplication
    from async_legacy.lane import pool as lane_module

    monkeypatch.setattr(lane_module, "KEEP_THREADS", 1)
    monkeypatch.setattr(lane_module, "RETIRE_AFTER", 0.1)
    app = AsyncDjangoApplication()
    retired = []
    original = app.lanes.on_retire

    def counted():
        original()
        retired.append(connection.connection is None)  # on the retiring thread

    app.lanes.on_retire = counted

    def query():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return threading.current_thread()

    async def scenario():
        lanes = [Lane(app.lanes) for _ in range(4)]
        threads = await asyncio.gather(*[lane.run(query) for lane in lanes])
        for lane in lanes:
            lane.close_now()
        for _ in range(500):  # retired 0.1 s after, checked every 0.025 s (a guard of 10 s)
            await asyncio.sleep(0.02)
            if app.lanes.threads == 1 and sum(t.is_alive() for t in threads) == 1:
                break
        return threads

    database = connections.databases["default"]
    saved = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 600  # persistent: kept open by the release hygiene
    try:
        threads = run(loop, scenario())
    finally:
        database["CONN_MAX_AGE"] = saved
    assert len(set(threads)) == 4
    assert app.lanes.threads == 1
    assert sum(t.is_alive() for t in threads) == 1
    assert retired == [True, True, True]


def test_signal_receivers_run_on_the_requests_thread(loop):
    """A project's request_started / request_finished receivers (not Django's
    own I/O-free ones) run on the thread the request's hooks run on."""
    from django.core import signals

    from async_legacy import AsyncDjangoApplication

    seen = {}

    def started(**kwargs):
        seen["started"] = threading.get_ident()

    def finished(**kwargs):
        seen["finished"] = threading.get_ident()

    signals.request_started.connect(started, dispatch_uid="t-affinity-started")
    signals.request_finished.connect(finished, dispatch_uid="t-affinity-finished")
    try:
        with override_settings(MIDDLEWARE=LOCAL):
            app = AsyncDjangoApplication()
            got = run(loop, call(app, "/lane/template-after-wait/", query={"s": "0.01"}, headers={"X-User": "u"}))
    finally:
        signals.request_started.disconnect(dispatch_uid="t-affinity-started")
        signals.request_finished.disconnect(dispatch_uid="t-affinity-finished")
    hooks = set(got.header("X-Hook-Threads").split(","))
    assert hooks == {str(seen["started"])} == {str(seen["finished"])} == {got.header("X-Sync-Thread")}


def test_a_client_leaving_unwinds_middleware_frames_without_a_logged_error(loop, caplog):
    """The server cancels a request whose client left: the function and __call__
    middleware frames waiting on its thread unwind, with no 500 logged."""
    from django.conf import settings

    from async_legacy import AsyncDjangoApplication

    if settings.MIDDLEWARE is None:
        pytest.skip("function middleware needs settings.MIDDLEWARE")
    with override_settings(MIDDLEWARE=FRAMES):
        app = AsyncDjangoApplication()

        async def scenario():
            request = asyncio.ensure_future(call(app, "/lane/template-after-wait/", query={"s": "30"}))
            await asyncio.sleep(0.3)
            request.cancel()
            with pytest.raises(asyncio.CancelledError):
                await request
            await lanes_idle(app)

        run(loop, scenario())
    assert app.lanes.busy == 0
    assert "Internal Server Error" not in caplog.text


def test_sync_to_async_after_the_lane_closed_goes_to_asgirefs_own_thread(loop):
    # A task the request left running after its response: its thread-sensitive
    # sync_to_async goes where asgiref sends it outside any request, not to the
    # closed lane (whose thread is back in the pool, maybe another request's).
    pool = LanePool(1)

    async def scenario():
        lane = Lane(pool)
        lane.enter()
        on_lane = await lane.run(threading.get_ident)
        await lane.close()
        future = lane.submit(threading.get_ident)
        return on_lane, await asyncio.wrap_future(future)

    on_lane, after = run(loop, scenario())
    assert after != on_lane
    assert after == SyncToAsync.single_thread_executor.submit(threading.get_ident).result(timeout=5)
