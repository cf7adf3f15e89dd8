"""Django's thread contract, served by a real gunicorn master (gaiohttp worker).

Third-party code relies on what Django's sync WSGI handler guarantees: all
sync code of ONE request runs on ONE thread; a thread-local set early in a
request is seen later in that request and never by another request; a
contextvar set in a middleware's process_request can be reset with its token
in the same middleware's process_response; and no request waits forever,
whatever the concurrency.

Every test serves tests/affinityproject (``affinityproject.served:application``:
``async_legacy.get_application()``, with ASYNC_LEGACY_PIPELINE = True on
Django >= 3.1) from one gaiohttp worker with ASYNC_LEGACY_THREADS = 4
(AFFINITY_THREADS), and sends it real concurrent HTTP requests from threads.
django-simple-history and django-debug-toolbar are the versions
scripts/matrix.py installs for the pair; their tests skip where none is.
"""

import concurrent.futures
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from importlib.util import find_spec

import django
import pytest
import requests
from support.gunicorn_helpers import TESTS, gunicorn

APP = "affinityproject.served:application"
THREADS = 4
#: Seconds within which every request of a test must be answered.
BOUND = 20
#: A hung worker is killed soon after the test gives up on it.
GUNICORN = {"graceful_timeout": 3}
USERS = 10


def _env(db, stack, threads=THREADS, **extra):
    env = {
        "DJANGO_SETTINGS_MODULE": "affinityproject.settings",
        "AFFINITY_DB": db,
        "AFFINITY_STACK": stack,
        "AFFINITY_THREADS": str(threads),
    }
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def affinity_db(tmp_path_factory):
    """The project's SQLite file, migrated, with USERS users logged in: {"path", "sessions"}."""
    path = str(tmp_path_factory.mktemp("affinity") / "db.sqlite3")
    env = dict(os.environ, PYTHONPATH=TESTS, **_env(path, "deadlock"))
    out = subprocess.check_output(
        [sys.executable, "-m", "affinityproject.setup_db", str(USERS)], cwd=TESTS, env=env, timeout=120
    )
    return {"path": path, "sessions": json.loads(out.decode().strip().splitlines()[-1])}


@contextlib.contextmanager
def serve(db, stack, threads=THREADS, **extra):
    with gunicorn(APP, settings=GUNICORN, env=_env(db["path"], stack, threads, **extra)) as server:
        # One request first, alone: the worker has booted and set Django up
        # (its status is the tests' business: ContextVarMiddleware fails a 404 too).
        try:
            requests.get(server.base + "/no-such-page/", timeout=BOUND)
        except requests.RequestException as exc:
            pytest.fail(
                "the worker did not answer a first request: %s\n%s" % (exc, server.log()[-4000:]), pytrace=False
            )
        yield server


def concurrently(server, requests_args, bound=BOUND):
    """Send every ``(path, headers, cookies)`` at once, each from its own
    thread; returns a list of responses, or of the exception each raised
    (a ``requests.Timeout`` for a request not answered within ``bound`` s)."""
    barrier = threading.Barrier(len(requests_args))

    def one(path, headers, cookies):
        barrier.wait(10)
        return requests.get(server.base + path, headers=headers, cookies=cookies, timeout=(5, bound))

    pool = concurrent.futures.ThreadPoolExecutor(len(requests_args))
    try:
        futures = [pool.submit(one, *args) for args in requests_args]
        concurrent.futures.wait(futures, timeout=bound + 15)
        results = []
        for future in futures:
            if not future.done():
                results.append(TimeoutError("the client thread itself did not return"))
            elif future.exception() is not None:
                results.append(future.exception())
            else:
                results.append(future.result())
        return results
    finally:
        pool.shutdown(wait=False)


def _describe(result):
    if isinstance(result, requests.Response):
        return "%d" % result.status_code
    return type(result).__name__


