"""worker/proxy.py: the PROXY protocol (gunicorn's proxy_protocol and
proxy_allow_ips) through real gunicorn masters with the gaiohttp worker, over
bare sockets, and the same bytes against gunicorn's sync worker."""

import json
import socket
import struct
import time

import gunicorn as gunicorn_package
import pytest
from support import rawhttp
from support.clients import address
from support.gunicorn_helpers import gunicorn

#: gunicorn >= 24 reads v1 and v2 (proxy_protocol off/v1/v2/auto); 23 reads v1 only (a switch).
V2 = gunicorn_package.version_info >= (24,)
needs_v2 = pytest.mark.skipif(not V2, reason="this gunicorn's proxy_protocol reads v1 only")
ENV = {"GAIOHTTP_HEAD_TIMEOUT": "2"}
APP = "worker.test_proxy:client_wsgi"
KEYS = ("REMOTE_ADDR", "REMOTE_PORT", "PROXY_PROTOCOL", "PROXY_ADDR", "PROXY_PORT")
REQUEST = b"GET /path?q=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n"
V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


# -- apps the servers below run (imported by gunicorn from this module) ------
def client_wsgi(environ, start_response):
    environ["wsgi.input"].read()
    data = json.dumps(dict({k: environ.get(k) for k in KEYS}, path=environ["PATH_INFO"])).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


