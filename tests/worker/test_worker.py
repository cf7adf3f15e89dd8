"""The gaiohttp worker under real gunicorn masters, with real HTTP clients."""

import concurrent.futures
import re
import signal
import socket
import struct
import subprocess
import time

import pytest
import requests
from support.gunicorn_helpers import gunicorn, until


def test_serves_plain_wsgi_app():
    with gunicorn("support.serverapps:wsgi_app") as server:
        got = requests.post(server.base + "/echo/path?q=1", data=b"x" * 100)
        assert got.status_code == 200
        assert got.json()["method"] == "POST" and got.json()["path"] == "/echo/path"
        assert got.json()["body_length"] == 100 and got.json()["query"] == "q=1"


def test_serves_asgi_app_with_lifespan():
    with gunicorn("support.serverapps:asgi_app") as server:
        got = requests.put(server.base + "/a", data=b"y" * 70000)
        assert got.json() == {"method": "PUT", "path": "/a", "body_length": 70000}
        assert server.state("lifespan") == ["startup"]
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(20)
        assert server.state("lifespan") == ["startup", "shutdown"]


def test_worker_class_by_path_and_by_entry_point():
    for spec in ("async_legacy.worker.GaiohttpWorker", "egg:django-async-legacy#gaiohttp"):
        with gunicorn("support.serverapps:wsgi_app", settings={"worker_class": spec}) as server:
            assert requests.get(server.base + "/").status_code == 200


def test_keepalive_reuses_the_connection():
    with gunicorn("support.serverapps:wsgi_app") as server:
        with requests.Session() as session:
            ports = {session.get(server.base + "/").json()["remote_port"] for _ in range(5)}
        assert len(ports) == 1


def test_head_has_no_body():
    with gunicorn("support.serverapps:wsgi_app") as server:
        got = requests.head(server.base + "/")
        assert got.status_code == 200 and got.content == b"" and int(got.headers["Content-Length"]) > 0


#: Each write of a connection's transport, noted in the state dir: "H" when
#: it starts with a status line, "B" for body bytes only.
COUNT_WRITES = """
import os
from asyncio import selector_events

def post_worker_init(worker):
    transport = selector_events._SelectorSocketTransport
    write, writelines = transport.write, getattr(transport, "writelines", None)
    path = os.path.join(os.environ["SERVERAPPS_STATE"], "writes")

    def note(data):
        with open(path, "a") as f:
            f.write("H\\n" if bytes(data[:5]) == b"HTTP/" else "B\\n")

    def counted_write(self, data):
        note(data)
        return write(self, data)

    transport.write = counted_write
    if writelines is not None:
        def counted_writelines(self, chunks):
            chunks = list(chunks)
            note(b"".join(chunks))
            return writelines(self, chunks)

        transport.writelines = counted_writelines
"""


@pytest.mark.parametrize(
    "app", ["support.serverapps:echo_wsgi", "support.serverapps:echo_coroutine", "support.serverapps:echo_asgi"]
)
def test_a_small_response_goes_out_in_one_write(app):
    from aiohttp import web

    # aiohttp >= 3.12 can hold the head back for the body; older ones send it at once.
    coalesced = hasattr(web.StreamResponse, "_send_headers_immediately")
    with gunicorn(app, code=COUNT_WRITES) as server:
        with requests.Session() as session:
            for method in ("GET", "POST", "HEAD", "GET"):
                got = session.request(method, server.base + "/", data=b"x" * 10 if method == "POST" else None)
                assert got.status_code == 200 and (method == "HEAD" or got.json()["method"] == method)
        writes = server.state("writes")
    expected = ["H"] * 4 if coalesced else ["H", "B", "H", "B", "H", "H", "B"]
    assert writes == expected, writes


def test_a_django_response_goes_out_in_one_write():
    from aiohttp import web

    coalesced = hasattr(web.StreamResponse, "_send_headers_immediately")
    with gunicorn("testproject.served:application", code=COUNT_WRITES) as server:
        with requests.Session() as session:
            for method in ("GET", "HEAD", "GET"):
                got = session.request(method, server.base + "/hello/")
                assert got.status_code == 200 and got.content == (b"" if method == "HEAD" else b"hello")
        writes = server.state("writes")
    assert writes == (["H"] * 3 if coalesced else ["H", "B", "H", "H", "B"]), writes


