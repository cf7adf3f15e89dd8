"""worker/protocol.py's timeouts: slow and idle clients, slow readers, slowloris,
against real gunicorn masters over bare sockets."""

import concurrent.futures
import socket
import threading
import time

import pytest
from support import rawhttp
from support.gunicorn_helpers import gunicorn

ENV = {"GAIOHTTP_HEAD_TIMEOUT": "2", "GAIOHTTP_BODY_TIMEOUT": "1"}


def addr_of(server):
    host, port = server.bind.rsplit(":", 1)
    return host, int(port)


@pytest.fixture(scope="module")
def server():
    with gunicorn("support.serverapps:probe_wsgi", settings={"keepalive": 1}, env=ENV) as server:
        yield server
        log = server.log()
    assert log.count("Booting worker") == 1, log[-3000:]
    # Timed-out and refused requests: one line each, never an error with a traceback.
    assert "Traceback" not in log and "[ERROR]" not in log, log[-3000:]


def read_until_closed(sock, timeout, start=None):
    """(what came, seconds from ``start`` -- by default now -- until the server
    closed), or (what came, None) if it did not within ``timeout`` s.

    The timeouts under test are the behaviour: each is asserted within a
    window whose lower bound is counted from before the client connected or
    sent (a loaded machine only makes it later) and whose upper bound is 3x
    the timeout or more."""
    start = time.monotonic() if start is None else start
    data = b""
    sock.settimeout(timeout)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, time.monotonic() - start
            data += chunk
    except socket.timeout:
        return data, None


def test_idle_connection_is_closed_at_the_head_timeout(server):
    start = time.monotonic()
    with socket.create_connection(addr_of(server)) as sock:
        data, after = read_until_closed(sock, 10, start)
    # Recent aiohttp closes it at keepalive (1 s here) already.
    assert after is not None and 0.8 < after < 6, after
    assert data == b""  # nothing was asked: nothing to answer