def _failure(server, what, problems, results=None):
    """An assertion message: what went wrong, per request, and the worker's log's end."""
    lines = ["%s (%d problem(s)):" % (what, len(problems))]
    lines += ["  " + p for p in problems[:20]]
    if len(problems) > 20:
        lines.append("  ... and %d more" % (len(problems) - 20))
    if results is not None:
        lines.append("  statuses: %s" % " ".join(_describe(r) for r in results))
    log = server.log()
    lines.append("--- end of the gunicorn log:\n" + log[-4000:])
    return "\n".join(lines)


def _log_says(server, text):
    return text in server.log()


def _check(server, what, problems, results=None):
    if problems:
        pytest.fail(_failure(server, what, problems, results), pytrace=False)


def _all_answered(server, results, bound=BOUND, threads=THREADS):
    """Fail (with what was answered) unless every request got a response."""
    missing = [i for i, r in enumerate(results) if not isinstance(r, requests.Response)]
    if missing:
        problems = ["request %d: %s: %s" % (i, type(results[i]).__name__, results[i]) for i in missing[:5]]
        pytest.fail(
            _failure(
                server,
                "DEADLOCK: %d of %d concurrent requests were not answered within %d s "
                "(ASYNC_LEGACY_THREADS = %d); %d were"
                % (len(missing), len(results), bound, threads, len(results) - len(missing)),
                problems,
                results,
            ),
            pytrace=False,
        )


# 1. No deadlock ---------------------------------------------------------------


@pytest.mark.parametrize("styles, threads", [("both", THREADS), ("function", THREADS), ("class", THREADS), ("both", 1)])
def test_three_times_the_threads_in_wrapping_middleware_are_all_answered(affinity_db, styles, threads):
    """3x ASYNC_LEGACY_THREADS requests (12 with 4 threads, 3 with one) through
    Django's usual stack, LocaleMiddleware, a docs-style class middleware (with
    process_view) and/or a function middleware, to a coroutine view that sleeps
    0.5 s and returns a TemplateResponse."""
    count = 3 * threads
    with serve(affinity_db, "deadlock", threads, AFFINITY_STYLES=styles) as server:
        started = time.monotonic()
        results = concurrently(server, [("/page/", {"X-User": "u%d" % i}, None) for i in range(count)])
        elapsed = time.monotonic() - started
        _all_answered(server, results, threads=threads)
        problems = []
        for i, response in enumerate(results):
            if response.status_code != 200:
                problems.append("request %d: status %d: %r" % (i, response.status_code, response.text[:300]))
                continue
            if "Page for u%d in en" % i not in response.text:
                problems.append("request %d: body %r" % (i, response.text[:200]))
            for style, header, what in (
                (
                    "class",
                    "Class",
                    "the class middleware's __call__ before/after get_response and its process_view ran",
                ),
                ("function", "Function", "the function middleware ran"),
            ):
                if styles not in ("both", style):
                    continue
                if response.headers.get("X-%s-Middleware" % header) != "called":
                    problems.append("request %d: no X-%s-Middleware header" % (i, header))
                seen = response.headers.get("X-%s-Threads" % header, "").split()
                if len(set(seen)) != 1:
                    problems.append("request %d: %s on different threads (%s)" % (i, what, " / ".join(seen)))
        _check(server, "wrong answers after %.1f s" % elapsed, problems, results)
        # Three waves of 0.5 s at most; generous for a crowded machine.
        assert elapsed < BOUND, "%d requests took %.1f s" % (count, elapsed)


# 2. Thread-locals -------------------------------------------------------------


