#!/usr/bin/env python3
"""Django's own test suite, run through async_legacy's test client.

For the Django installed in a matrix virtualenv, downloads that release's
source distribution from PyPI (cached under .matrix/django-sdist), and runs
its tests/runtests.py over MODULES three ways:

* ``stock``: Django's test client as shipped;
* ``ours``: ``django.test.client.ClientHandler`` replaced by async_legacy.test's
  handler, driven through ``async_to_sync`` (on Django >= 3.1 that is Django's
  own AsyncClientHandler: a control of the harness itself);
* ``coroutine``: as ``ours``, with every sync view called through an
  ``async def`` wrapper (the body runs off the loop), so the coroutine-view
  path is exercised.

Every test that passes stock must pass the other two ways, except those in
EXPECTED (with their reasons). Usage (matrix.py does this for every pair):

    python3 scripts/django_suite.py .matrix/py3.8-django2.2
"""

import io
import json
import os
import subprocess
import sys
import tarfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MATRIX_DIR = os.path.join(ROOT, ".matrix")

MODULES = [
    "handlers",
    "middleware",
    "middleware_exceptions",
    "csrf_tests",
    "view_tests",
    "requests",
    "decorators",
    "i18n",
    "urlpatterns_reverse",
    "test_client",
    "test_client_regress",
    "sessions_tests",
    "messages_tests",
    "logging_tests",
    "signals",
    "file_uploads",
]
WAYS = ["stock", "ours", "coroutine", "pipeline"]
#: On 3.1+ async_legacy.test is Django's own client: the "ours" way is a control
#: of the harness; coroutine views there are Django's business. The "pipeline"
#: way swaps Django's handlers (test clients, get_asgi_application, ASGIHandler)
#: for the ones ASYNC_LEGACY_PIPELINE = True serves with, over PIPELINE_MODULES.
NATIVE_WAYS = ["stock", "ours", "pipeline"]
LEGACY_WAYS = ["stock", "ours", "coroutine"]
PIPELINE_MODULES = ["handlers", "middleware", "middleware_exceptions", "asgi", "async", "view_tests"]
#: runtests.py --parallel: requests through async_to_sync wait on thread hand-offs
#: more than they use CPU, so 4 processes beat 2 on a 2-core machine (measured
#: on Django 2.2, the "ours" way: 62 s serial, 38 s with 2, 25 s with 4).
PARALLEL = 4

LEGACY = ("1.11", "2.2", "3.0")
NATIVE = ("3.1", "3.2", "4.", "5.", "6.")
ADAPTED = "Django's async handler logs 'middleware ... adapted' records the test counts exactly"
PIPELINE_ADAPTS = (
    "asserts the DEBUG record 'Synchronous/Asynchronous handler adapted for middleware ...' that Django's "
    "chain logs when it wraps a handler in sync_to_async/async_to_sync; the pipeline adapts no handler "
    "that way (split hooks run inline or on the lane) and logs no such record"
)
PIPELINE_FAST_ANSWER = (
    "sends a disconnect (or a bad message) right behind the request to a quick sync view and expects "
    "Django's disconnect listener to act first; Django's chain yields to the loop at every thread hop, "
    "while the pipeline waits for a step this short in place, so the answer is ready before the listener "
    "runs (a slow view is still cancelled: test_delayed_disconnect_with_body passes)"
)
#: (Django release prefixes, way or "*", test id or id prefix) -> why it may not pass that way.
EXPECTED = {
    (LEGACY, "*", "i18n.tests.TranslationFileChangedTests.test_resets_cache_with_mo_files"): (
        "asserts the type Django gives trans_real._active; async_legacy keeps it a per-request "
        "ContextLocal, or the active language would leak between concurrent requests"
    ),
    (LEGACY, "coroutine", "handlers.tests.TransactionsPerRequestTests.test_auto_transaction"): (
        "ATOMIC_REQUESTS with a coroutine view raises RuntimeError naming the view, as Django 3.1+ does"
    ),
    # The control on 3.1+ goes through Django's own AsyncClientHandler, i.e. ASGI:
    (NATIVE, "ours", "handlers.tests.HandlerRequestTests.test_invalid_urls"): (
        "an ASGI path is text: a path that is not UTF-8 cannot reach Django's ASGI handler as bytes"
    ),
    (NATIVE, "ours", "handlers.tests.SignalsTests.test_request_signals"): "ASGIRequest has no .environ",
    (NATIVE, "ours", "test_client.tests.ClientTest.test_response_attached_request"): "ASGIRequest has no .environ",
    (NATIVE, "ours", "test_client.tests.ClientTest.test_trace"): "ASGIRequest.META has no SERVER_PROTOCOL",
    (NATIVE, "ours", "middleware_exceptions.tests.MiddlewareNotUsedTests.test_log"): ADAPTED,
    (NATIVE, "ours", "middleware_exceptions.tests.MiddlewareSyncAsyncTests.test_async_middleware"): ADAPTED,
    # The handlers ASYNC_LEGACY_PIPELINE = True serves with (the sync test client
    # reaches them as ASGI, as in the "ours" way):
    (NATIVE, "pipeline", "handlers.tests.HandlerRequestTests.test_invalid_urls"): (
        "an ASGI path is text: a path that is not UTF-8 cannot reach Django's ASGI handler as bytes"
    ),
    (NATIVE, "pipeline", "handlers.tests.SignalsTests.test_request_signals"): "ASGIRequest has no .environ",
    (NATIVE, "pipeline", "asgi.tests.ASGITest.test_disconnect_with_body"): PIPELINE_FAST_ANSWER,
    (NATIVE, "pipeline", "asgi.tests.ASGITest.test_assert_in_listen_for_disconnect"): PIPELINE_FAST_ANSWER,
    (
        NATIVE,
        "pipeline",
        "middleware_exceptions.tests.MiddlewareNotUsedTests.test_async_and_sync_middleware_chain_async_call",
    ): PIPELINE_ADAPTS,
    (NATIVE, "pipeline", "middleware_exceptions.tests.MiddlewareSyncAsyncTests.test_async_middleware"): PIPELINE_ADAPTS,
    (
        NATIVE,
        "pipeline",
        "middleware_exceptions.tests.MiddlewareSyncAsyncTests.test_sync_middleware_async",
    ): PIPELINE_ADAPTS,
}

