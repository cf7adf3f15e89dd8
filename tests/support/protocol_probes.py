"""Hostile requests, each with what a server must do with it. Each probe takes
the server's address and returns (ok, detail); worker/test_protocol.py runs them
against the worker (all must pass) and against plain aiohttp (for the record)."""

import gzip
import json
import socket
import threading
import time

from support import rawhttp

#: The limits the probes are served with (small, to keep them quick).
SETTINGS = {"limit_request_line": 200, "limit_request_fields": 20, "limit_request_field_size": 200}
#: Seconds to wait for a refusal (shortened for servers known to let things through).
WAIT = {"timeout": 5.0}


def _refused(result, statuses=(400,)):
    ok = (
        bool(result.responses)
        and result.responses[0].status in statuses
        and result.closed
        and all(not 200 <= s < 300 for s in result.statuses)
    )
    return ok, repr(result)


def _split(data, size):
    return [data[i : i + size] for i in range(0, len(data), size)]


def duplicate(name, first, second):
    def probe(addr):
        head = b"POST /dup HTTP/1.1\r\nHost: a\r\n" if name != "Host" else b"POST /dup HTTP/1.1\r\n"
        body = b"hello"
        fields = {
            "Host": b"Host: a\r\nHost: evil\r\nContent-Length: 5\r\n",
            "Content-Length": b"Content-Length: 5\r\nContent-Length: 5\r\n",
            "Content-Type": b"Content-Length: 5\r\nContent-Type: text/plain\r\nContent-Type: application/json\r\n",
            "Transfer-Encoding": b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            "Authorization": b"Content-Length: 5\r\nAuthorization: Basic YTpi\r\nAuthorization: Basic Yzpk\r\n",
        }[name]
        if name == "Transfer-Encoding":
            body = b"5\r\nhello\r\n0\r\n\r\n"
        return _refused(
            rawhttp.exchange(addr, head + fields + b"\r\n" + body, want_close=True, timeout=WAIT["timeout"])
        )

    return probe


def too_many_fields(segment):
    def probe(addr):
        head = b"GET /many HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(25)) + b"\r\n"
        return _refused(
            rawhttp.exchange(addr, None, segments=_split(head, segment), want_close=True, timeout=WAIT["timeout"]),
            (431,),
        )

    return probe


def long_field(segment):
    def probe(addr):
        head = b"GET /long HTTP/1.1\r\nHost: a\r\nX-Long: " + b"v" * 400 + b"\r\n\r\n"
        return _refused(
            rawhttp.exchange(addr, None, segments=_split(head, segment), want_close=True, timeout=WAIT["timeout"]),
            (431,),
        )

    return probe


def long_line(segment):
    def probe(addr):
        head = b"GET /" + b"a" * 1000 + b" HTTP/1.1\r\nHost: a\r\n\r\n"
        return _refused(
            rawhttp.exchange(addr, None, segments=_split(head, segment), want_close=True, timeout=WAIT["timeout"]),
            (414, 400),
        )

    return probe


def endless_head(addr):
    """Headers within every per-line limit, sent forever: refused at the head budget."""
    with socket.create_connection(addr, timeout=5) as sock:
        sock.sendall(b"GET /endless HTTP/1.1\r\nHost: a\r\n")
        deadline = time.monotonic() + 5
        sent = 0
        try:
            while time.monotonic() < deadline and sent < 5000:
                sock.sendall(b"X-A: %d\r\n" % sent)
                sent += 1
        except OSError:
            pass
        closed = rawhttp.is_closed(sock, 2)
        return closed and sent < 5000, "closed=%s after %d header lines" % (closed, sent)


def pipelined_flood(addr):
    """10,000 pipelined requests, never read: the worker stops reading instead of queueing them."""

    def rss():
        return int(rawhttp.exchange(addr, b"GET /rss HTTP/1.1\r\nHost: a\r\n\r\n").responses[0].body)

    before = rss()
    sock = socket.create_connection(addr, timeout=5)
    payload = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n" * 10000

    def send():
        try:
            sock.sendall(payload)
        except OSError:
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    sender.join(3)
    after = rss()
    sock.close()
    sender.join(5)
    return after - before < 8000, "worker RSS %d kB -> %d kB with 10,000 pipelined requests unread" % (before, after)