def test_a_thread_local_set_in_process_request_is_the_requests_own(affinity_db):
    """ThreadLocalMiddleware keeps the request in a threading.local; the coroutine view
    reads it after an await through sync_to_async; process_response reads it again.
    Each must find its own request, on the thread process_request ran on."""
    count = 16
    with serve(affinity_db, "threadlocal") as server:
        results = concurrently(server, [("/whoami/", {"X-User": "user-%02d" % i}, None) for i in range(count)])
        _all_answered(server, results)
        problems = []
        for i, response in enumerate(results):
            me = "user-%02d" % i
            if response.status_code != 200:
                problems.append("%s: status %d" % (me, response.status_code))
                continue
            h = response.headers
            if h["X-Sync-Found"] != me:
                problems.append(
                    "%s: the view's sync_to_async code found the thread-local request of %s" % (me, h["X-Sync-Found"])
                )
            if h["X-Response-Found"] != me:
                problems.append(
                    "%s: process_response found the thread-local request of %s" % (me, h["X-Response-Found"])
                )
            threads = (h["X-Thread-Request"], h["X-Thread-Sync"], h["X-Thread-Response"])
            if len(set(threads)) != 1:
                problems.append(
                    "%s: process_request, the view's sync_to_async code and process_response ran on "
                    "threads %s / %s / %s" % ((me,) + threads)
                )
        _check(server, "thread-local state crossed requests", problems)


def _version(dist):
    """The installed version of the distribution ``dist``."""
    try:
        from importlib.metadata import version
    except ImportError:  # Python 3.7
        import pkg_resources

        return pkg_resources.get_distribution(dist).version
    return version(dist)


# 3. django-simple-history ---------------------------------------------------------


def _simple_history():
    spec = find_spec("simple_history")
    if spec is None:
        pytest.skip(
            "django-simple-history is not installed for this pair (scripts/matrix.py installs it where a "
            "version supports the Django release: 2.12.0 on 1.11-3.1, 3.3.0 on 3.2, 3.8.0 on 4.2, 3.13.0 on 5.2)"
        )
    return _version("django-simple-history")


@pytest.mark.parametrize("save", ["sync_to_async", "acreate"])
def test_simple_history_records_the_logged_in_user_of_each_request(affinity_db, save):
    """HistoryRequestMiddleware keeps the request for HistoricalRecords (a
    threading.local in 2.x); ten logged-in users each save a Note from a coroutine
    view after an await: every history row must name the user who saved it."""
    version = _simple_history()
    run = uuid.uuid4().hex[:8]
    path = "/note/" if save == "sync_to_async" else "/note-orm/"
    sessions = sorted(affinity_db["sessions"].items())
    with serve(affinity_db, "history") as server:
        calls = [
            (path, {"X-User": name, "X-Note": "%s:%s" % (run, name)}, {"sessionid": key}) for name, key in sessions
        ]
        results = concurrently(server, calls)
        _all_answered(server, results)
        problems = []
        for (name, _), response in zip(sessions, results):
            if response.status_code != 200:
                problems.append("%s: status %d" % (name, response.status_code))
            elif response.headers["X-History-User"] != name:
                problems.append(
                    "%s: the history row of its save names history_user %s" % (name, response.headers["X-History-User"])
                )
        with contextlib.closing(sqlite3.connect(affinity_db["path"], timeout=10)) as db:
            rows = db.execute(
                "SELECT h.text, u.username FROM affinityproject_historicalnote h "
                "LEFT JOIN auth_user u ON u.id = h.history_user_id WHERE h.text LIKE ?",
                (run + ":%",),
            ).fetchall()
        right = sum(1 for text, user in rows if text.split(":", 1)[1] == user)
        if right != len(sessions):
            problems.insert(
                0,
                "in the database: %d/%d history rows name the right history_user; rows: %s"
                % (right, len(sessions), sorted(rows)),
            )
        _check(server, "django-simple-history %s recorded the wrong users" % version, problems, results)


# 4. contextvars -----------------------------------------------------------------


