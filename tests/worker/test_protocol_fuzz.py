"""Property tests of worker/protocol.py over sockets: generated requests reach
the app exactly as their bytes say; generated garbage gets a valid answer or a
clean close, never a 500, a hang or a dead worker.

GAIOHTTP_FUZZ_EXAMPLES sets the examples per property (default 40: a few
seconds per pair); e.g. 2000 for a long run.
"""

import json
import os
import socket
import time
from urllib.parse import unquote_to_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import rawhttp
from support.gunicorn_helpers import gunicorn

EXAMPLES = int(os.environ.get("GAIOHTTP_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=False, suppress_health_check=list(HealthCheck))
ENV = {"GAIOHTTP_HEAD_TIMEOUT": "1", "GAIOHTTP_BODY_TIMEOUT": "1"}

TCHAR = "!#$%&'*+-.^`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Names with a framing or connection meaning of their own, generated separately.
SPECIAL = {
    "host",
    "content-length",
    "transfer-encoding",
    "content-type",
    "authorization",
    "connection",
    "upgrade",
    "expect",
    "keep-alive",
    "te",
    "trailer",
    "proxy-connection",
    "content-encoding",
}
names = st.text(TCHAR, min_size=1, max_size=16).filter(lambda n: n.lower() not in SPECIAL)
VCHAR = "".join(chr(c) for c in range(0x21, 0x7F)) + "".join(chr(c) for c in range(0xA0, 0x100))
values = st.text(VCHAR + " \t", max_size=30).map(lambda v: v.strip(" \t"))
UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@"
segments = st.lists(
    st.one_of(st.text(UNRESERVED, min_size=1, max_size=8), st.integers(0, 255).map(lambda b: "%%%02X" % b)), max_size=6
).map("".join)
paths = st.lists(segments, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))
queries = st.one_of(st.none(), st.text(UNRESERVED + "/?%", max_size=20))


@st.composite
def requests_(draw):
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]))
    path, query = draw(paths), draw(queries)
    headers = draw(st.lists(st.tuples(names, values), max_size=12, unique_by=lambda h: h[0].lower()))
    body = draw(st.binary(max_size=3000))
    framing = draw(st.sampled_from(["length", "chunked"])) if body else draw(st.sampled_from(["none", "length"]))
    target = path + ("?" + query if query is not None else "")
    head = [("Host", "a")] + headers
    if framing == "length":
        head.append(("Content-Length", str(len(body))))
        wire_body = body
    elif framing == "chunked":
        head.append(("Transfer-Encoding", "chunked"))
        cuts = sorted(set(draw(st.lists(st.integers(1, max(1, len(body) - 1)), max_size=8))))
        pieces = [body[a:b] for a, b in zip([0] + cuts, cuts + [len(body)]) if body[a:b]]
        ext = draw(st.sampled_from(["", ";x=1", ';name="v"']))
        wire_body = b"".join(b"%x%s\r\n%s\r\n" % (len(p), ext.encode(), p) for p in pieces) + b"0\r\n\r\n"
    else:
        wire_body = b""
    data = ("%s %s HTTP/1.1\r\n" % (method, target)).encode("latin-1")
    data += b"".join(("%s: %s\r\n" % h).encode("latin-1") for h in head) + b"\r\n" + wire_body
    split = draw(st.lists(st.integers(1, len(data) - 1), max_size=3))
    return {
        "method": method,
        "path": path,
        "query": query or "",
        "headers": head,
        "body": body,
        "framing": framing,
        "data": data,
        "split": sorted(set(split)),
    }


def addr_of(server):
    host, port = server.bind.rsplit(":", 1)
    return host, int(port)


def pieces(data, cuts):
    return [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]


@pytest.fixture(scope="module", params=["WSGI", "ASGI"])
def echo(request):
    app = {"WSGI": "support.serverapps:echo_wsgi", "ASGI": "support.serverapps:echo_asgi"}[request.param]
    with gunicorn(app, env=ENV) as server:
        yield request.param, server
        log = server.log()
    assert log.count("Booting worker") == 1, log[-3000:]
    assert "Traceback" not in log and "[ERROR]" not in log, log[-3000:]


def test_generated_requests_reach_the_app_as_sent(echo):
    kind, server = echo

    @FUZZ
    @given(requests_())
    def check(req):
        result = rawhttp.exchange(addr_of(server), None, segments=pieces(req["data"], req["split"]), timeout=5)
        assert result.statuses == [200], (req["data"][:300], result)
        got = json.loads(result.responses[0].body)
        assert got["method"] == req["method"]
        assert got["query"] == req["query"]
        assert got["body"].encode("latin-1") == req["body"]
        if kind == "ASGI":
            assert got["raw_path"] == req["path"]
            assert got["headers"] == [[n.lower(), v] for n, v in req["headers"] if "_" not in n]
        else:
            assert got["path"] == unquote_to_bytes(req["path"]).decode("latin-1")
            want = {
                "HTTP_" + n.upper().replace("-", "_"): v
                for n, v in req["headers"]
                if n not in ("Content-Length",) and "_" not in n
            }
            heads = {k: v for k, v in got["headers"].items() if k != "CONTENT_LENGTH"}
            assert heads == want
            if req["framing"] == "length":
                assert got["headers"]["CONTENT_LENGTH"] == str(len(req["body"]))

    check()


@st.composite
def garbage(draw):
    """Valid requests with a few bytes changed, chunked bodies with odd sizes, or noise."""
    kind = draw(st.sampled_from(["mutated", "chunked", "noise"]))
    if kind == "noise":
        return draw(st.binary(min_size=1, max_size=400))
    if kind == "chunked":
        sizes = draw(
            st.lists(
                st.one_of(
                    st.integers(0, 40).map(lambda n: b"%x" % n),
                    st.text('0123456789abcdefABCDEFxX+- \t;="_\r\n', min_size=1, max_size=8).map(str.encode),
                ),
                min_size=1,
                max_size=4,
            )
        )
        trailers = draw(
            st.lists(st.tuples(st.sampled_from(["Host", "X-T", "Content-Length", "Te"]), values), max_size=2)
        )
        body = b"".join(s + b"\r\n" + b"x" * 3 + b"\r\n" for s in sizes) + b"0\r\n"
        body += b"".join(("%s: %s\r\n" % t).encode("latin-1") for t in trailers) + b"\r\n"
        return b"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    data = bytearray(draw(requests_())["data"])
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data) - 1))
        byte = draw(st.sampled_from([0, 9, 10, 13, 32, 34, 44, 58, 59, 127, 255]) | st.integers(0, 255))
        action = draw(st.sampled_from(["insert", "replace", "delete"]))
        if action == "insert":
            data.insert(pos, byte)
        elif action == "replace":
            data[pos] = byte
        elif len(data) > 1:
            del data[pos]
    return bytes(data)


def test_garbage_gets_an_answer_or_a_clean_close(echo):
    kind, server = echo

    @FUZZ
    @given(garbage())
    def check(data):
        with socket.create_connection(addr_of(server), timeout=5) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)  # nothing more is coming
            buf, start = b"", time.monotonic()
            sock.settimeout(5)
            while True:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                buf += chunk
                assert time.monotonic() - start < 5, "no close: %r" % buf[:200]
        responses, rest, error = rawhttp.parse_responses(buf, True)
        assert error is None and not rest, (data[:300], buf[:300])
        for response in responses:
            assert response.status < 500 or response.status == 505, (data[:300], response)

    check()
    # The worker is still the one that booted (the fixture checks the log).
    assert rawhttp.exchange(addr_of(server), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").statuses == [200]
