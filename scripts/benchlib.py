"""What the benchmarks share: virtualenvs, servers started and stopped, wrk,
the process's RSS and threads, the steal time of the machine.

Used by bench_servers.py (HTTP), bench_drf.py (Django REST framework),
bench_ws.py (WebSockets) and bench_worker_change.py; it imports none of them.
"""

import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from docblocks import write_block  # noqa: E402 - the scripts' one writer of docs tables
from matrix import ensure_venv  # noqa: E402

EXAMPLE = os.path.join(ROOT, "example_montage")
BENCH_DIR = os.path.join(ROOT, ".bench")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk():
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.check_call(["apt-get", "install", "-y", "-q", "wrk"], stdout=subprocess.DEVNULL)
        return
    sys.exit("wrk is needed: apt-get install wrk")


class Server:
    def __init__(self, name, django, venv, cmd, kind, env=None, extras=(), sleep_path=None, sleep_target=None):
        self.name, self.django, self.venv, self.cmd, self.kind = name, django, venv, cmd, kind
        self.env = env or {}
        #: Scenarios run after hello on this server (names of SCENARIOS).
        self.extras = extras
        #: The path the 1000 x 1 s scenario requests (None: no such run): the
        #: async rows' /hello_world/ unless given (a sync row given one runs it too).
        self.sleep_path = sleep_path or ("/hello_world/" if kind == "async" else None)
        self.proc = None
        # The rows whose 1000 x 1 s figures have targets (or are the ceiling):
        # the async rows on Django 2.2 unless told.
        self.sleep_target = (kind == "async" and django == "2.2") if sleep_target is None else sleep_target

    def start(self, port, env):
        log = open(os.path.join(BENCH_DIR, self.name + ".log"), "w")
        cmd = [c.replace("{port}", str(port)) for c in self.cmd]
        env = dict(env, **self.env)
        self.proc = subprocess.Popen(cmd, cwd=EXAMPLE, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                time.sleep(1.0)  # let the worker boot
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("%s did not start (see .bench/%s.log)" % (self.name, self.name))

    def worker_pid(self):
        """The process serving requests: gunicorn's single worker, else the server itself."""
        children = _children(self.proc.pid)
        return children[0] if children and self.cmd[0].endswith("gunicorn") else self.proc.pid

    def stop(self):
        if self.proc and self.proc.poll() is None:
            children = _children(self.proc.pid)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                # A worker stuck in its graceful shutdown would outlive its killed arbiter.
                for pid in children:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass


def _children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def rss_mb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def thread_count(pid):
    """The process's threads (the Threads: line of /proc/<pid>/status), 0 if gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def parse_wrk(out):
    def seconds(text):
        value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
        return float(value) * UNITS[unit]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    result = {"rps": float(rps.group(1)) if rps else 0.0}
    done = re.search(r"(\d+) requests in", out)
    for pct in ("50", "99"):
        m = re.search(r"^\s+%s%%\s+(\S+)" % pct, out, re.M)
        # No request answered (all timed out): no latency, not a latency of 0.
        answered = m and re.match(r"[\d.]+(us|ms|s|m)", m.group(1)) and not (done and done.group(1) == "0")
        result["p" + pct] = seconds(m.group(1)) if answered else None
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["errors"] = (sum(int(x) for x in errors.groups()) if errors else 0) + (int(non2xx.group(1)) if non2xx else 0)
    return result


def wrk(url, connections, duration, threads=1, headers=()):
    cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % duration, "--timeout", "10s", "--latency"]
    for header in headers:
        cmd += ["-H", header]
    return parse_wrk(subprocess.check_output(cmd + [url], text=True))


def burst_seconds(url, count):
    """Seconds until ``count`` requests sent at once are all answered."""
    import concurrent.futures
    import urllib.request

    def get(_):
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return response.status

    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        started = time.monotonic()
        statuses = list(pool.map(get, range(count)))
        elapsed = time.monotonic() - started
    if statuses != [200] * count:
        raise RuntimeError("%s answered %r" % (url, statuses))
    return elapsed


def legacy_venv():
    """Django 2.2 on the newest Python it runs on (3.11), as a project would pick for speed.
    With gevent (gunicorn's extra: gevent, and packaging, which its gevent worker
    imports) for the gunicorn -k gevent rows; psycogreen, which makes psycopg2
    cooperative, is only needed with Postgres: this bench's database is SQLite."""
    os.makedirs(BENCH_DIR, exist_ok=True)
    return ensure_venv(
        os.path.join(BENCH_DIR, "py3.11-django2.2"),
        "3.11",
        ["Django~=2.2.0", ROOT + "[worker,uvloop,drf]", "gunicorn[gevent]"],
    )


def prepare():
    legacy = legacy_venv()
    native = ensure_venv(
        os.path.join(BENCH_DIR, "py3.12-django5.2"),
        "3.12",
        # Channels and daphne for the WebSocket scenarios (bench_ws.py); uvicorn[standard]
        # brings websockets, its WebSocket protocol.
        [
            "Django~=5.2.0",
            ROOT + "[worker,uvloop,drf]",
            "uvicorn[standard]",
            "gunicorn>=23",
            "channels>=4,<5",
            "daphne>=4,<5",
        ],
    )
    return legacy, native


CEILING_APP = """\
import asyncio, sys
from aiohttp import web

async def hello(request):
    return web.Response(text="Hello, world!")

async def sleep(request):
    await asyncio.sleep(1)
    return web.Response(text="Hello, async world!\\n")

app = web.Application()
app.router.add_get("/hello/async/", hello)
app.router.add_get("/hello_world/", sleep)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


def plain_conf_path():
    """An empty gunicorn config: gunicorn loads ./gunicorn.conf.py when given
    no -c, and example_montage's own (gaiohttp, access log on) must not reach
    the other gunicorn rows."""
    path = os.path.join(BENCH_DIR, "plain.conf.py")
    with open(path, "w") as f:
        f.write("# gunicorn's defaults (no access log)\n")
    return path


GUNICORN_COMMON = ["-w", "1", "-b", "127.0.0.1:{port}", "--log-level", "warning"]


def worker_conf(worker_class):
    """A gunicorn config file that selects one of our workers."""
    path = os.path.join(BENCH_DIR, "%s.conf.py" % worker_class)
    with open(path, "w") as f:
        f.write("import async_legacy.worker\nworker_class = %r\nworker_connections = 4000\n" % worker_class)
    return path


def ceiling_path():
    """The bare aiohttp server (the ceiling; also the upstream of bench_drf's wait1000)."""
    path = os.path.join(BENCH_DIR, "ceiling_app.py")
    with open(path, "w") as f:
        f.write(CEILING_APP)
    return path


def gunicorn_cmd(bin_dir, app, *options):
    """One gunicorn worker on {port}, warnings only."""
    return [os.path.join(bin_dir, "gunicorn")] + list(options) + GUNICORN_COMMON + [app]


def uvicorn_cmd(bin_dir, *options):
    """uvicorn serving example_montage's ASGI application on {port}, no access log."""
    return (
        [os.path.join(bin_dir, "python"), "-m", "uvicorn"]
        + list(options)
        + ["--port", "{port}", "--no-access-log", "--log-level", "warning", "montage.asgi:application"]
    )


def migrate(bin_dir, db, env):
    subprocess.check_call([os.path.join(bin_dir, "python"), "manage.py", "migrate", "-v", "0"], cwd=EXAMPLE, env=env)


def open_files_to_hard_limit():
    """1000 connections on each side of loopback: the open-files limit raised to its hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def cpu_ticks():
    """(steal, total) jiffies of all CPUs: on a shared VM, time the hypervisor
    gave to someone else shows as steal."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    return fields[7], sum(fields[:8])


def steal_share(before, after):
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def fmt_s(value):
    return "-" if value is None else ("%.0f ms" % (value * 1000) if value < 1 else "%.2f s" % value)


def add_run_arguments(parser, rounds_help, sleep_help, readme_help):
    """The options every server benchmark here takes, with its own help texts."""
    parser.add_argument("--rounds", type=int, default=5, help=rounds_help + " (default 5)")
    parser.add_argument("--duration", type=int, default=6, help="seconds per hello run (default 6)")
    parser.add_argument("--sleep-duration", type=int, default=20, help=sleep_help)
    parser.add_argument("--write-docs", "--write-readme", dest="write_readme", action="store_true", help=readme_help)


def publish(name, start, end, header, table, to_docs):
    """A benchmark's result: printed, kept in .bench/<name>.md, and written
    between its markers in docs/results.md when ``to_docs``."""
    text = header + "\n\n" + table
    print("\n" + text)
    with open(os.path.join(BENCH_DIR, name + ".md"), "w") as f:
        f.write(text + "\n")
    if to_docs:
        write_block(start, end, text)
