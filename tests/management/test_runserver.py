"""manage.py runserver with "async_legacy" installed: example_montage, a real process, real requests."""

import concurrent.futures
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests
from support.gunicorn_helpers import EXAMPLE, free_port

from async_legacy.compat import NATIVE_ASYNC

pytestmark = pytest.mark.skipif(NATIVE_ASYNC, reason="Django >= 3.1 keeps its own runserver")


@pytest.fixture
def runserver(tmp_path):
    # A copy of the project: the autoreload test edits it.
    project = str(tmp_path / "example_montage")
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("*.sqlite3", "__pycache__"))
    env = dict(
        os.environ,
        MONTAGE_DB=str(tmp_path / "db.sqlite3"),
        MONTAGE_DEBUG="1",
        DJANGO_SETTINGS_MODULE="montage.settings",
        PYTHONUNBUFFERED="1",
    )
    manage = [sys.executable, os.path.join(project, "manage.py")]
    subprocess.check_call(manage + ["migrate", "-v", "0"], env=env, cwd=project)
    port = free_port()
    log_path = str(tmp_path / "runserver.log")
    log = open(log_path, "w")
    proc = subprocess.Popen(
        manage + ["runserver", "127.0.0.1:%d" % port],
        env=env,
        cwd=project,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = "http://127.0.0.1:%d" % port
    wait_until_up(base, proc, log_path)
    try:
        yield base, project, log_path
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def wait_until_up(base, proc, log_path, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert proc.poll() is None, open(log_path).read()
        try:
            requests.get(base + "/hello/async/", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("runserver did not answer:\n" + open(log_path).read())


def test_coroutine_views_wait_concurrently(runserver):
    base, _, log_path = runserver
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        got = list(pool.map(lambda _: requests.get(base + "/hello_world/"), range(20)))
    assert all(r.status_code == 200 and r.text == "Hello, async world!\n" for r in got)
    # 20 one-second views waiting at once; one at a time would take 20 s (the bound is 5x the view).
    assert time.time() - started < 5.0
    log = open(log_path).read()
    assert "coroutine views awaited concurrently" in log
    assert '"GET /hello_world/ HTTP/1.1" 200' in log  # the access log, as the stock runserver prints one


def test_static_files_as_the_stock_runserver_serves_them(runserver):
    base = runserver[0]
    css = requests.get(base + "/static/montage/site.css")
    assert css.status_code == 200 and "font-family" in css.text
    assert requests.get(base + "/static/montage/missing.css").status_code == 404


def test_autoreload_picks_up_a_changed_module(runserver):
    base, project, log_path = runserver
    assert text_once_up(base + "/hello/sync/") == "Hello, world!"
    views = os.path.join(project, "montage", "views.py")
    with open(views) as f:
        source = f.read()
    time.sleep(1.1)  # a newer mtime than the reloader's snapshot
    with open(views, "w") as f:
        f.write(source.replace('return HttpResponse("Hello, world!")', 'return HttpResponse("Hello, reloaded!")'))
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            if requests.get(base + "/hello/sync/", timeout=1).text == "Hello, reloaded!":
                return
        except RESTARTING:
            pass  # the new process is starting
        time.sleep(0.2)
    raise AssertionError("no reload:\n" + open(log_path).read())


#: What a request meets while the autoreloader swaps processes (one may be cut mid-response).
RESTARTING = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


def text_once_up(url, seconds=10):
    """The page's text; retried across a restart (on a loaded machine Django 1.11's
    reloader has been seen to restart once at start-up)."""
    deadline = time.time() + seconds
    while True:
        try:
            return requests.get(url, timeout=5).text
        except RESTARTING:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