async def client_asgi(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    data = json.dumps({"client": scope["client"], "path": scope["path"]})
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": data})
        await send({"type": "websocket.close", "code": 1000})
        return
    while (await receive()).get("more_body"):
        pass
    body = data.encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# -- headers -------------------------------------------------------------------
def v1(line):
    return b"PROXY " + line + b"\r\n"


def v2(command=0x21, family=0x11, addresses=b"", length=None):
    return V2_SIG + struct.pack(">BBH", command, family, len(addresses) if length is None else length) + addresses


def v2_tcp4(src="192.168.1.10", dst="192.168.1.1", sport=12345, dport=443, tlvs=b""):
    addrs = socket.inet_pton(socket.AF_INET, src) + socket.inet_pton(socket.AF_INET, dst)
    return v2(0x21, 0x11, addrs + struct.pack(">HH", sport, dport) + tlvs)


def v2_tcp6(src="2001:db8::1", dst="2001:db8::2", sport=54321, dport=80):
    addrs = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
    return v2(0x21, 0x21, addrs + struct.pack(">HH", sport, dport))


# -- servers -----------------------------------------------------------------
def _server(app=APP, worker="gaiohttp", **settings):
    settings = dict({"proxy_protocol": True, "worker_class": worker}, **settings)
    return gunicorn(app, settings=settings, env=ENV)


@pytest.fixture(scope="module")
def server():
    with _server() as server:
        yield server
    assert_clean(server)


@pytest.fixture(scope="module")
def sync_server():
    with _server(worker="sync") as server:
        yield server


@pytest.fixture(scope="module")
def asgi_server():
    with _server("worker.test_proxy:client_asgi") as server:
        yield server
    assert_clean(server)


def assert_clean(server):
    log = server.log()
    assert log.count("Booting worker") == 1, log[-3000:]
    assert "Traceback" not in log and "[ERROR]" not in log, log[-3000:]


def send(server, data, segments=None, pause=0.0, timeout=8.0):
    return rawhttp.exchange(address(server), data, segments=segments, pause=pause, timeout=timeout)


def echoed(result):
    assert result.statuses == [200], result
    return json.loads(result.responses[0].body.decode())


# -- headers that are read ---------------------------------------------------
GOOD = [
    pytest.param(
        v1(b"TCP4 192.168.0.1 192.168.0.11 56324 443"),
        ("192.168.0.1", "56324", "TCP4", "192.168.0.11", "443"),
        id="v1-tcp4",
    ),
    pytest.param(
        v1(b"TCP6 2001:db8::1 2001:db8::2 4000 8443"),
        ("2001:db8::1", "4000", "TCP6", "2001:db8::2", "8443"),
        id="v1-tcp6",
    ),
    pytest.param(v2_tcp4(), ("192.168.1.10", "12345", "TCP4", "192.168.1.1", "443"), marks=needs_v2, id="v2-tcp4"),
    pytest.param(v2_tcp6(), ("2001:db8::1", "54321", "TCP6", "2001:db8::2", "80"), marks=needs_v2, id="v2-tcp6"),
    pytest.param(
        v2_tcp4(tlvs=b"\x04\x00\x03abc\x05\x00\x01z"),
        ("192.168.1.10", "12345", "TCP4", "192.168.1.1", "443"),
        marks=needs_v2,
        id="v2-tcp4-tlvs-skipped",
    ),
]


@pytest.mark.parametrize("header, expected", GOOD)
def test_client_address_from_the_header(server, sync_server, header, expected):
    seen = echoed(send(server, header + REQUEST))
    assert tuple(seen[k] for k in KEYS) == expected
    assert seen["path"] == "/path"
    # gunicorn's sync worker gives the same environ keys.
    assert echoed(send(sync_server, header + REQUEST)) == seen


@pytest.mark.parametrize(
    "header, protocol",
    [
        pytest.param(v1(b"UNKNOWN"), "UNKNOWN", id="v1-unknown"),
        pytest.param(v1(b"UNKNOWN 1.2.3.4 5.6.7.8 1 2"), "UNKNOWN", id="v1-unknown-with-addresses"),
        pytest.param(v2(0x20, 0x00), "LOCAL", marks=needs_v2, id="v2-local"),
        pytest.param(v2(0x20, 0x11, b"\x00" * 12), "LOCAL", marks=needs_v2, id="v2-local-with-addresses"),
        pytest.param(v2(0x21, 0x00), "UNSPEC", marks=needs_v2, id="v2-proxy-unspec"),
    ],
)
def test_header_without_a_client_keeps_the_socket_address(server, header, protocol):
    """The proxy speaks for itself (a health check) or does not know the
    client: the connection's own addresses stay (gunicorn's sync worker puts
    None in the environ there; its ASGI worker keeps the peer, as here)."""
    seen = echoed(send(server, header + REQUEST))
    assert seen["REMOTE_ADDR"] == "127.0.0.1" and seen["REMOTE_PORT"].isdigit()
    assert seen["PROXY_PROTOCOL"] == protocol
    assert seen["PROXY_ADDR"] is None


def test_no_header_is_plain_http(server):
    seen = echoed(send(server, REQUEST))
    assert seen["REMOTE_ADDR"] == "127.0.0.1" and seen["PROXY_PROTOCOL"] is None


def test_header_only_at_the_connection_start(server):
    """The address holds for every request of the connection; a PROXY line
    later on is a bad request line (gunicorn reads it on request 1 only)."""
    header = v1(b"TCP4 10.1.2.3 10.0.0.1 5555 80")
    with socket.create_connection(address(server), timeout=8) as sock:
        sock.sendall(header + REQUEST)
        first = _read_one(sock)
        sock.sendall(REQUEST)
        second = _read_one(sock)
        sock.sendall(header + REQUEST)
        third = _read_one(sock)
    assert json.loads(first.body)["REMOTE_ADDR"] == "10.1.2.3"
    assert json.loads(second.body)["REMOTE_ADDR"] == "10.1.2.3"
    assert third.status == 400, third


def _read_one(sock):
    buf = b""
    while True:
        chunk = sock.recv(65536)
        responses, _, error = rawhttp.parse_responses(buf + chunk, not chunk)
        buf += chunk
        assert error is None, buf
        if responses or not chunk:
            assert responses, buf
            return responses[0]


@pytest.mark.parametrize(
    "header",
    [v1(b"TCP4 192.168.0.1 192.168.0.11 56324 443"), pytest.param(v2_tcp6(), marks=needs_v2)],
    ids=["v1", "v2"],
)
def test_header_split_byte_by_byte_and_apart_from_the_request(server, header):
    data = header + REQUEST
    by_byte = echoed(send(server, None, segments=[data[i : i + 1] for i in range(len(data))], pause=0.002))
    apart = echoed(send(server, None, segments=[header, REQUEST], pause=0.3))
    halves = echoed(send(server, None, segments=[header[:7], header[7:] + REQUEST[:5], REQUEST[5:]], pause=0.1))
    whole = echoed(send(server, data))
    assert by_byte == apart == halves == whole


def test_header_and_pipelined_requests_in_one_segment(server):
    result = rawhttp.exchange(address(server), v1(b"TCP4 10.0.0.7 10.0.0.1 1000 80") + REQUEST * 3, expect=3)
    assert result.statuses == [200, 200, 200], result
    assert {json.loads(r.body)["REMOTE_ADDR"] for r in result.responses} == {"10.0.0.7"}


def test_request_body_after_the_header_is_untouched(server):
    body = b"\r\n\r\n\x00\r\nQUIT\nPROXY x"
    request = b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    assert echoed(send(server, v1(b"TCP4 10.0.0.8 10.0.0.1 1 2") + request))["REMOTE_ADDR"] == "10.0.0.8"


# -- headers that are refused ------------------------------------------------
BAD = [
    pytest.param(v1(b"TCP5 192.168.0.1 192.168.0.11 56324 443"), id="v1-bad-family"),
    pytest.param(v1(b"TCP4 192.168.0.1 192.16..."), id="v1-too-few-fields"),
    pytest.param(v1(b"TCP4 192.168.0.1 192.168.0.11 65iii 100000"), id="v1-bad-ports"),
    pytest.param(v1(b"TCP4 192.168.0.1 192.168.0.11 65536 443"), id="v1-port-out-of-range"),
    pytest.param(v1(b"TCP4 not-an-ip 192.168.0.11 56324 443"), id="v1-bad-address"),
    pytest.param(v1(b"TCP4 2001:db8::1 2001:db8::2 1 2"), id="v1-tcp4-with-ipv6"),
    pytest.param(v1(b"TCP6 192.168.0.1 192.168.0.11 1 2"), id="v1-tcp6-with-ipv4"),
    pytest.param(v1(b"TCP4 192.168.0.1 192.168.0.11 1 2 3"), id="v1-extra-field"),
    pytest.param(v1(b"TCP4 " + b"1" * 120 + b" 1.2.3.4 1 2"), id="v1-longer-than-107-bytes"),
    pytest.param(v2(0x11, 0x11, b"\x00" * 12), marks=needs_v2, id="v2-bad-version"),
    pytest.param(v2(0x22, 0x11, b"\x00" * 12), marks=needs_v2, id="v2-bad-command"),
    pytest.param(v2(0x21, 0x11, b"\x00" * 8), marks=needs_v2, id="v2-length-too-short-for-ipv4"),
    pytest.param(v2(0x21, 0x21, b"\x00" * 12), marks=needs_v2, id="v2-length-too-short-for-ipv6"),
    pytest.param(v2(0x21, 0x31, b"\x00" * 216), marks=needs_v2, id="v2-unix-family"),
    pytest.param(v2(0x21, 0x12, b"\x00" * 12), marks=needs_v2, id="v2-udp"),
    pytest.param(b"\r\n\r\n\x00\r\nQUIX\n\x21\x11\x00\x0c" + b"\x00" * 12, id="v2-bad-signature"),
]


@pytest.mark.parametrize("header", BAD)
def test_malformed_header_is_a_bad_request(server, sync_server, header):
    result = rawhttp.exchange(address(server), header + REQUEST, want_close=True, timeout=8)
    assert result.statuses == [400] and result.closed, result
    # The same class of answer from gunicorn's sync worker, but for a bad v2
    # header: its InvalidProxyHeader (code 400) is missing from the errors its
    # workers answer as the client's, so it answers 500 (gunicorn 27.0.1).
    sync = rawhttp.exchange(address(sync_server), header + REQUEST, want_close=True, timeout=8)
    v2_header = header.startswith(V2_SIG)
    assert [s // 100 for s in sync.statuses] == [5 if v2_header else 4], sync
    if v2_header:
        assert "InvalidProxyHeader" in sync_server.log()


def test_v1_line_without_end_is_refused_at_107_bytes(server):
    result = rawhttp.exchange(address(server), b"PROXY TCP4 " + b"9" * 200, want_close=True, timeout=8)
    assert result.statuses == [400] and result.closed, result
    assert b"107" in result.responses[0].body


@needs_v2
def test_v2_length_beyond_the_data_waits_then_times_out(server):
    """A length field larger than what comes swallows the request as TLVs;
    the connection then gets head_timeout, as a request head does."""
    started = time.monotonic()
    data = v2(0x21, 0x11, b"\x00" * 12, length=500) + REQUEST
    result = rawhttp.exchange(address(server), data, want_close=True, timeout=10)
    assert result.statuses == [408] and result.closed, result
    assert time.monotonic() - started < 8


def test_partial_header_times_out_as_a_request_head(server):
    started = time.monotonic()
    result = rawhttp.exchange(address(server), b"PROXY TCP4 1.2", want_close=True, timeout=10)
    assert result.statuses == [408] and result.closed, result
    assert time.monotonic() - started < 8
    assert "GAIOHTTP_HEAD_TIMEOUT" in server.log()


# -- ASGI ------------------------------------------------------------------------
def test_asgi_client_from_the_header(asgi_server):
    seen = echoed(send(asgi_server, v1(b"TCP4 192.168.0.1 192.168.0.11 56324 443") + REQUEST))
    assert seen == {"client": ["192.168.0.1", 56324], "path": "/path"}
    if V2:
        assert echoed(send(asgi_server, v2_tcp6() + REQUEST))["client"] == ["2001:db8::1", 54321]
        assert echoed(send(asgi_server, v2(0x20, 0x00) + REQUEST))["client"][0] == "127.0.0.1"
    assert echoed(send(asgi_server, REQUEST))["client"][0] == "127.0.0.1"


@pytest.mark.parametrize("app", [APP, "worker.test_proxy:client_asgi"])
def test_access_log_names_the_headers_client(app):
    # gunicorn logs REMOTE_ADDR (%(h)s): the client the PROXY header names,
    # for an ASGI app (no WSGI environ) as for a WSGI one.
    with _server(app, accesslog="-", access_log_format="client=%(h)s") as server:
        echoed(send(server, v1(b"TCP4 192.168.0.1 192.168.0.11 56324 443") + REQUEST))
        deadline = time.time() + 5
        while "client=" not in server.log() and time.time() < deadline:
            time.sleep(0.05)
        assert "client=192.168.0.1" in server.log(), server.log()[-2000:]


def test_asgi_websocket_client_from_the_header(asgi_server):
    upgrade = (
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: MDEyMzQ1Njc4OWFiY2RlZg==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection(address(asgi_server), timeout=8) as sock:
        sock.sendall(v1(b"TCP6 2001:db8::5 2001:db8::1 7000 443") + upgrade)
        data = b""
        while b"\x88" not in data.partition(b"\r\n\r\n")[2]:  # until the close frame
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
    head, _, frames = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), data
    assert frames[0] == 0x81 and frames[1] < 126, frames
    assert json.loads(frames[2 : 2 + frames[1]].decode()) == {"client": ["2001:db8::5", 7000], "path": "/ws"}


# -- settings ----------------------------------------------------------------
@pytest.mark.parametrize("worker", ["gaiohttp", "sync"])
def test_header_from_a_peer_not_in_proxy_allow_ips_is_forbidden(worker):
    with _server(worker=worker, proxy_allow_ips="10.9.9.9") as server:
        refused = rawhttp.exchange(
            address(server), v1(b"TCP4 1.2.3.4 10.0.0.1 1 2") + REQUEST, want_close=True, timeout=8
        )
        plain = send(server, REQUEST)  # no header: served as usual
        log = server.log()
    assert refused.statuses == [403] and refused.closed, refused
    assert echoed(plain)["REMOTE_ADDR"] == "127.0.0.1"
    if worker == "gaiohttp":
        assert "proxy_allow_ips" in log and "ip=127.0.0.1" in log, log[-2000:]
        if V2:
            with _server(proxy_allow_ips="10.9.9.0/24") as server:
                result = rawhttp.exchange(address(server), v2_tcp4() + REQUEST, want_close=True, timeout=8)
            assert result.statuses == [403], result


@pytest.mark.parametrize("worker", ["gaiohttp", "sync"])
def test_proxy_protocol_off_makes_a_header_a_bad_request(worker):
    with _server(worker=worker, proxy_protocol=False) as server:
        line = rawhttp.exchange(address(server), v1(b"TCP4 1.2.3.4 10.0.0.1 1 2") + REQUEST, want_close=True, timeout=8)
        binary = rawhttp.exchange(address(server), v2_tcp4() + REQUEST, want_close=True, timeout=8)
        seen = echoed(send(server, REQUEST))
    assert line.statuses == [400] and line.closed, line
    assert binary.statuses == [400] and binary.closed, binary
    assert seen["PROXY_PROTOCOL"] is None


@needs_v2
def test_one_version_only():
    with _server(proxy_protocol="v1") as server:
        assert echoed(send(server, v1(b"TCP4 1.2.3.4 10.0.0.1 1 2") + REQUEST))["REMOTE_ADDR"] == "1.2.3.4"
        assert rawhttp.exchange(address(server), v2_tcp4() + REQUEST, want_close=True, timeout=8).statuses == [400]
    with _server(proxy_protocol="v2") as server:
        assert echoed(send(server, v2_tcp4() + REQUEST))["REMOTE_ADDR"] == "192.168.1.10"
        result = rawhttp.exchange(address(server), v1(b"TCP4 1.2.3.4 10.0.0.1 1 2") + REQUEST, want_close=True)
        assert result.statuses == [400], result


def test_gunicorn_23_reads_no_v2():
    if V2:
        pytest.skip("this gunicorn reads v2")
    with _server() as server:
        result = rawhttp.exchange(address(server), v2_tcp4() + REQUEST, want_close=True, timeout=8)
    assert result.statuses == [400], result
