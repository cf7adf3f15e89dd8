"""The lane on a real PostgreSQL server: one connection per request, as Django's sync handler."""

import concurrent.futures
import time

import pytest
import requests
from support.gunicorn_helpers import gunicorn
from support.postgres import migrate

from async_legacy.compat import NATIVE_ASYNC

pytestmark = pytest.mark.skipif(NATIVE_ASYNC, reason="the legacy pipeline's lane (Django < 3.1)")


def _wait_for_backends(postgres, expected_at_most, application_name, timeout=10):
    deadline = time.time() + timeout
    while True:
        count = postgres.backends(application_name=application_name)
        if count <= expected_at_most or time.time() > deadline:
            return count
        time.sleep(0.1)


@pytest.mark.parametrize("conn_max_age", [0, 60])
def test_a_burst_of_blocking_steps_uses_one_connection(postgres, conn_max_age):
    """20 requests at once, each ORM names and sync_to_async steps with quick
    awaits between: one backend per request with CONN_MAX_AGE = 0 (none left
    after), at most one per lane thread with 60."""
    name = "lane_pg_%d" % conn_max_age
    env = postgres.environ(name, conn_max_age=conn_max_age, application_name=name)
    migrate(env)
    # The clock part of the idle rule with room for a machine shared with other work.
    env["ASYNC_LEGACY_TEST_THREAD_IDLE"] = "0.05"
    with gunicorn("testproject.served:application", env=env) as server:
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(lambda _: requests.get(server.base + "/lane/pg-burst/", timeout=30), range(20)))
        assert [a.status_code for a in answers] == [200] * 20, server.log()
        pids = [a.json()["pids"] for a in answers]
        assert all(len(set(p)) == 1 for p in pids), pids  # one backend for all of a request's steps
        backends = {p[0] for p in pids}
        if conn_max_age == 0:
            assert len(backends) == 20  # each request its own, as the sync handler opens one
            assert _wait_for_backends(postgres, 0, name) == 0
        else:
            assert len(backends) <= 8  # reused: at most one per lane thread (8 in the test settings)
            assert _wait_for_backends(postgres, 8, name) <= 8
        assert postgres.idle_in_transaction(application_name=name) == []