@pytest.mark.parametrize("view", ["async", "sync"])
def test_a_contextvar_set_in_process_request_resets_in_process_response(affinity_db, view):
    """ContextVarMiddleware: ``request._token = VAR.set(...)`` in process_request,
    ``VAR.reset(request._token)`` in process_response. Django's handler runs both
    in one Context; a ValueError "<Token ...> was created in a different Context"
    becomes a 500."""
    count = 8
    with serve(affinity_db, "contextvar") as server:
        results = concurrently(server, [("/var/%s/" % view, {"X-User": "v%d" % i}, None) for i in range(count)])
        _all_answered(server, results)
        problems = []
        for i, response in enumerate(results):
            if response.status_code != 200:
                problems.append("v%d: status %d" % (i, response.status_code))
            elif response.text != "v%d" % i:
                problems.append("v%d: the %s view saw the contextvar at %r" % (i, view, response.text))
        if _log_says(server, "was created in a different Context"):
            problems.append("the log has: ValueError: <Token ...> was created in a different Context")
        _check(server, "the contextvar's token could not be reset", problems)


# 5. django-debug-toolbar's Logging panel --------------------------------------------


def _toolbar_with_logging_panel():
    spec = find_spec("debug_toolbar")
    if spec is None or not any(
        os.path.exists(os.path.join(d, "panels", "logging.py")) for d in spec.submodule_search_locations
    ):
        pytest.skip(
            "no django-debug-toolbar with a Logging panel for Django %s: the panel was removed in 4.0, and "
            "3.8.1, the last with it, supports Django 3.2-4.1 (scripts/matrix.py installs 2.2.1 on 1.11, "
            "3.2.4 on 2.2-3.1, 3.8.1 on 3.2)" % django.get_version()
        )
    return _version("django-debug-toolbar")


def _logged(response):
    return json.loads(response.headers.get("X-Logged", "null"))


@pytest.mark.parametrize("where", ["sync", "loop"])
def test_the_toolbar_logging_panel_shows_the_requests_messages(affinity_db, where):
    """A coroutine view logs a message (``where``: from sync code through
    sync_to_async, or directly in the coroutine on the event loop); the toolbar's
    Logging panel's stats for that request (copied to X-Logged by
    affinityproject.panels) must list it, and no other request's message.

    The panel collects records per thread (debug_toolbar.utils.ThreadCollector,
    keyed by threading.current_thread()) and reads them in generate_stats on
    the thread the toolbar middleware runs on."""
    version = _toolbar_with_logging_panel()
    with serve(affinity_db, "toolbar") as server:
        problems = []
        alone = requests.get(server.base + "/log/%s/" % where, headers={"X-User": "alone"}, timeout=BOUND)
        if alone.status_code != 200:
            problems.append("alone: status %d %r" % (alone.status_code, alone.text[:300]))
        elif _logged(alone) is None:
            problems.append("alone: the panel generated no stats (no X-Logged header)")
        elif "%s-alone" % where not in _logged(alone):
            problems.append(
                "alone (one request, nothing concurrent): the panel shows %r, not %r (logged on thread %s, "
                "stats made on thread %s)"
                % (
                    _logged(alone),
                    "%s-alone" % where,
                    alone.headers.get("X-Thread-Log"),
                    alone.headers.get("X-Thread-Stats"),
                )
            )
        count = 8
        results = concurrently(server, [("/log/%s/" % where, {"X-User": "t%d" % i}, None) for i in range(count)])
        _all_answered(server, results)
        for i, response in enumerate(results):
            mine = "%s-t%d" % (where, i)
            if response.status_code != 200:
                problems.append("t%d: status %d" % (i, response.status_code))
                continue
            logged = _logged(response)
            if logged is None:
                problems.append("t%d: the panel generated no stats (no X-Logged header)" % i)
                continue
            if mine not in logged:
                problems.append(
                    "t%d: the panel shows %r, not %r (logged on thread %s, stats made on thread %s)"
                    % (i, logged, mine, response.headers.get("X-Thread-Log"), response.headers.get("X-Thread-Stats"))
                )
            others = [m for m in logged if m != mine and m.startswith(where + "-")]
            if others:
                problems.append("t%d: the panel also shows other requests' messages %r" % (i, others))
        _check(server, "django-debug-toolbar %s's Logging panel missed messages logged %s" % (version, where), problems)
