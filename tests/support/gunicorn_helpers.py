"""Start real gunicorn masters on loopback ports for the tests."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

#: tests/: on the servers' PYTHONPATH and their working directory, so apps
#: are named as the tests import them ("support.serverapps:wsgi_app",
#: "testproject.served:application", "worker.test_proxy:client_wsgi").
TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUPPORT = os.path.join(TESTS, "support")
ROOT = os.path.dirname(TESTS)
EXAMPLE = os.path.join(ROOT, "example_montage")
BIN = os.path.dirname(sys.executable)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url_host, port=None, timeout=30, unix=None, proc=None):
    """Until the server listens, or its process ``proc`` has exited (a test
    of a server that must refuse to start reads its log and exit code)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            return
        try:
            if unix:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(unix)
            else:
                socket.create_connection((url_host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start listening in %ss" % timeout)


def until(predicate, seconds=10.0):
    """``predicate()`` once it holds, or its last value after ``seconds`` (a
    guard: the event awaited normally comes at once)."""
    deadline = time.time() + seconds
    while True:
        value = predicate()
        if value or time.time() > deadline:
            return value
        time.sleep(0.05)


class Server:
    """A server process started by one of the helpers below."""

    def __init__(self, proc, base, log_path):
        self.proc = proc
        self.base = base
        self.log_path = log_path

    def log(self):
        with open(self.log_path) as f:
            return f.read()


class Gunicorn(Server):
    """A gunicorn master started by :func:`gunicorn`, with its state directory."""

    def __init__(self, proc, base, log_path, state_dir, bind):
        super().__init__(proc, base, log_path)
        self.state_dir = state_dir
        self.bind = bind

    def note(self, name, text="go"):
        """A line in the state file ``name``, for an app that waits for the test."""
        with open(os.path.join(self.state_dir, name), "a") as f:
            f.write(text + "\n")

    def state(self, name):
        path = os.path.join(self.state_dir, name)
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return f.read().split()


@contextlib.contextmanager
def _running(cmd, log_path, cwd, env, bind):
    """Start ``cmd``, wait until ``bind`` listens, SIGTERM it afterwards."""
    environ = dict(os.environ, PYTHONPATH=TESTS + os.pathsep + EXAMPLE)
    environ.update(env)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, env=environ, stdout=log, stderr=subprocess.STDOUT)
    try:
        if bind.startswith("unix:"):
            wait_for(None, unix=bind[5:], proc=proc)
        else:
            host, port = bind.rsplit(":", 1)
            wait_for(host, int(port), proc=proc)
        yield proc
    finally:
        stop(proc)


def stop(proc, sig=signal.SIGTERM, timeout=20):
    """Signal ``proc`` to stop (if it runs), kill it after ``timeout`` seconds."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def gunicorn(app, settings=None, env=None, cwd=TESTS, bind=None, args=(), code="", scheme="http"):
    """gunicorn with a generated config file; ``settings`` are its variables,
    ``code`` is appended to it verbatim (hooks)."""
    state_dir = tempfile.mkdtemp(prefix="gaiohttp-test-")
    port = free_port()
    bind = bind or "127.0.0.1:%d" % port
    conf = {"worker_class": "gaiohttp", "bind": bind, "workers": 1, "graceful_timeout": 10, "timeout": 30}
    conf.update(settings or {})
    conf_path = os.path.join(state_dir, "gunicorn.conf.py")
    with open(conf_path, "w") as f:
        f.write("import async_legacy.worker\n")
        for key, value in conf.items():
            f.write("%s = %r\n" % (key, value))
        f.write(code)
    log_path = os.path.join(state_dir, "gunicorn.log")
    environ = dict(SERVERAPPS_STATE=state_dir, **(env or {}))
    cmd = [os.path.join(BIN, "gunicorn"), "-c", conf_path] + list(args) + [app]
    with _running(cmd, log_path, cwd, environ, bind) as proc:
        yield Gunicorn(proc, "%s://127.0.0.1:%d" % (scheme, port), log_path, state_dir, bind)


@contextlib.contextmanager
def gunicorn_conf(conf_path, bind, env=None):
    """gunicorn run with a project's own config file (it names the app)."""
    log_path = os.path.join(tempfile.mkdtemp(prefix="gaiohttp-test-"), "gunicorn.log")
    cmd = [os.path.join(BIN, "gunicorn"), "-c", conf_path]
    with _running(cmd, log_path, os.path.dirname(conf_path), env or {}, bind) as proc:
        yield Server(proc, "http://" + bind, log_path)


def asgi_server_command(kind, app, port):
    if kind == "uvicorn":
        return [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), app]
    if kind == "daphne":
        return [os.path.join(BIN, "daphne"), "-b", "127.0.0.1", "-p", str(port), app]
    if kind == "hypercorn":
        # One worker, in the process started (as uvicorn and daphne run);
        # errors (tracebacks included) go to stderr, which the log captures.
        return [os.path.join(BIN, "hypercorn"), "-b", "127.0.0.1:%d" % port, "--error-logfile", "-", app]
    raise ValueError("unknown ASGI server %r" % kind)


@contextlib.contextmanager
def asgi_server(kind, app, env=None, cwd=TESTS):
    """uvicorn, daphne or hypercorn serving ``app`` on a loopback port."""
    port = free_port()
    log_path = os.path.join(tempfile.mkdtemp(prefix="asgi-test-"), kind + ".log")
    bind = "127.0.0.1:%d" % port
    with _running(asgi_server_command(kind, app, port), log_path, cwd, env or {}, bind) as proc:
        yield Server(proc, "http://" + bind, log_path)


#: What the server logs about its own trouble (the views' deliberate errors
#: are logged by Django as "Internal Server Error" and are left out).
SERVER_TROUBLE = (
    "Error handling request",
    "Task exception was never retrieved",
    "Unhandled exception",
    "Fatal error",
    "Exception in callback",
    "was destroyed but it is pending",
    "WORKER TIMEOUT",
)


def assert_only_app_errors_logged(log):
    found = [line for line in log.splitlines() if any(text in line for text in SERVER_TROUBLE)]
    assert found == [], "\n".join(found[:20])