def test_a_streaming_body_gets_its_head_at_once():
    # The app yields its first chunk only once the test has read the head:
    # a head held back until the body would never come (the socket gives up
    # after 20 s, before the app's own guard of 30 s).
    with gunicorn("support.serverapps:late_stream") as server:
        port = int(server.base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                first = sock.recv(65536)
            except socket.timeout:
                pytest.fail("the head waited for the body")
            server.note("go")
            data = first
            while b"0\r\n\r\n" not in data:
                data += sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 200 ") and b"late" not in first, first
    assert b"late" in data, data


def test_chunked_request_body_and_expect_100_continue():
    with gunicorn("support.serverapps:wsgi_app") as server:
        got = requests.post(server.base + "/", data=iter([b"a" * 1000, b"b" * 2000]))
        assert got.json()["body_length"] == 3000
        host, port = server.bind.split(":")
        with socket.create_connection((host, int(port))) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            assert s.recv(100).startswith(b"HTTP/1.1 100 Continue")
            s.sendall(b"hello")
            data = b""
            while b'"x_test"' not in data:
                chunk = s.recv(4096)
                assert chunk, data
                data += chunk
            assert b'"body_length": 5' in data


def test_request_body_limit_gives_413():
    with gunicorn("support.serverapps:wsgi_app", env={"GAIOHTTP_MAX_BODY_SIZE": "1000"}) as server:
        assert requests.post(server.base + "/", data=b"x" * 1000).status_code == 200
        assert requests.post(server.base + "/", data=b"x" * 1001).status_code == 413
        assert requests.post(server.base + "/", data=iter([b"x" * 800, b"x" * 800])).status_code == 413


def test_app_startup_objects_are_frozen_out_of_the_cyclic_gc():
    with gunicorn("support.serverapps:wsgi_app") as server:
        frozen = requests.get(server.base + "/").json()["gc_frozen"]
    with gunicorn("support.serverapps:wsgi_app", settings={"preload_app": True}) as server:
        preloaded = requests.get(server.base + "/").json()["gc_frozen"]
    with gunicorn("support.serverapps:wsgi_app", env={"GAIOHTTP_GC_FREEZE": "0"}) as server:
        left_alone = requests.get(server.base + "/").json()["gc_frozen"]
    # Some Pythons freeze a few hundred objects of their own at start-up.
    assert frozen > left_alone + 10000 and preloaded > left_alone + 10000


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("GAIOHTTP_GC_FREEZE", "maybe", "GAIOHTTP_GC_FREEZE must be 1 or 0; got 'maybe'"),
        ("GAIOHTTP_CPU_AFFINITY", "2", "GAIOHTTP_CPU_AFFINITY must be 1 or 0; got '2'"),
        ("GAIOHTTP_MAX_BODY_SIZE", "10MB", "GAIOHTTP_MAX_BODY_SIZE must be a number of bytes"),
    ],
)
def test_bad_setting_stops_gunicorn_with_a_message(name, value, message):
    with gunicorn("support.serverapps:wsgi_app", env={name: value}) as server:
        assert server.proc.wait(30) != 0  # "Worker failed to boot": no restart loop
        assert message in server.log()


def test_max_requests_closes_the_last_connection_and_recycles():
    with gunicorn("support.serverapps:wsgi_app", settings={"max_requests": 3}) as server:
        with requests.Session() as session:
            first = [session.get(server.base + "/") for _ in range(3)]
        assert [r.headers.get("Connection", "").lower() for r in first][-1] == "close"
        deadline = time.time() + 15
        while "Max requests, shutting down" not in server.log() and time.time() < deadline:
            time.sleep(0.1)
        assert "Max requests, shutting down" in server.log()
        time.sleep(1)
        assert requests.get(server.base + "/").status_code == 200  # a new worker took over


def test_worker_connections_is_enforced():
    with gunicorn("support.serverapps:slow_app", settings={"worker_connections": 2}) as server:
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda _: requests.get(server.base + "/?s=0.5", timeout=20).text, range(6)))
        assert all(r.startswith("done") for r in results)
        assert max(int(r.split("peak=")[1]) for r in results) == 2


def test_limit_request_line():
    with gunicorn("support.serverapps:wsgi_app", settings={"limit_request_line": 100}) as server:
        assert requests.get(server.base + "/" + "a" * 50).status_code == 200
        assert requests.get(server.base + "/" + "a" * 200).status_code in (400, 414)