def test_partial_head_gets_408_at_the_head_timeout(server):
    start = time.monotonic()
    with socket.create_connection(addr_of(server)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n")
        data, after = read_until_closed(sock, 10, start)
    assert after is not None and 1.5 < after < 6, after
    assert data.startswith(b"HTTP/1.1 408 "), data
    deadline = time.time() + 5
    while "GAIOHTTP_HEAD_TIMEOUT" not in server.log() and time.time() < deadline:
        time.sleep(0.05)
    assert "request head not received within 2.0s (GAIOHTTP_HEAD_TIMEOUT)" in server.log()


def test_later_requests_get_the_head_and_body_timeouts_too(server):
    """The timer that enforces the timeouts is armed for each request's head and
    body as they arrive, not only for a connection's first request (between
    requests a connection holds none)."""
    for second, setting, late in (
        (b"GET / HTTP/1.1\r\nHost: a\r\n", "GAIOHTTP_HEAD_TIMEOUT", (1.5, 6)),
        (b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nxxxx", "GAIOHTTP_BODY_TIMEOUT", (0.7, 4)),
    ):
        with socket.create_connection(addr_of(server)) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            sock.settimeout(5)
            data = b""
            while not rawhttp.parse_responses(data, False)[0]:
                chunk = sock.recv(65536)
                assert chunk, data
                data += chunk
            assert data.startswith(b"HTTP/1.1 200 "), data
            time.sleep(0.6)  # past the connection's first tick (0.25 s here), within keepalive (1 s)
            start = time.monotonic()
            sock.sendall(second)
            data, after = read_until_closed(sock, 10, start)
        assert after is not None and late[0] < after < late[1], (setting, after)
        assert data.startswith(b"HTTP/1.1 408 "), (setting, data)
        assert setting in server.log()


def test_slow_head_within_the_timeout_is_served_past_keepalive(server):
    """keepalive (1 s here) is the idle time between requests, not a deadline for a head."""
    head = b"GET /slow HTTP/1.1\r\nHost: a\r\nX-Slow: yes\r\n\r\n"
    with socket.create_connection(addr_of(server)) as sock:
        for _ in range(2):  # the first request, then one on the kept-alive connection
            start = time.monotonic()
            for index in range(0, len(head), 3):
                sock.sendall(head[index : index + 3])
                time.sleep(1.3 / (len(head) / 3))  # past keepalive (1 s), short of the head timeout (2 s)
            sock.settimeout(5)
            data = b""
            while b'"HTTP_X_SLOW": "yes"' not in data:
                chunk = sock.recv(65536)
                assert chunk, data
                data += chunk
            assert data.startswith(b"HTTP/1.1 200 "), data
            assert time.monotonic() - start > 1.1  # it did outlast keepalive


def test_slow_body_gets_408(server):
    with socket.create_connection(addr_of(server)) as sock:
        sock.sendall(b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
        data, after = read_until_closed(sock, 10)
    assert after is not None and after < 4, after
    assert data.startswith(b"HTTP/1.1 408 "), data
    assert "request body not received within 1.0s (GAIOHTTP_BODY_TIMEOUT)" in server.log()


def test_slow_reader_does_not_make_the_worker_buffer(server):
    def rss():
        return int(rawhttp.exchange(addr_of(server), b"GET /rss HTTP/1.1\r\nHost: a\r\n\r\n").responses[0].body)

    before = rss()
    with socket.create_connection(addr_of(server)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b"GET /big?mb=300 HTTP/1.1\r\nHost: a\r\n\r\n")
        sock.recv(1000)  # the response started; now read nothing
        time.sleep(3)
        during = rss()
    print("worker RSS %d kB -> %d kB while a client does not read a 300 MB response" % (before, during))
    assert during - before < 20000


def _slowloris(addr, count, stop, opened):
    socks = []
    for _ in range(count):
        try:
            sock = socket.create_connection(addr, timeout=5)
            sock.sendall(b"GET /loris HTTP/1.1\r\nHost: a\r\n")
            socks.append(sock)
        except OSError:
            break
    opened.append(len(socks))
    line = 0
    while not stop.is_set() and socks:
        for sock in socks:
            try:
                sock.sendall(b"X-%d: x\r\n" % line)
            except OSError:
                pass
        line += 1
        stop.wait(0.5)
    return socks


@pytest.mark.slow  # ~15 s: scripts/matrix.py runs it on one old-aiohttp and one new pair
def test_500_slowloris_connections_do_not_stop_normal_clients():
    with gunicorn(
        "support.serverapps:probe_wsgi", settings={"worker_connections": 1000}, env=dict(ENV, GAIOHTTP_HEAD_TIMEOUT="8")
    ) as server:
        addr = addr_of(server)
        stop, opened = threading.Event(), []
        pool = concurrent.futures.ThreadPoolExecutor(1)
        loris = pool.submit(_slowloris, addr, 500, stop, opened)
        deadline = time.time() + 10
        while not opened and time.time() < deadline:
            time.sleep(0.05)

        def normal(_):
            start = time.monotonic()
            result = rawhttp.exchange(addr, b"GET /normal HTTP/1.1\r\nHost: a\r\n\r\n", timeout=10)
            return result.statuses, time.monotonic() - start

        with concurrent.futures.ThreadPoolExecutor(8) as clients:
            results = list(clients.map(normal, range(200)))
        stop.set()
        socks = loris.result(10)
        latencies = sorted(t for _, t in results)
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        print(
            "500 slowloris connections (%d opened): 200 normal requests, p50 %.3f s, p99 %.3f s, max %.3f s"
            % (opened[0], latencies[len(latencies) // 2], p99, latencies[-1])
        )
        assert opened[0] == 500
        assert all(statuses == [200] for statuses, _ in results)
        # Held behind the slowloris connections, they would wait for their
        # head timeout (8 s); served alongside them, well under half of it.
        assert p99 < 4.0
        # The head timeout then closes every slowloris connection (with a 408).
        closed = 0
        for sock in socks:
            data, after = read_until_closed(sock, 16)
            closed += after is not None and b" 408 " in data[:20]
            sock.close()
        assert closed == len(socks)
        log = server.log()
    assert "Traceback" not in log and "[ERROR]" not in log


def test_worker_connections_still_bounds_slow_clients():
    """At worker_connections, slow clients hold every slot until the head
    timeout frees them: a normal client waits for that, then is served."""
    with gunicorn("support.serverapps:probe_wsgi", settings={"worker_connections": 10}, env=ENV) as server:
        addr = addr_of(server)
        socks = []
        start = time.monotonic()  # before the slow ones: their head timeouts run from here on
        for _ in range(10):
            sock = socket.create_connection(addr)
            sock.sendall(b"GET /hold HTTP/1.1\r\n")
            socks.append(sock)
        time.sleep(0.3)
        result = rawhttp.exchange(addr, b"GET /normal HTTP/1.1\r\nHost: a\r\n\r\n", timeout=10)
        waited = time.monotonic() - start
        for sock in socks:
            sock.close()
    assert result.statuses == [200], result
    assert 1.5 < waited < 6, waited  # queued in the kernel until the slow ones timed out (2 s)