def tiny_chunks(addr):
    """A body of many 1-byte chunks costs linear time (CVE-2025-69229)."""
    times = {}
    for count in (20000, 80000, 20000, 80000):  # the quicker of two runs: the machine is shared
        body = b"1\r\na\r\n" * count + b"0\r\n\r\n"
        data = b"POST /chunks HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body
        start = time.monotonic()
        result = rawhttp.exchange(addr, data, timeout=60)
        times[count] = min(times.get(count, 1e9), time.monotonic() - start)
        if result.statuses != [200] or len(json.loads(result.responses[0].body)["body"]) != count:
            return False, repr(result)
    ratio = times[80000] / max(times[20000], 0.01)
    return ratio < 10, "20,000 chunks %.2f s, 80,000 chunks %.2f s (x%.1f; quadratic would be x16)" % (
        times[20000],
        times[80000],
        ratio,
    )


def gzip_body_as_sent(addr):
    """Content-Encoding: gzip bodies reach the app as sent (no decompression)."""
    packed = gzip.compress(b"\0" * 10 * 1024 * 1024)
    head = b"POST /gz HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(packed)
    result = rawhttp.exchange(addr, head + packed, timeout=20)
    if result.statuses != [200]:
        return False, repr(result)
    echo = json.loads(result.responses[0].body)
    got = echo["body"].encode("latin-1")
    length = echo["headers"].get("CONTENT_LENGTH")
    return got == packed and length == str(
        len(packed)
    ), "sent %d bytes of gzip; app saw %d bytes, CONTENT_LENGTH=%s" % (len(packed), len(got), length)


def version(line):
    def probe(addr):
        return _refused(
            rawhttp.exchange(addr, line + b"\r\nHost: a\r\n\r\n", want_close=True, timeout=WAIT["timeout"]), (400, 505)
        )

    return probe


def chunked_http10(addr):
    data = b"POST /old HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    return _refused(rawhttp.exchange(addr, data, want_close=True, timeout=WAIT["timeout"]))


def host_trailer(addr):
    data = b"POST /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nHost: evil\r\n\r\n"
    return _refused(rawhttp.exchange(addr, data, want_close=True, timeout=WAIT["timeout"]))


def obs_fold(addr):
    data = b"GET /fold HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n"
    return _refused(rawhttp.exchange(addr, data, want_close=True, timeout=WAIT["timeout"]))


def one_leading_empty_line(addr):
    result = rawhttp.exchange(addr, b"\r\nGET /lead HTTP/1.1\r\nHost: a\r\n\r\n")
    return result.statuses == [200], repr(result)


def two_leading_empty_lines(addr):
    return _refused(
        rawhttp.exchange(
            addr, b"\r\n\r\nGET /lead HTTP/1.1\r\nHost: a\r\n\r\n", want_close=True, timeout=WAIT["timeout"]
        )
    )


PROBES = {
    "duplicate Host": duplicate("Host", "a", "evil"),
    "duplicate Content-Length": duplicate("Content-Length", "5", "5"),
    "duplicate Content-Type": duplicate("Content-Type", "", ""),
    "duplicate Transfer-Encoding": duplicate("Transfer-Encoding", "", ""),
    "duplicate Authorization": duplicate("Authorization", "", ""),
    "25 header fields at once (limit 20)": too_many_fields(100000),
    "25 header fields in 7-byte segments": too_many_fields(7),
    "400-byte header line at once (limit 200)": long_field(100000),
    "400-byte header line in 16-byte segments": long_field(16),
    "1000-byte request line at once (limit 200)": long_line(100000),
    "1000-byte request line in 64-byte segments": long_line(64),
    "endless header block": endless_head,
    "10,000 pipelined requests unread": pipelined_flood,
    "many tiny chunks": tiny_chunks,
    "gzip body passed as sent": gzip_body_as_sent,
    "HTTP/2.0 request line": version(b"GET / HTTP/2.0"),
    "HTTP/1.2 request line": version(b"GET / HTTP/1.2"),
    "chunked in HTTP/1.0": chunked_http10,
    "Host in a trailer": host_trailer,
    "obsolete line folding": obs_fold,
    "one empty line before the request (allowed)": one_leading_empty_line,
    "two empty lines before the request": two_leading_empty_lines,
}