def test_secure_scheme_headers_only_from_allowed_ips():
    with gunicorn("support.serverapps:wsgi_app", settings={"forwarded_allow_ips": "10.9.9.9"}) as server:
        got = requests.get(server.base + "/", headers={"X-Forwarded-Proto": "https"})
        assert got.json()["scheme"] == "http"
    with gunicorn("support.serverapps:wsgi_app", settings={"forwarded_allow_ips": "127.0.0.1"}) as server:
        got = requests.get(server.base + "/", headers={"X-Forwarded-Proto": "https"})
        assert got.json()["scheme"] == "https"


def test_environ_per_request_on_a_kept_alive_connection():
    """What stays per connection (addresses) is computed once; what a request
    says (scheme headers, path, its own headers) is read from each request."""
    with gunicorn("support.serverapps:wsgi_app", settings={"forwarded_allow_ips": "127.0.0.1"}) as server:
        with requests.Session() as one, requests.Session() as two:
            first = one.get(server.base + "/a%20b?x=1", headers={"X-Forwarded-Proto": "https", "X-Test": "1"}).json()
            second = one.get(server.base + "/c", headers={"X-Test": "2"}).json()
            other = two.get(server.base + "/d").json()
    assert (first["scheme"], first["path"], first["query"], first["x_test"]) == ("https", "/a b", "x=1", "1")
    assert (second["scheme"], second["path"], second["query"], second["x_test"]) == ("http", "/c", "", "2")
    assert first["remote_port"] == second["remote_port"] != other["remote_port"]
    assert other["x_test"] is None


