"""Faults with nothing lost: graceful shutdown with requests of every kind in
flight, worker recycling, a worker killed by the arbiter, reloads under load,
and no leaked threads, tasks or file descriptors after many aborted requests.
Real gunicorn with the gaiohttp worker serving the test project."""

import concurrent.futures
import hashlib
import os
import random
import signal
import time

import pytest
from support.clients import (
    Load,
    address,
    census,
    connect,
    head,
    open_response,
    read_response,
    reset,
    send,
    settled,
)
from support.gunicorn_helpers import assert_only_app_errors_logged, gunicorn, until

APP = "testproject.served:application"
K = 3  # of each kind of connection held open across SIGTERM


def _upload_started(addr, body, sent):
    sock = connect(addr, timeout=20)
    sock.sendall(head("/faults/upload/", "POST", {"Content-Type": "application/octet-stream"}, len(body)) + body[:sent])
    return sock


def _finish_upload(sock, rest, pieces=8, pause=0.15):
    step = len(rest) // pieces + 1
    for i in range(0, len(rest), step):
        time.sleep(pause)
        sock.sendall(rest[i : i + step])
    try:
        return read_response(sock, "POST")
    finally:
        sock.close()


def _read_all(response, sock):
    try:
        return response.status, dict((k.lower(), v) for k, v in response.getheaders()), response.read()
    finally:
        sock.close()


def test_sigterm_finishes_uploads_streams_and_polls_closes_idle_and_refuses_new():
    graceful = 8
    with gunicorn(APP, settings={"graceful_timeout": graceful}) as server:
        addr = address(server)
        body = os.urandom(300 * 1024)
        uploads = [_upload_started(addr, body, 1000) for _ in range(K)]
        streams = []
        for _ in range(K):
            sock = connect(addr, timeout=20)
            sock.sendall(head("/faults/stream/?n=8&delay=0.25"))
            response = open_response(sock)
            assert response.read(8) == b"chunk 0\n"  # in flight when the signal comes
            streams.append((response, sock))
        polls = []
        for _ in range(K):
            sock = connect(addr, timeout=20)
            sock.sendall(head("/faults/poll/?s=2"))
            polls.append(sock)
        idle = []
        for _ in range(K):
            sock = connect(addr, timeout=20)
            sock.sendall(head("/hello/"))
            assert read_response(sock)[0] == 200
            idle.append(sock)
        assert until(lambda: len(server.state("polls")) == K), server.state("polls")  # in their views
        signalled = time.time()
        server.proc.send_signal(signal.SIGTERM)
        with concurrent.futures.ThreadPoolExecutor(3 * K) as pool:
            upload_results = [pool.submit(_finish_upload, s, body[1000:]) for s in uploads]
            stream_results = [pool.submit(_read_all, r, s) for r, s in streams]
            poll_results = [pool.submit(read_response, s) for s in polls]
            time.sleep(0.5)
            # Listeners are closed: a new connection is refused (or cut unserved).
            try:
                got = send(addr, "/hello/", timeout=3)
            except (OSError, Exception) as exc:  # noqa: B014 - refused, reset or closed unanswered
                refused = exc
            else:
                refused = None
            assert refused is not None, "a new connection was served after SIGTERM: %r" % (got,)
            for sock in idle:  # idle keep-alive connections are closed by the server
                sock.settimeout(5)
                assert sock.recv(100) == b""
                sock.close()
            digest = hashlib.sha256(body).hexdigest().encode()
            for future in upload_results:
                status, headers, text = future.result(timeout=graceful + 5)
                assert (status, text) == (200, b"%d %s" % (len(body), digest))
            for future in stream_results:
                status, headers, text = future.result(timeout=graceful + 5)
                assert status == 200 and text == b"".join(b"chunk %d\n" % i for i in range(1, 8)), text
            for future in poll_results:
                status, headers, text = future.result(timeout=graceful + 5)
                assert (status, text) == (200, b"polled")
                assert headers.get("connection", "").lower() == "close"  # a draining worker says so
        assert server.proc.wait(graceful + 5) == 0
        assert time.time() - signalled < graceful, "exit took longer than graceful_timeout"
        assert "Traceback" not in server.log(), server.log()[-3000:]


def _run_under_load(server, event, after=40, seconds=15, clients=4, path="/hello/"):
    """Steady load across ``event``, until ``after`` requests started after
    it have completed (at most ``seconds``)."""
    addr = address(server)
    assert send(addr, path)[0] == 200  # a worker is up
    with Load(addr, path=path, clients=clients) as load:
        time.sleep(0.3)
        event(server)
        done = time.time()
        deadline = done + seconds
        while sum(1 for r in load.results if r[0] > done) < after and time.time() < deadline:
            time.sleep(0.05)
    assert sum(1 for r in load.results if r[0] > done) >= after, "too little load to show anything"
    return load


