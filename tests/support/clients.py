"""Raw HTTP/1.1 clients over sockets (a client that stops half-way is part of
what the fault tests send), and steady load that records every outcome."""

import http.client
import json
import socket
import struct
import threading
import time


def address(server):
    """(host, port) of a gunicorn started by gunicorn_helpers, or a unix path."""
    if server.bind.startswith("unix:"):
        return server.bind[5:]
    host, port = server.bind.rsplit(":", 1)
    return host, int(port)


def connect(addr, timeout=10):
    if isinstance(addr, str):
        sock = socket.socket(socket.AF_UNIX)
        sock.settimeout(timeout)
        sock.connect(addr)
        return sock
    return socket.create_connection(addr, timeout=timeout)


def head(path, method="GET", headers=None, length=None, close=False):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: localhost"]
    if length is not None:
        lines.append("Content-Length: %d" % length)
    if close:
        lines.append("Connection: close")
    for name, value in (headers or {}).items():
        lines.append("%s: %s" % (name, value))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send(addr, path, method="GET", body=b"", headers=None, close=True, timeout=10):
    """One request on a fresh connection: (status, headers dict, body)."""
    sock = connect(addr, timeout)
    try:
        sock.sendall(head(path, method, headers, len(body) if body or method == "POST" else None, close) + body)
        return read_response(sock, method)
    finally:
        sock.close()


def read_response(sock, method="GET"):
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    body = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def open_response(sock, method="GET"):
    """The response's head; read its body from the returned object as it comes."""
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    return response


def reset(sock):
    """Close with a TCP RST (SO_LINGER 0), as a client that crashed."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def census(addr, path="/faults/census/"):
    status, _, body = send(addr, path)
    assert status == 200, body
    return json.loads(body.decode())


def settled(addr, baseline, seconds=15, path="/faults/census/"):
    """The census once tasks, fds and busy lanes are back to ``baseline``
    (or the last one seen after ``seconds``): requests end a moment after
    their clients go."""
    deadline = time.time() + seconds
    while True:
        now = census(addr, path)
        if (
            now["tasks"] <= baseline["tasks"] and now["fds"] <= baseline["fds"] and not now["lanes_busy"]
        ) or time.time() > deadline:
            return now
        time.sleep(0.2)


class Load:
    """``clients`` threads sending requests for as long as it runs (each on a
    fresh connection); every outcome is recorded as (started, ok, detail)."""

    def __init__(self, addr, path="/hello/", clients=4, timeout=15, max_requests=100000):
        self.addr = addr
        self.path = path
        self.clients = clients
        self.timeout = timeout
        self.max_requests = max_requests
        self.results = []
        self._stop = threading.Event()
        self._threads = []
        self._lock = threading.Lock()

    def __enter__(self):
        for _ in range(self.clients):
            thread = threading.Thread(target=self._run, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)

    def _run(self):
        while not self._stop.is_set() and len(self.results) < self.max_requests:
            started = time.time()
            try:
                status, _, body = send(self.addr, self.path, timeout=self.timeout)
                outcome = (started, status == 200, "%d %r" % (status, body[:80]))
            except (OSError, http.client.HTTPException) as exc:
                outcome = (started, False, repr(exc))
            with self._lock:
                self.results.append(outcome)

    @property
    def failures(self):
        return [r for r in self.results if not r[1]]
