"""Debian's nginx in front of the gaiohttp worker, configured with the site
file docs/deployment.md shows (tests/support/nginx_site.conf): streaming,
client aborts, uploads, upstream keep-alive and reloads through the proxy."""

import concurrent.futures
import contextlib
import hashlib
import json
import os
import signal
import subprocess
import tempfile
import threading
import time

import pytest
from support.clients import Load, connect, head, open_response, send
from support.debian import ensure
from support.gunicorn_helpers import ROOT, SUPPORT, free_port, gunicorn, stop, wait_for

pytestmark = pytest.mark.heavy  # Debian's nginx, installed and started

SITE = os.path.join(SUPPORT, "nginx_site.conf")
APP = "testproject.served:application"


def site_config(socket_path, port):
    with open(SITE) as f:
        text = f.read()
    assert "unix:/run/gunicorn.sock" in text and "listen 80;" in text
    return text.replace("unix:/run/gunicorn.sock", "unix:" + socket_path).replace(
        "listen 80;", "listen 127.0.0.1:%d;" % port
    )


@contextlib.contextmanager
def nginx(socket_path):
    """nginx in the foreground with docs/deployment.md's site config around ``socket_path``."""
    binary = ensure("nginx", "/usr/sbin/nginx")
    prefix = tempfile.mkdtemp(prefix="nginx-test-")
    os.chmod(prefix, 0o755)  # nginx's workers run as nobody
    port = free_port()
    site = os.path.join(prefix, "site.conf")
    with open(site, "w") as f:
        f.write(site_config(socket_path, port))
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(
            "events { worker_connections 1024; }\nhttp { access_log %s/access.log; include %s; }\n" % (prefix, site)
        )
    directives = "daemon off; master_process on; worker_processes 1; pid %s/nginx.pid; error_log %s/error.log info;" % (
        prefix,
        prefix,
    )
    proc = subprocess.Popen(
        [binary, "-p", prefix, "-c", conf, "-e", os.path.join(prefix, "error.log"), "-g", directives],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for("127.0.0.1", port, proc=proc)
        assert proc.poll() is None, open(os.path.join(prefix, "error.log")).read()
        yield ("127.0.0.1", port), prefix
    finally:
        stop(proc, signal.SIGQUIT, 10)  # nginx's graceful stop


@pytest.fixture
def stack(tmp_path):
    """gunicorn on a unix socket, nginx in front: (nginx address, gunicorn server)."""
    sock_dir = tempfile.mkdtemp(prefix="gaiohttp-sock-")
    os.chmod(sock_dir, 0o755)
    path = os.path.join(sock_dir, "gunicorn.sock")
    settings = {"workers": 2, "loglevel": "info"}  # unix-socket peers are trusted proxies
    with gunicorn(APP, bind="unix:" + path, settings=settings) as server:
        with nginx(path) as (addr, prefix):
            deadline = time.time() + 20
            while send(addr, "/hello/")[0] != 200 and time.time() < deadline:  # workers booted
                time.sleep(0.1)
            yield addr, server, prefix


def test_the_deployment_docs_show_the_tested_config():
    with open(os.path.join(ROOT, "docs", "deployment.md"), encoding="utf-8") as f:
        page = f.read()
    with open(SITE) as f:
        assert f.read() in page


def test_streams_event_by_event_and_forwards_client_facts(stack):
    addr, server, _ = stack
    sock = connect(addr)
    # Each event as it is sent, not all at once at the end: the view sends
    # event i only once the test has read event i - 1 (and noted it), so a
    # buffered stream never gets its next event (the socket gives up at 20 s).
    sock.settimeout(20)
    sock.sendall(head("/faults/stream/?sse=1&n=4&gate=sse-read"))
    response = open_response(sock)
    assert response.getheader("X-Accel-Buffering") is None  # nginx consumes it
    for i in range(4):
        line = response.fp.readline()  # chunk size
        data = response.fp.read(int(line, 16) + 2)
        assert data.startswith(b"data: event %d\n\n" % i), data
        server.note("sse-read", str(i))
    sock.close()
    got = send(addr, "/faults/forwarded/", headers={"X-Forwarded-Proto": "https"})
    facts = json.loads(got[2].decode())
    # nginx overwrites a client's X-Forwarded-Proto; its X-Forwarded-For names the client.
    assert facts["scheme"] == "http" and facts["secure"] is False, facts
    assert facts["forwarded_for"] == "127.0.0.1" and facts["host"] == "localhost", facts


def test_client_leaving_nginx_cancels_the_coroutine_view(stack):
    addr, server, _ = stack
    before = len(server.state("cancelled"))
    for _ in range(4):
        polls = len(server.state("polls"))
        sock = connect(addr)
        sock.sendall(head("/faults/poll/?s=20"))
        # Leave only once the view runs: a client gone before nginx has
        # passed the request on cancels nothing (busy machines are slow).
        deadline = time.time() + 8
        while len(server.state("polls")) == polls and time.time() < deadline:
            time.sleep(0.05)
        assert len(server.state("polls")) == polls + 1, "the poll never reached the view"
        sock.close()
    deadline = time.time() + 8
    while len(server.state("cancelled")) < before + 4 and time.time() < deadline:
        time.sleep(0.1)
    assert len(server.state("cancelled")) == before + 4, server.state("cancelled")


def test_large_upload_passes(stack):
    addr, server, _ = stack
    body = os.urandom(24 * 1024 * 1024)
    status, _, text = send(addr, "/faults/upload/", method="POST", body=body, timeout=60)
    assert (status, text) == (200, b"%d %s" % (len(body), hashlib.sha256(body).hexdigest().encode()))


def test_upstream_keepalive_with_posts_gives_no_502(stack):
    addr, server, prefix = stack
    statuses = []
    body = b"x" * 2000
    # Idle gaps around nginx's upstream keepalive_timeout (1 s) and the
    # worker's keepalive (2 s), each followed by a burst of POSTs.
    for gap in (0, 0.9, 1.0, 1.1, 1.9, 2.0, 2.1):
        time.sleep(gap)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses += list(pool.map(lambda _: send(addr, "/faults/upload/", method="POST", body=body)[0], range(24)))
    assert statuses == [200] * len(statuses), sorted(set(statuses))
    with open(os.path.join(prefix, "error.log")) as f:
        assert "upstream prematurely closed" not in f.read()


def test_graceful_restart_behind_nginx_gives_no_502(stack):
    addr, server, _ = stack
    posts = []
    stop = threading.Event()

    def post_loop():
        while not stop.is_set() and len(posts) < 5000:
            try:
                posts.append(send(addr, "/faults/upload/", method="POST", body=b"y" * 5000)[0])
            except OSError as exc:
                posts.append(repr(exc))

    poster = threading.Thread(target=post_loop, daemon=True)
    with Load(addr, path="/hello/", clients=3) as load:
        poster.start()
        time.sleep(0.5)
        server.proc.send_signal(signal.SIGHUP)
        time.sleep(2.5)
        server.proc.send_signal(signal.SIGHUP)
        time.sleep(2.5)
        stop.set()
        poster.join(20)
    assert len(load.results) > 50 and len(posts) > 20
    assert load.failures == [], load.failures[:5]
    assert posts == [200] * len(posts), sorted(set(map(str, posts)))