README_START = "<!-- django suite results: generated by scripts/django_suite.py, do not edit -->"
README_END = "<!-- end of django suite results -->"


# ---------------------------------------------------------------- orchestration


def django_version(python):
    return subprocess.check_output([python, "-c", "import django; print(django.get_version())"], text=True).strip()


def django_tests_dir(python, version):
    """tests/ of Django ``version``'s sdist, downloaded once and extracted once."""
    base = os.path.join(MATRIX_DIR, "django-tests", "Django-%s" % version)
    tests = os.path.join(base, "tests")
    if os.path.exists(os.path.join(tests, "runtests.py")):
        return tests
    sdists = os.path.join(MATRIX_DIR, "django-sdist")
    archive = os.path.join(sdists, "Django-%s.tar.gz" % version)
    if not os.path.exists(archive):
        for name in os.listdir(sdists) if os.path.isdir(sdists) else ():
            if name.lower() == "django-%s.tar.gz" % version:
                archive = os.path.join(sdists, name)
    if not os.path.exists(archive):
        download = [
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            "Django==%s" % version,
            "-d",
            sdists,
        ]
        fast = [_downloader(sdists)] + download + ["--no-build-isolation", "--ignore-requires-python"]
        if subprocess.call(fast) != 0:  # an old setup.py the current setuptools refuses
            subprocess.check_call([python] + download)
        for name in os.listdir(sdists):
            if name.lower() == "django-%s.tar.gz" % version:
                archive = os.path.join(sdists, name)
    with tarfile.open(archive) as tar:
        prefix = tar.getnames()[0].split("/")[0] + "/tests/"
        members = [m for m in tar.getmembers() if m.name.startswith(prefix)]
        for member in members:
            member.name = member.name[len(prefix) :]
        tar.extractall(tests, members=members)
    return tests


def _downloader(sdists):
    """A virtualenv whose pip downloads sdists without building a fresh isolated
    environment for each (pip prepares their metadata: minutes instead of seconds)."""
    venv = os.path.join(sdists, "pip")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        subprocess.check_call([python, "-m", "pip", "install", "-q", "-U", "setuptools", "wheel"])
    return python


def modules_of(way, native):
    """The test modules a way runs (stock also runs the pipeline's on 3.1+, to compare)."""
    if way == "pipeline":
        return PIPELINE_MODULES
    if way == "stock" and native:
        return MODULES + [m for m in PIPELINE_MODULES if m not in MODULES]
    return MODULES


