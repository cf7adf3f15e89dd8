"""Database hygiene on a real PostgreSQL server: after many requests of every
kind (sync views, coroutine views with ORM calls, streaming, exceptions,
clients that leave), the worker holds no more connections than it should and
leaves none "idle in transaction"; after a server restart it recovers."""

import concurrent.futures
import http.client
import os
import subprocess
import sys
import time

import pytest
from support.clients import address, census, connect, head, reset, send, settled
from support.gunicorn_helpers import TESTS, assert_only_app_errors_logged, gunicorn

pytestmark = pytest.mark.heavy  # a real PostgreSQL server

APP = "testproject.served:application"
#: 10,000 per setting for the full run (PG_HYGIENE_REQUESTS=10000); CI runs fewer (time budget).
REQUESTS = int(os.environ.get("PG_HYGIENE_REQUESTS", "2000"))
CLIENTS = 8


@pytest.fixture(scope="module")
def pg_db(postgres):
    """A migrated database for this module."""
    env = dict(os.environ, PYTHONPATH=TESTS, **postgres.environ("hygiene"))
    # call_command skips the system checks (the test project has deliberate errors).
    code = "import django; django.setup(); from django.core.management import call_command; call_command('migrate', verbosity=0)"
    subprocess.check_call([sys.executable, "-c", code], env=env, cwd=TESTS)
    return postgres


def _one(addr, i, body):
    """Request ``i`` of the mix; one in ten is a client that leaves early."""
    kind = i % 20
    if kind in (0, 1):  # 10 %: aborts mid-view, mid-stream, mid-upload
        sock = connect(addr)
        try:
            if kind == 0 and i % 40 == 0:
                sock.sendall(head("/faults/async-orm/?s=0.05"))
                time.sleep(0.005)
            elif kind == 0:
                sock.sendall(head("/faults/stream-orm/?n=20"))
                sock.recv(100)
            else:
                sock.sendall(head("/faults/upload/", "POST", None, len(body)) + body[: len(body) // 2])
        finally:
            reset(sock) if i % 3 else sock.close()
        return "aborted"
    if kind < 7:
        path, expect = ("/faults/sync-orm/?fail=1", 500) if kind == 2 else ("/faults/sync-orm/", 200)
    elif kind < 13:
        path, expect = ("/faults/async-orm/?fail=1", 500) if kind == 7 else ("/faults/async-orm/", 200)
    elif kind < 17:
        path, expect = "/faults/stream-orm/", 200
    elif kind < 19:
        path, expect = "/faults/raise/", 500
    else:
        path, expect = "/hello/", 200
    status, _, text = send(addr, path)
    assert status == expect, (path, status, text[:300])
    return status


def _settle_backends(pg, app_name, limit, seconds=15):
    deadline = time.time() + seconds
    while True:
        count = pg.backends(datname="hygiene", application_name=app_name)
        if count <= limit or time.time() > deadline:
            return count
        time.sleep(0.2)


@pytest.mark.parametrize("conn_max_age", [0, 60])
def test_backends_return_to_baseline_after_a_mix_with_aborts(pg_db, conn_max_age):
    app_name = "hygiene-%d" % conn_max_age
    env = pg_db.environ("hygiene", conn_max_age=conn_max_age, application_name=app_name)
    with gunicorn(APP, env=env, settings={"timeout": 120}) as server:
        addr = address(server)
        body = os.urandom(32 * 1024)
        assert send(addr, "/faults/sync-orm/")[0] == 200
        baseline = settled(addr, census(addr))
        connections_before = pg_db.backends(datname="hygiene", application_name=app_name)
        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            outcomes = list(pool.map(lambda i: _one(addr, i, body), range(REQUESTS)))
        elapsed = time.time() - started
        threads = baseline["lanes_size"] or CLIENTS  # legacy: the lane pool; native: one per request at most
        limit = 0 if conn_max_age == 0 else threads
        count = _settle_backends(pg_db, app_name, limit)
        idle = pg_db.idle_in_transaction(datname="hygiene")
        after = settled(addr, baseline)
        print(
            "\nCONN_MAX_AGE=%d: %d requests (%d aborted) in %.1f s; backends after: %d (limit %d); census %r"
            % (conn_max_age, REQUESTS, outcomes.count("aborted"), elapsed, count, limit, after)
        )
        if count > limit:  # say whether they are garbage waiting for the cyclic GC, or held
            census(addr, "/faults/census/?gc=1")
            print("after gc.collect() in the worker: %d" % _settle_backends(pg_db, app_name, limit, 3))
        assert count <= limit
        assert idle == []
        # The same run shows the worker itself leaks nothing (point of the fault tests).
        # (persistent database connections are file descriptors too)
        fds_allowed = baseline["fds"] + max(count - connections_before, 0)
        assert after["tasks"] <= baseline["tasks"] and after["fds"] <= fds_allowed, (baseline, after)
        assert not after["lanes_busy"], after
        assert_only_app_errors_logged(server.log())


@pytest.mark.parametrize("conn_max_age", [0, 60])
def test_requests_recover_after_postgres_restarts(pg_db, conn_max_age):
    app_name = "restart-%d" % conn_max_age
    env = pg_db.environ("hygiene", conn_max_age=conn_max_age, application_name=app_name)
    with gunicorn(APP, env=env) as server:
        addr = address(server)
        paths = ["/faults/sync-orm/", "/faults/async-orm/", "/faults/stream-orm/"]
        results = []

        def run(i):
            began = time.time()
            try:
                status = send(addr, paths[i % 3])[0]
            except (OSError, http.client.HTTPException) as exc:  # a stream cut by its dead connection
                status = repr(exc)
            results.append((began, status))

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(run, range(100)))  # every thread has its connection
            pg_db.restart()
            restarted = time.time()
            list(pool.map(run, range(100, 400)))
        after = [status for began, status in results if began > restarted]
        failed = [s for s in after if s != 200]
        threads = census(addr)["lanes_size"] or 4
        print(
            "\nCONN_MAX_AGE=%d: %d requests after the restart, %d failed (threads: %d)"
            % (conn_max_age, len(after), len(failed), threads)
        )
        # Django's sync handler: with persistent connections, the first
        # request of each thread meets its dead connection (a 500), and the
        # connection is dropped at the end of that request.
        assert len(failed) <= (0 if conn_max_age == 0 else threads), failed
        assert after[-100:] == [200] * 100
        assert pg_db.idle_in_transaction(datname="hygiene") == []
