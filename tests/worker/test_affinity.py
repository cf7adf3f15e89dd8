"""worker/affinity.py: each gaiohttp worker on one CPU, spread over the allowed ones."""

import os
import signal
import time

import pytest
import requests
from support.gunicorn_helpers import gunicorn

from async_legacy.worker import affinity

ALLOWED = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
needs_two_cpus = pytest.mark.skipif(len(ALLOWED) < 2, reason="needs a machine with two CPUs or more")


def workers(server, count, pinned=0, seconds=20):
    """The pids of the ``count`` workers, once the log says ``pinned`` were pinned."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        with open("/proc/%d/task/%d/children" % (server.proc.pid, server.proc.pid)) as f:
            pids = [int(p) for p in f.read().split()]
        if (
            len(pids) == count
            and server.log().count("gaiohttp worker pinned to CPU") >= pinned
            and requests.get(server.base + "/").status_code == 200
        ):
            return pids
        time.sleep(0.1)
    raise AssertionError("%d workers did not boot:\n%s" % (count, server.log()))


def cpus_of(pid):
    return sorted(os.sched_getaffinity(pid))


@needs_two_cpus
def test_workers_are_spread_one_per_cpu_and_every_thread_follows():
    with gunicorn("support.serverapps:affinity_wsgi", settings={"workers": 2}) as server:
        pids = workers(server, 2, pinned=2)
        pinned = [cpus_of(pid) for pid in pids]
        assert all(len(cpus) == 1 for cpus in pinned), pinned
        assert pinned[0] != pinned[1], pinned
        assert server.log().count("gaiohttp worker pinned to CPU") == 2, server.log()
        # Threads started after boot (the WSGI thread pool serving this) inherit it.
        seen = requests.get(server.base + "/").json()
        assert len(seen["threads"]) > 1
        assert all(cpus == cpus_of(seen["pid"]) for cpus in seen["threads"].values()), seen


@needs_two_cpus
def test_a_respawned_worker_takes_the_cpu_left_free():
    with gunicorn("support.serverapps:affinity_wsgi", settings={"workers": 2}) as server:
        first, second = workers(server, 2, pinned=2)
        kept = cpus_of(second)
        os.kill(first, signal.SIGKILL)
        pids = workers(server, 2, pinned=3)
        assert first not in pids and second in pids, (first, second, pids)
        (new,) = [pid for pid in pids if pid != second]
        assert len(cpus_of(new)) == 1 and cpus_of(new) != kept, (cpus_of(new), kept)


def test_turned_off_the_worker_keeps_the_cpus_it_was_given():
    with gunicorn("support.serverapps:affinity_wsgi", env={"GAIOHTTP_CPU_AFFINITY": "0"}) as server:
        (pid,) = workers(server, 1)
        assert cpus_of(pid) == ALLOWED
        assert "pinned to CPU" not in server.log()


def test_a_master_already_on_one_cpu_is_left_alone():
    cpu = ALLOWED[-1]
    # As `taskset -c N gunicorn ...`: the workers inherit one CPU, nothing to choose.
    os.sched_setaffinity(0, {cpu})
    try:
        with gunicorn("support.serverapps:affinity_wsgi") as server:
            (pid,) = workers(server, 1)
            assert cpus_of(pid) == [cpu]
            assert "pinned to CPU" not in server.log()
    finally:
        os.sched_setaffinity(0, set(ALLOWED))


def test_ties_follow_the_arbiter_order_and_pinned_siblings_are_avoided(monkeypatch):
    monkeypatch.setattr(affinity, "_arbiter_offset", lambda ppid: 0)
    monkeypatch.setattr(affinity, "_siblings", lambda ppid: [101, 102, 103])
    pinned = {101: {0}, 102: {2}, 103: {0, 1, 2, 3}}  # 103 is unpinned: it does not count
    monkeypatch.setattr(affinity.os, "sched_getaffinity", lambda pid: pinned[pid])
    assert affinity.choose_cpu([0, 1, 2, 3], age=1, ppid=1) == 1
    assert affinity.choose_cpu([0, 1, 2, 3], age=2, ppid=1) == 3
    assert affinity.choose_cpu([0, 2], age=1, ppid=1) == 2  # a tie: the order decides


def test_the_order_is_one_per_arbiter():
    # Every worker of an arbiter computes the same; another arbiter (another
    # pid, or the same pid started at another time) another.
    assert affinity._arbiter_offset(os.getpid()) == affinity._arbiter_offset(os.getpid())
    assert affinity._arbiter_offset(os.getpid()) != affinity._arbiter_offset(os.getppid())