def _log_waits_for(server, text, count=1, seconds=15):
    deadline = time.time() + seconds
    while server.log().count(text) < count and time.time() < deadline:
        time.sleep(0.1)
    return server.log().count(text)


def test_max_requests_recycling_under_load_loses_nothing():
    settings = {"workers": 2, "max_requests": 30, "max_requests_jitter": 0}
    with gunicorn(APP, settings=settings) as server:
        load = _run_under_load(server, lambda s: None, after=70)
        assert load.failures == [], load.failures[:5]
        assert server.log().count("Max requests, shutting down") >= 2, server.log()[-2000:]


@pytest.mark.heavy  # reload under load
def test_hup_reload_under_load_loses_nothing():
    with gunicorn(APP, settings={"workers": 2}) as server:
        load = _run_under_load(server, lambda s: s.proc.send_signal(signal.SIGHUP))
        assert load.failures == [], load.failures[:5]
        assert _log_waits_for(server, "Hang up") == 1


@pytest.mark.heavy  # a worker killed by the arbiter's timeout
def test_worker_killed_by_timeout_loses_only_what_it_was_serving():
    with gunicorn(APP, settings={"workers": 2, "timeout": 2}) as server:
        addr = address(server)
        blocked = {}

        def block(s):
            sock = connect(addr, timeout=30)
            sock.sendall(head("/faults/block/?s=30"))
            blocked["sock"] = sock

        load = _run_under_load(server, block, after=60)
        sock = blocked["sock"]
        sock.settimeout(10)
        try:
            answer = sock.recv(100)
        except OSError:
            answer = b""
        sock.close()
        assert answer == b""  # the blocked request died with its worker
        assert _log_waits_for(server, "WORKER TIMEOUT") >= 1
        # What fails is what the killed worker had accepted before its loop
        # blocked (the view notes when, on the same clock as the load's
        # starts); every request started afterwards is served by the other
        # worker or the replacement.
        (blocked_at,) = map(float, server.state("blocked-at"))
        late = [r for r in load.failures if r[0] > blocked_at]
        assert late == [], late[:5]
        assert len(load.failures) <= 4, load.failures
        assert send(addr, "/hello/")[0] == 200


def _aborted_mix(addr, i, body):
    """One request of the leak mix; clients that leave do so at random points."""
    kind = i % 6
    if kind == 0:  # the view raises
        status = send(addr, "/faults/raise/" if i % 12 else "/faults/sync-raise/")[0]
        assert status == 500
        return
    if kind == 1:  # a normal request
        assert send(addr, "/hello/")[0] == 200
        return
    sock = connect(addr)
    try:
        if kind == 2:  # gone mid-upload
            sock.sendall(head("/faults/upload/", "POST", None, len(body)) + body[: random.randint(0, len(body) - 1)])
        elif kind == 3:  # gone mid-stream, after the first chunk
            sock.sendall(head("/faults/stream/?n=50&delay=0.005"))
            sock.recv(200)
        elif kind == 4:  # gone mid-view (a long poll)
            sock.sendall(head("/faults/poll/?s=5"))
            time.sleep(0.002)
        else:  # gone before the head is complete
            sock.sendall(head("/hello/")[:10])
    finally:
        if i % 2:
            reset(sock)
        else:
            sock.close()


@pytest.mark.parametrize("total", [300, pytest.param(10000, marks=pytest.mark.heavy)])
def test_no_leaked_threads_tasks_or_fds_after_many_aborted_requests(total):
    """300 requests everywhere; the soak of 10,000 is marked heavy."""
    with gunicorn(APP, settings={"timeout": 60}) as server:
        addr = address(server)
        body = os.urandom(64 * 1024)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: _aborted_mix(addr, i, body), range(120)))  # warm: lane threads exist
        baseline = settled(addr, census(addr))
        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: _aborted_mix(addr, i, body), range(total)))
        elapsed = time.time() - started
        after = settled(addr, baseline)
        print("\n%d aborted/failing requests in %.1f s; census before %r after %r" % (total, elapsed, baseline, after))
        assert after["tasks"] <= baseline["tasks"], (baseline, after)
        assert after["fds"] <= baseline["fds"], (baseline, after)
        assert not after["lanes_busy"], after
        # Bounded pools may have grown to their size (the lane pool, the
        # loop's default executor asgiref uses); no other thread is left over.
        if after["lanes_size"] is not None:
            assert after["lane_threads"] <= after["lanes_size"]
        assert after["default_executor_threads"] <= after["default_executor_size"], after
        assert len(after["other_threads"]) <= len(baseline["other_threads"]), (baseline, after)
        assert after["cancelled"] > 0  # the mid-view and mid-stream aborts did cancel views
        assert_only_app_errors_logged(server.log())