def test_asgi_scope_per_request_on_a_kept_alive_connection():
    with gunicorn("support.serverapps:asgi_app", settings={"forwarded_allow_ips": "127.0.0.1"}) as server:
        port = int(server.base.rsplit(":", 1)[1])
        with requests.Session() as one, requests.Session() as two:
            first = one.get(server.base + "/scope/a", headers={"X-Forwarded-Proto": "https"}).json()
            second = one.get(server.base + "/scope/b").json()
            other = two.get(server.base + "/scope/c").json()
        refused = requests.get(server.base + "/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "off"})
    assert (first["scheme"], second["scheme"], other["scheme"]) == ("https", "http", "http")
    assert first["client"] == second["client"] != other["client"] and first["client"][0] == "127.0.0.1"
    assert first["server"] == ["127.0.0.1", port] == other["server"]
    assert refused.status_code == 400 and "scheme headers" in refused.text  # a contradicting proxy


def test_access_log_uses_gunicorn_format():
    settings = {"accesslog": "-", "access_log_format": "ACCESS %(s)s %(m)s %(U)s %({x-test}i)s %(b)s"}
    with gunicorn("support.serverapps:wsgi_app", settings=settings, env={"GAIOHTTP_MAX_BODY_SIZE": "1000"}) as server:
        requests.get(server.base + "/logged", headers={"X-Test": "marker"})

        def logged():
            return any(line.startswith("ACCESS 200 GET /logged marker ") for line in server.log().splitlines())

        deadline = time.time() + 10  # the line is written after the response is sent
        while not logged() and time.time() < deadline:
            time.sleep(0.05)
        assert logged()
        requests.post(server.base + "/too-big", data=b"x" * 2000)
        deadline = time.time() + 10
        while "ACCESS 413 POST /too-big" not in server.log() and time.time() < deadline:
            time.sleep(0.05)
        assert "ACCESS 413 POST /too-big" in server.log()


def test_unix_socket_bind(tmp_path):
    path = str(tmp_path / "g.sock")
    with gunicorn("support.serverapps:wsgi_app", bind="unix:" + path):
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)
            s.sendall(b"GET /unix HTTP/1.0\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        assert data.startswith(b"HTTP/1.0 200") and b'"/unix"' in data


def test_client_disconnect_cancels_the_app():
    with gunicorn("support.serverapps:slow_app") as server:
        host, port = server.bind.split(":")
        with socket.create_connection((host, int(port))) as s:
            s.sendall(b"GET /gone?s=30 HTTP/1.1\r\nHost: x\r\n\r\n")
            assert until(lambda: "/gone" in server.state("started")), "the app never started"
        deadline = time.time() + 10
        while not server.state("cancelled") and time.time() < deadline:
            time.sleep(0.1)
        assert server.state("cancelled") == ["/gone"]


def test_a_client_leaving_an_asgi_app_sends_disconnect_then_cancels_it():
    # ASGI's way: the app hears http.disconnect and may end on its own; one
    # that does not is cancelled DISCONNECT_GRACE (1 s) later, not at once.
    with gunicorn("support.serverapps:asgi_disconnect_app") as server:
        host, port = server.bind.split(":")
        closed = {}
        for path in ("/listen", "/stubborn"):
            with socket.create_connection((host, int(port))) as s:
                s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
                deadline = time.time() + 10
                while path not in server.state("asgi-started") and time.time() < deadline:
                    time.sleep(0.05)
                assert path in server.state("asgi-started"), "the app never started %s" % path
            closed[path] = time.time()
        deadline = time.time() + 10
        while len(server.state("asgi-ended")) < 6 and time.time() < deadline:
            time.sleep(0.1)
        ended = server.state("asgi-ended")
        # /listen ended on the disconnect it heard, before any grace could cancel it.
        assert ended[0:2] == ["/listen", "disconnect"] and ended[3:5] == ["/stubborn", "cancelled"], ended
        # The grace is the behaviour: not cancelled at once, but about 1 s later
        # (the upper bound 5x the grace, for a loaded machine).
        assert 0.8 < float(ended[5]) - closed["/stubborn"] < 5.0
        assert "Error handling request" not in server.log()


@pytest.mark.parametrize(
    "app", ["support.serverapps:slow_app", "support.serverapps:wsgi_app", "support.serverapps:asgi_app"]
)
@pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
def test_client_gone_mid_response_is_not_logged_as_an_error(app, reset):
    # Clients that leave while their responses are being written (a closed
    # tab, a load balancer's timeout, a load tester stopping) are routine:
    # no error, no traceback. Pipelined requests make it happen every time.
    with gunicorn(app, settings={"loglevel": "info"}) as server:
        host, port = server.bind.split(":")
        socks = [socket.create_connection((host, int(port))) for _ in range(20)]
        for s in socks:
            s.sendall(b"GET /p?s=0 HTTP/1.1\r\nHost: x\r\n\r\n" * 50)
        time.sleep(0.01)
        for s in socks:
            if reset:  # linger 0: the server gets a reset, not an orderly close
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        time.sleep(1)
        assert requests.get(server.base + "/after", timeout=10).status_code == 200
        log = server.log()
        assert "Traceback" not in log and "Error handling request" not in log, log[:3000]


def test_apps_own_connection_reset_is_a_server_error():
    with gunicorn("support.serverapps:upstream_reset_app") as server:
        got = requests.get(server.base + "/", timeout=10)
        assert got.status_code == 500
        assert "upstream API reset the connection" in server.log()


def test_sigterm_lets_in_flight_requests_finish():
    with gunicorn("support.serverapps:slow_app", settings={"graceful_timeout": 10}) as server:
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            futures = [pool.submit(requests.get, server.base + "/?s=1.5", timeout=30) for _ in range(20)]
            assert until(lambda: len(server.state("started")) == 20), server.state("started")  # all in flight
            server.proc.send_signal(signal.SIGTERM)
            statuses = [f.result().status_code for f in futures]
        assert statuses == [200] * 20
        assert server.proc.wait(20) == 0


def test_blocked_loop_gets_the_worker_replaced():
    with gunicorn("support.serverapps:blocking_app", settings={"timeout": 2}) as server:
        time.sleep(3)  # an idle worker keeps its heartbeat going
        assert "WORKER TIMEOUT" not in server.log()
        with pytest.raises(requests.RequestException):
            requests.get(server.base + "/?s=20", timeout=15)  # blocks the loop for 20 s
        assert "WORKER TIMEOUT" in server.log()
        assert requests.get(server.base + "/?s=0", timeout=15).status_code == 200  # the new worker


def test_limit_request_fields_and_field_size():
    settings = {"limit_request_fields": 10, "limit_request_field_size": 200}
    with gunicorn("support.serverapps:wsgi_app", settings=settings) as server:
        few = {"X-H%d" % i: "v" for i in range(3)}
        assert requests.get(server.base + "/", headers=few).status_code == 200
        many = {"X-H%d" % i: "v" for i in range(20)}
        got = requests.get(server.base + "/", headers=many)
        assert got.status_code == 431 and "limit_request_fields" in got.text
        assert requests.get(server.base + "/", headers={"X-Big": "v" * 500}).status_code in (400, 431)
        assert requests.get(server.base + "/").status_code == 200  # the worker is fine


def test_pipelined_requests_are_answered_in_order():
    with gunicorn("support.serverapps:wsgi_app") as server:
        host, port = server.bind.split(":")
        with socket.create_connection((host, int(port))) as s:
            s.sendall(b"".join(b"GET /p%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(3)))
            data = b""
            deadline = time.time() + 10
            while len(re.findall(rb'"path": "/p\d"', data)) < 3 and time.time() < deadline:
                data += s.recv(65536)
        assert data.count(b"HTTP/1.1 200 OK") == 3
        paths = [p.decode() for p in re.findall(rb'"path": "(/p\d)"', data)]
        assert paths == ["/p0", "/p1", "/p2"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.check_call(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return cert, key


def test_tls_with_gunicorns_certfile_and_keyfile(certificate):
    cert, key = certificate
    with gunicorn("support.serverapps:wsgi_app", settings={"certfile": cert, "keyfile": key}, scheme="https") as server:
        got = requests.get(server.base + "/tls", verify=cert)
        assert got.status_code == 200 and got.json()["scheme"] == "https"
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(server.base.replace("https:", "http:") + "/tls", timeout=5)


HOOKS = """
import os
import re
def _note(name, text):
    with open(os.path.join(os.environ["SERVERAPPS_STATE"], name), "a") as f:
        f.write(text + "\\n")
def pre_request(worker, req):
    _note("pre", req.method + ":" + req.path)
def post_request(worker, req, environ, resp):
    _note("post", req.path + ":" + str(resp.status).split()[0])
def worker_int(worker):
    _note("worker_int", "called")
"""


def test_request_hooks_and_quick_sigint():
    with gunicorn("support.serverapps:slow_app", settings={"graceful_timeout": 20}, code=HOOKS) as server:
        assert requests.get(server.base + "/hooked?s=0").status_code == 200
        deadline = time.time() + 5
        while not server.state("post") and time.time() < deadline:
            time.sleep(0.05)
        assert server.state("pre") == ["GET:/hooked"]
        assert server.state("post") == ["/hooked:200"]
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pending = pool.submit(requests.get, server.base + "/?s=15", timeout=30)
            assert until(lambda: "/" in server.state("started")), "the request never reached the app"
            started = time.time()
            server.proc.send_signal(signal.SIGINT)  # quick: no graceful wait
            server.proc.wait(15)
            assert time.time() - started < 8  # graceful_timeout is 20 s
            with pytest.raises(requests.RequestException):
                pending.result()
        assert server.state("worker_int") == ["called"]


def test_uvloop_variant():
    pytest.importorskip("uvloop")
    with gunicorn("support.serverapps:loop_app", settings={"worker_class": "gaiohttp_uvloop"}) as server:
        assert requests.get(server.base + "/").text.startswith("uvloop")
    with gunicorn("support.serverapps:loop_app") as server:
        assert requests.get(server.base + "/").text.startswith("asyncio")


def test_reload_picks_up_a_changed_module(tmp_path):
    module = tmp_path / "reloadapp.py"
    source = (
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'%s']\n"
    )
    module.write_text(source % "v1")
    with gunicorn("reloadapp:app", settings={"reload": True}, cwd=str(tmp_path)) as server:
        assert requests.get(server.base + "/").text == "v1"
        time.sleep(1.0)
        module.write_text(source % "v2")
        deadline = time.time() + 20
        text = "v1"
        while text != "v2" and time.time() < deadline:
            time.sleep(0.3)
            try:
                text = requests.get(server.base + "/", timeout=5).text
            except requests.RequestException:
                pass  # between the old worker and the new one
        assert text == "v2"


def test_serves_aiohttp_application_with_its_signals():
    with gunicorn(
        "support.serverapps:aiohttp_app", settings={"accesslog": "-", "access_log_format": "ACCESS %(s)s %(U)s"}
    ) as server:
        got = requests.get(server.base + "/hello/ada")
        assert (got.status_code, got.text) == (200, "hello ada from Request")
        assert requests.get(server.base + "/nowhere").status_code == 404
        assert server.state("aiohttp") == ["startup"]
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(20)
    assert server.state("aiohttp") == ["startup", "cleanup"]
    assert "ACCESS 200 /hello/ada" in server.log()