def run_way(python, tests_dir, way, out_dir, modules=MODULES):
    out = os.path.join(out_dir, way + ".json")
    if os.path.exists(out):
        os.unlink(out)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log_path = os.path.join(out_dir, way + ".log")
    started = time.time()
    with open(log_path, "w") as log:
        subprocess.call(
            [python, os.path.abspath(__file__), "--drive", way, out, "--", "--parallel", str(PARALLEL), "-v", "1"]
            + list(modules),
            cwd=tests_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    if not os.path.exists(out):
        raise SystemExit("Django's runtests.py (%s way) broke before reporting; see %s" % (way, log_path))
    with open(out) as f:
        return json.load(f), time.time() - started


def expected_reason(version, way, test_id):
    for (releases, exp_way, prefix), reason in EXPECTED.items():
        if version.startswith(releases) and exp_way in (way, "*") and test_id.startswith(prefix):
            return reason
    return None


def compare(version, results):
    """Per way: tests that passed stock (in that way's modules) and did not pass that way."""
    stock = results["stock"]
    passed = {t for t, (outcome, _) in stock.items() if outcome == "passed"}
    native = version.startswith(NATIVE)
    report = {"django": version, "passed_stock": len(passed & _of(stock, MODULES)), "ways": {}}
    for way in [w for w in WAYS[1:] if w in results]:
        got = results[way]
        lost, excused = [], []
        wanted = passed & _of(stock, modules_of(way, native))
        for test_id in sorted(wanted):
            outcome, detail = got.get(test_id, ("missing", "not run"))
            if outcome == "passed":
                continue
            reason = expected_reason(version, way, test_id)
            (excused if reason else lost).append([test_id, outcome, reason or detail])
        report["ways"][way] = {
            "passed_stock": len(wanted),
            "run": len(got),
            "passed": sum(1 for outcome, _ in got.values() if outcome == "passed"),
            "unexpected": lost,
            "expected": excused,
        }
    return report


def _of(outcomes, modules):
    """Test ids of ``outcomes`` in those test modules."""
    return {t for t in outcomes if t.split(".", 1)[0] in modules}


def run_release(venv):
    venv = os.path.abspath(venv)
    python = os.path.join(venv, "bin", "python")
    # runtests.py --parallel pickles failures' tracebacks with tblib.
    subprocess.check_call([python, "-m", "pip", "install", "-q", "tblib"])
    version = django_version(python)
    tests_dir = django_tests_dir(python, version)
    out_dir = os.path.join(MATRIX_DIR, "django-suite", os.path.basename(venv.rstrip("/")))
    os.makedirs(out_dir, exist_ok=True)
    results, seconds = {}, {}
    native = version.startswith(NATIVE)
    ways = NATIVE_WAYS if native else LEGACY_WAYS
    for way in ways:
        results[way], seconds[way] = run_way(python, tests_dir, way, out_dir, modules_of(way, native))
        print(
            "  django suite %s %-9s %5d tests, %5d passed, %5.1f s"
            % (
                version,
                way,
                len(results[way]),
                sum(1 for o, _ in results[way].values() if o == "passed"),
                seconds[way],
            ),
            flush=True,
        )
    report = compare(version, results)
    report["seconds"] = seconds
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    for way, w in report["ways"].items():
        for test_id, outcome, detail in w["unexpected"]:
            print("  NOT AS STOCK (%s, %s): %s -- %s" % (way, outcome, test_id, detail))
    return report


def readme_section(reports):
    lines = [
        "| Django | tests run | passed stock | through async_legacy.test | with coroutine views "
        "| through ASYNC_LEGACY_PIPELINE's handlers (%s) | listed exceptions |" % ", ".join(PIPELINE_MODULES),
        "|---|---|---|---|---|---|---|",
    ]
    listed = {}  # (test, reason) -> releases
    for r in reports:
        cells = []
        for way in WAYS[1:]:
            w = r["ways"].get(way)
            if w is None:
                if way == "coroutine":
                    cells.append("not run (3.1+: Django's own)")
                else:
                    cells.append(
                        "not run" if r["django"].startswith(NATIVE) else "not run (< 3.1: always the pipeline)"
                    )
                continue
            cell = "%d passed" % w["passed"]
            if way == "pipeline":
                cell = "%d of the %d that passed stock" % (
                    w["passed_stock"] - len(w["unexpected"]) - len(w["expected"]),
                    w["passed_stock"],
                )
            if w["unexpected"]:
                cell += ", **%d that passed stock did not**" % len(w["unexpected"])
            cells.append(cell)
            for test_id, _, reason in w["expected"]:
                listed.setdefault((test_id, reason), []).append(r["django"])
        excused = {t for w in r["ways"].values() for t, _, _ in w["expected"]}
        lines.append(
            "| %s | %d | %d | %s | %s | %s | %d |"
            % (r["django"], r["ways"]["ours"]["run"], r["passed_stock"], cells[0], cells[1], cells[2], len(excused))
        )
    if listed:
        lines.append("")
        lines.append("Listed exceptions (`EXPECTED` in the script):")
        for (test_id, reason), releases in sorted(listed.items()):
            lines.append("- `%s` (%s): %s" % (test_id, ", ".join(sorted(set(releases))), reason))
    return "\n".join(lines)


def write_readme(reports):
    """The table in docs/results.md (between README_START and README_END)."""
    from docblocks import write_block

    write_block(README_START, README_END, readme_section(reports))


def main(argv):
    if argv and argv[0] == "--drive":
        return drive(argv[1], argv[2], argv[4:])
    for venv in argv:  # matrix.py has just done this for its own runs
        subprocess.check_call(
            [
                os.path.join(os.path.abspath(venv), "bin", "python"),
                "-m",
                "pip",
                "install",
                "-q",
                "--no-deps",
                "--force-reinstall",
                ROOT,
            ]
        )
    reports = [run_release(venv) for venv in argv]
    write_readme(saved_reports())
    return 1 if any(w["unexpected"] for r in reports for w in r["ways"].values()) else 0


def saved_reports():
    """Every release's latest report, oldest release first."""
    import glob

    reports = []
    for path in glob.glob(os.path.join(MATRIX_DIR, "django-suite", "*", "report.json")):
        with open(path) as f:
            reports.append(json.load(f))
    return sorted(reports, key=lambda r: [int(p) for p in r["django"].split(".")[:3] if p.isdigit()])


# ---------------------------------------------------------------- inside runtests.py


def drive(way, out_path, runtests_args):
    """Run runtests.py in this process with ``way``'s patches; outcomes to ``out_path``."""
    import runpy

    sys.path.insert(0, os.getcwd())
    # runpy makes runtests.py __main__: keep this module's classes findable by pickle.
    sys.modules["django_suite"] = sys.modules[__name__]
    ThroughAsyncLegacy.__module__ = "django_suite"
    _record_outcomes(out_path)
    if way == "pipeline":
        _handlers_through_pipeline()
    if way in ("ours", "coroutine", "pipeline"):
        _client_through_async_legacy()
    if way == "coroutine":
        _views_as_coroutines()
    sys.argv = ["runtests.py"] + runtests_args
    runpy.run_path("runtests.py", run_name="__main__")


def _record_outcomes(out_path):
    import unittest

    from django.test import runner

    outcomes = {}

    def last_line(err):
        exc_type, value = err[0], err[1]
        return ("%s: %s" % (exc_type.__name__, value)).splitlines()[0][:300] if exc_type else ""

    class Recording(unittest.TextTestResult):
        def _set(self, test, outcome, detail=""):
            if outcomes.get(test.id(), ("",))[0] not in ("failed", "error"):
                outcomes[test.id()] = (outcome, detail)

        def addSuccess(self, test):
            super().addSuccess(test)
            self._set(test, "passed")

        def addFailure(self, test, err):
            super().addFailure(test, err)
            self._set(test, "failed", last_line(err))

        def addError(self, test, err):
            super().addError(test, err)
            self._set(test, "error", last_line(err))

        def addSkip(self, test, reason):
            super().addSkip(test, reason)
            self._set(test, "skipped", reason)

        def addExpectedFailure(self, test, err):
            super().addExpectedFailure(test, err)
            self._set(test, "expected failure")

        def addUnexpectedSuccess(self, test):
            super().addUnexpectedSuccess(test)
            self._set(test, "unexpected success")

        def addSubTest(self, test, subtest, err):
            super().addSubTest(test, subtest, err)
            if err is not None:
                failed = issubclass(err[0], test.failureException)
                self._set(test, "failed" if failed else "error", last_line(err))

        def stopTestRun(self):
            super().stopTestRun()
            with open(out_path, "w") as f:
                json.dump(outcomes, f)

    runner.DiscoverRunner.get_resultclass = lambda self: Recording


class ThroughAsyncLegacy:
    """Django's ClientHandler interface, served by async_legacy.test's handler."""

    def __init__(self, enforce_csrf_checks=True, *args, **kwargs):
        object.__setattr__(self, "_inner", _handler(enforce_csrf_checks))

    def __call__(self, environ):
        from asgiref.sync import async_to_sync

        return async_to_sync(self._inner)(environ)

    def __getattr__(self, name):
        return getattr(self._inner.handler, name)

    def __setattr__(self, name, value):
        setattr(self._inner.handler, name, value)

    def __reduce__(self):
        # runtests.py --parallel pickles subtests, and with them the test's client.
        return (ThroughAsyncLegacy, (self._inner.handler.enforce_csrf_checks,))


def _client_through_async_legacy():
    from django.test import client

    client.ClientHandler = ThroughAsyncLegacy


def _handlers_through_pipeline():
    """Django's handlers as ASYNC_LEGACY_PIPELINE = True serves: the ASGIHandler
    (and get_asgi_application()) and the test clients' AsyncClientHandler, with
    async_legacy's pipeline as their middleware/view path. The sync test
    client goes through the async one (ThroughAsyncLegacy)."""
    from django.core import asgi
    from django.core.handlers import asgi as handlers_asgi
    from django.test import client

    from async_legacy.native_pipeline import PipelineASGIHandler, client_handler_class, get_pipeline_application

    client.AsyncClientHandler = client_handler_class()
    handlers_asgi.ASGIHandler = PipelineASGIHandler
    asgi.get_asgi_application = get_pipeline_application


def _handler(enforce_csrf_checks):
    """``async def handle(environ)`` with async_legacy.test's handler behind it."""
    import django

    if django.VERSION < (3, 1):
        from async_legacy.test import AsyncClientHandler

        handler = AsyncClientHandler(enforce_csrf_checks)

        async def handle(environ):
            return await handler.handle(environ)

    else:  # async_legacy.test's client is Django's: its handler takes ASGI scopes
        from django.test.client import AsyncClientHandler

        handler = AsyncClientHandler(enforce_csrf_checks)

        async def handle(environ):
            response = await handler(_scope(environ))
            response.wsgi_request = response.asgi_request
            return response

    handle.handler = handler
    return handle


def _scope(environ):
    """The ASGI scope Django's AsyncRequestFactory would build for this environ."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").lower().encode("latin1"), str(value).encode("latin1")))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value != "":
            headers.append((key.replace("_", "-").lower().encode("latin1"), str(value).encode("latin1")))
    scope = {
        "asgi": {"version": "3.0"},
        "type": "http",
        "http_version": "1.1",
        "client": [environ.get("REMOTE_ADDR", "127.0.0.1"), 0],
        "server": [environ.get("SERVER_NAME", "testserver"), int(environ.get("SERVER_PORT", 80))],
        "scheme": environ.get("wsgi.url_scheme", "http"),
        "method": environ["REQUEST_METHOD"],
        # ASGI's path includes root_path (WSGI splits it into SCRIPT_NAME + PATH_INFO).
        "path": (environ.get("SCRIPT_NAME", "") + environ["PATH_INFO"]).encode("latin1").decode("utf-8", "replace"),
        "root_path": environ.get("SCRIPT_NAME", ""),
        "query_string": environ.get("QUERY_STRING", "").encode("latin1"),
        "headers": headers,
    }
    # As an ASGI server hands Django the body: the bytes received, in a file.
    length = int(environ.get("CONTENT_LENGTH") or 0)
    scope["_body_file"] = _Body(environ["wsgi.input"].read(length) if length else b"")
    return scope


class _Body(io.BytesIO):
    """The request body; Django 4.2+'s AsyncClientHandler takes its len() as FakePayload's."""

    def __len__(self):
        return len(self.getvalue()) - self.tell()


def _views_as_coroutines():
    import functools

    from async_legacy.compat import NATIVE_ASYNC, iscoroutinefunction

    def as_coroutine(view):
        if iscoroutinefunction(view):
            return view

        async def coroutine_view(request, *args, **kwargs):
            from async_legacy.lane import run_sync

            return await run_sync(view, request, *args, **kwargs)

        functools.update_wrapper(coroutine_view, view)  # keeps csrf_exempt & co.
        del coroutine_view.__wrapped__
        return coroutine_view

    if NATIVE_ASYNC:
        from django.core.handlers.base import BaseHandler

        make_view_atomic = BaseHandler.make_view_atomic
        BaseHandler.make_view_atomic = lambda self, view: as_coroutine(make_view_atomic(self, view))
    else:
        from async_legacy.pipeline import AsyncBaseHandler

        call_view = AsyncBaseHandler._call_view

        async def _call_view(self, lane, callback, request, args, kwargs):
            return await call_view(self, lane, as_coroutine(callback), request, args, kwargs)

        AsyncBaseHandler._call_view = _call_view


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
