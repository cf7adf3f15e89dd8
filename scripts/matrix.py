#!/usr/bin/env python3
"""Run the test suite on every Python x Django pair of the matrix.

Each pair gets its own virtualenv under .matrix/, made with the pyenv
interpreter for that Python, with the package installed (not editable) so
``async_legacy.worker`` resolves as users get it. Usage:

    python3 scripts/matrix.py            # every pair
    python3 scripts/matrix.py 2.2        # only pairs whose name contains "2.2"
    MATRIX_JOBS=1 python3 scripts/matrix.py   # one pair at a time (default: two)

Once per Django release it also runs Django's own test suite through our test
client (scripts/django_suite.py; MATRIX_DJANGO_SUITE=0 skips it).

Before the pairs, once, the lint step (``lint()`` below) checks the whole
repository: ruff's lint rules and formatter, mypy, and compiling the library
with Python 3.7. It runs with a pair filter too; ``python3 scripts/matrix.py
lint`` runs it alone and MATRIX_LINT=0 skips it.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import django_suite

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MATRIX_DIR = os.path.join(ROOT, ".matrix")

# (python, django, extra environment). Django's supported Pythons:
# 1.11: 3.7 | 2.2: 3.5-3.9 (runs on 3.11) | 3.0: 3.6-3.9 | 3.1: 3.6-3.9
# 3.2: 3.6-3.10 | 4.2: 3.8-3.12 | 5.2: 3.10-3.13 | 6.1: 3.12+.
PAIRS = [
    # legacy path
    ("3.7", "1.11", {"ASYNC_LEGACY_TEST_MIDDLEWARE": "classes"}),
    ("3.7", "1.11", {}),
    ("3.8", "2.2", {}),
    ("3.11", "2.2", {}),
    ("3.9", "3.0", {}),
    # native path
    ("3.9", "3.1", {}),
    ("3.10", "3.2", {}),
    ("3.11", "4.2", {}),
    ("3.12", "5.2", {}),
    ("3.13", "6.1", {}),
]


def interpreter(version):
    try:
        prefix = subprocess.check_output(["pyenv", "prefix", version], text=True).strip()
        path = os.path.join(prefix, "bin", "python")
        if os.path.exists(path):
            return path
    except (OSError, subprocess.CalledProcessError):
        pass
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    for path in sorted(glob.glob(os.path.join(root, "versions", version + ".*", "bin", "python")), reverse=True):
        return path
    found = shutil.which("python" + version)
    if not found:
        sys.exit(
            "Python %s not found (tried `pyenv prefix %s`, %s/versions and python%s on PATH)."
            % (version, version, root, version)
        )
    return found


def name_of(python, django, env):
    suffix = "-classes" if env.get("ASYNC_LEGACY_TEST_MIDDLEWARE") == "classes" else ""
    return "py%s-django%s%s" % (python, django, suffix)


_suite_lock = threading.Lock()
_build_lock = threading.Lock()


def ensure_venv(path, python, requirements, out=None, project=ROOT):
    """A virtualenv at ``path`` for that Python, with ``requirements`` and this
    package (or the tree at ``project``) freshly installed (not editable).
    Returns its bin directory."""
    bin_dir = os.path.join(path, "bin")
    to = {"stdout": out, "stderr": subprocess.STDOUT} if out else {}
    if not os.path.exists(os.path.join(bin_dir, "python")):
        subprocess.check_call([interpreter(python), "-m", "venv", path], **to)
        subprocess.check_call([os.path.join(bin_dir, "python"), "-m", "pip", "install", "-q", "--upgrade", "pip"], **to)
    pip = [os.path.join(bin_dir, "python"), "-m", "pip", "install", "-q"]
    # One install at a time: pip builds the project's wheel in its build/
    # directory, and two pairs building at once collide there (File exists).
    with _build_lock:
        subprocess.check_call(pip + list(requirements), **to)
        # Reinstall our own code every run (the version number does not change).
        subprocess.check_call(pip + ["--no-deps", "--force-reinstall", project], **to)
    return bin_dir


#: The lint step's virtualenv: pinned tools, and the typed libraries mypy
#: checks against (Django 5.2 with its django-stubs, DRF with its stubs,
#: aiohttp's and asgiref's own annotations).
LINT_PYTHON = "3.12"
LINT_REQUIREMENTS = [
    "ruff==0.17.5",
    "mypy==1.19.1",
    "django-stubs==5.2.9",
    "django-stubs-ext==6.1.2",
    "Django==5.2.19",
    "djangorestframework==3.16.1",
    "djangorestframework-stubs==3.16.9",
    "aiohttp==3.14.5",
    "gunicorn==27.0.1",
    "asgiref==3.13.0",
    "uvloop==0.23.0",
    "typing_extensions==4.16.0",  # assert_type in tests/typed_example.py
    "mkdocs==1.6.1",  # the docs site, built strictly
]


def lint(out=None):
    """ruff (lint rules, import order, formatting), mypy and a compile with
    Python 3.7 over the repository; configured in pyproject.toml. Returns
    (ok, seconds). Each tool's messages name the file and line."""
    started = time.time()
    path = os.path.join(MATRIX_DIR, "lint")
    bin_dir = os.path.join(path, "bin")
    to = {"stdout": out, "stderr": subprocess.STDOUT} if out else {}
    if not os.path.exists(os.path.join(bin_dir, "python")):
        subprocess.check_call([interpreter(LINT_PYTHON), "-m", "venv", path], **to)
        subprocess.check_call([os.path.join(bin_dir, "python"), "-m", "pip", "install", "-q", "--upgrade", "pip"], **to)
    subprocess.check_call([os.path.join(bin_dir, "python"), "-m", "pip", "install", "-q"] + LINT_REQUIREMENTS, **to)
    checks = [
        ("ruff check", [os.path.join(bin_dir, "ruff"), "check", "--no-cache", "--output-format", "concise", "."]),
        ("ruff format", [os.path.join(bin_dir, "ruff"), "format", "--no-cache", "--check", "--diff", "."]),
        ("mypy", [os.path.join(bin_dir, "mypy"), "--cache-dir", os.path.join(path, "mypy_cache")]),
        # The library's floor: mypy no longer takes 3.7 as a target.
        ("python3.7 compileall", [interpreter("3.7"), "-m", "compileall", "-q", "async_legacy", "worker"]),
        # The settings reference is generated from async_legacy/conf.py's table.
        (
            "settings reference",
            [os.path.join(bin_dir, "python"), os.path.join("scripts", "settings_doc.py"), "--check"],
        ),
        # The docs site: a broken link or anchor fails the build.
        (
            "docs (mkdocs --strict)",
            [os.path.join(bin_dir, "mkdocs"), "build", "--strict", "--quiet", "--site-dir", os.path.join(path, "site")],
        ),
    ]
    failed = []
    for name, command in checks:
        print("--- lint: %s" % name, file=out, flush=True)
        if subprocess.call(command, cwd=ROOT, **to) != 0:
            failed.append(name)
    seconds = time.time() - started
    if failed:
        print(
            "lint FAILED (%s): fix the files and lines above; `ruff format .` and "
            "`ruff check --fix .` fix most of ruff's." % ", ".join(failed),
            file=out,
            flush=True,
        )
    return not failed, seconds


def postgres_driver(python, django):
    """psycopg2 for the Postgres tests (tests/support/postgres.py), or None.

    Django < 3.1 refuses psycopg2 2.9 ("database connection isn't set to UTC"),
    and psycopg2-binary 2.8 has wheels up to Python 3.9 only: py3.11-django2.2
    gets none and its Postgres tests skip (building from source needs libpq-dev).
    """
    if tuple(map(int, django.split("."))) >= (3, 1):
        return "psycopg2-binary>=2.9"
    if tuple(map(int, python.split("."))) <= (3, 9):
        return "psycopg2-binary<2.9"
    return None


def venv_for(python, django, out=None):
    path = os.path.join(MATRIX_DIR, "py%s-django%s" % (python, django))
    # The django-wsgi extra serves the legacy WSGI path only. The drf extra
    # lets pip pick the newest DRF this Django supports (1.11: 3.11, 2.2: 3.13,
    # 3.0-3.2: 3.15.1, 4.2: 3.17, 5.2/6.1: 3.18).
    extras = "test,drf" if tuple(map(int, django.split("."))) >= (3, 1) else "test,drf,django-wsgi"
    requirements = ["Django~=%s.0" % django, ROOT + "[%s]" % extras]
    driver = postgres_driver(python, django)
    if driver:
        requirements.append(driver)
    # tests/integration/test_thread_affinity.py serves two third-party packages that keep
    # per-request state per thread; pinned to a release declaring support for
    # the Django (their tests skip where none is installed).
    # django-simple-history: 2.12.0 declares 1.11-3.1 and keeps the request in
    # a threading.local; 3.x keeps it in asgiref's Local (3.3.0: 3.2-4.1,
    # 3.8.0: 4.2-5.2, 3.13.0: 5.2/6.0 on Python 3.10+). None declares 6.1 yet.
    history = {
        "1.11": "2.12.0",
        "2.2": "2.12.0",
        "3.0": "2.12.0",
        "3.1": "2.12.0",
        "3.2": "3.3.0",
        "4.2": "3.8.0",
        "5.2": "3.13.0",
    }.get(django)
    if history:
        requirements.append("django-simple-history==" + history)
    # django-debug-toolbar, for its Logging panel (keyed by thread): removed in
    # 4.0, so 2.2.1 on 1.11 (the last 2.x: 1.11/2.2/3.0), 3.2.4 on 2.2-3.1,
    # 3.8.1 (the last with the panel: 3.2-4.1) on 3.2; none on 4.2 and later.
    toolbar = {"1.11": "2.2.1", "2.2": "3.2.4", "3.0": "3.2.4", "3.1": "3.2.4", "3.2": "3.8.1"}.get(django)
    if toolbar:
        requirements.append("django-debug-toolbar==" + toolbar)
    # sentry-sdk, for tests/integration/test_sentry.py, worker/test_wrapped.py and
    # worker/test_apps.py (its Django integration patches Django's handler
    # entry points; async_legacy.entry_points): the current 2.x on one legacy
    # and one native pair, the last 1.x (1.45.1, still widely deployed) on 3.0.
    sentry = {
        ("3.8", "2.2"): "sentry-sdk>=2,<3",
        ("3.12", "5.2"): "sentry-sdk>=2,<3",
        ("3.9", "3.0"): "sentry-sdk==1.45.1",
    }.get((python, django))
    if sentry:
        requirements.append(sentry)
    # tests/integration/test_ecosystem.py serves popular third-party packages through our
    # worker and through Django's own handler, on one legacy and one native
    # pair; each pinned to its newest release whose classifiers declare that
    # Python and Django. On 2.2 django-debug-toolbar is the 3.2.4 above.
    # elastic-apm documents Django up to 5.0 and no ASGI mode: legacy only.
    ecosystem = {
        ("3.8", "2.2"): [
            "django-cors-headers==3.11.0",  # the last declaring Django 2.2
            "django-prometheus==2.2.0",  # the last declaring Django 2.2
            "opentelemetry-instrumentation-django==0.54b1",  # the last for Python 3.8 (Django >= 1.10)
            "opentelemetry-sdk==1.33.1",
            "elastic-apm==6.26.2",
            "whitenoise==6.0.0",  # the last declaring Django 2.2
            "django-silk==4.4.1",  # the last declaring Django 2.2
        ],
        ("3.12", "5.2"): [
            "django-cors-headers==4.9.0",
            "django-prometheus==2.5.0",
            "opentelemetry-instrumentation-django[asgi]==0.66b2",
            "opentelemetry-sdk==1.45.2",
            "whitenoise==6.12.0",
            "django-silk==5.6.0",
            "django-debug-toolbar==8.0.0",
        ],
    }.get((python, django), [])
    requirements.extend(ecosystem)
    # ddtrace, for tests/integration/test_ddtrace.py (its Django integration patches
    # Django's handler entry points; async_legacy.entry_points), with msgpack
    # for the test's fake agent: the newest release for the Python, both
    # documenting Django >= 2.2.8 (3.19.9 is the last for Python 3.8).
    ddtrace = {
        ("3.8", "2.2"): ["ddtrace==3.19.9", "msgpack==1.1.1"],
        ("3.12", "5.2"): ["ddtrace==4.16.0", "msgpack==1.2.4"],
    }.get((python, django), [])
    requirements.extend(ddtrace)
    # Django Channels, for tests/worker/test_websocket.py and
    # tests/worker/test_channels.py (consumers behind AuthMiddlewareStack
    # served by the gaiohttp worker, daphne, uvicorn and hypercorn), on every
    # pair it supports: 3.0.5 (Django >= 2.2) is the last for 2.2/3.0/3.1 (it
    # pins daphne < 4, so pip moves daphne to 3.0.2 there); 4.0.0 is the last
    # for 3.2 (4.0 needs Django >= 3.2, 4.1 and later >= 4.2); the newest 4.x
    # on 4.2 and later (4.3.2 declares Django up to 6.0, and runs on 6.1).
    # None on 1.11 (3.0 needs Django >= 2.2; the tests skip there).
    channels = {
        "2.2": "channels==3.0.5",
        "3.0": "channels==3.0.5",
        "3.1": "channels==3.0.5",
        "3.2": "channels==4.0.0",
    }.get(django, None if django == "1.11" else "channels>=4,<5")
    if channels:
        requirements.append(channels)
    # hypercorn, the third ASGI server beside uvicorn and daphne
    # (tests/integration/test_example_montage.py, tests/worker/test_channels.py): the
    # newest release for the Python (0.14.4 on 3.7: 0.15.0 declares 3.7 but
    # imports typing.Literal, of 3.8; 0.17.3 is the last for 3.8/3.9, 0.18.0
    # needs 3.10). websockets, for uvicorn's WebSockets (its
    # "standard" extra): the newest for the Python (11.0.3 is the last for
    # 3.7, 13.1 for 3.8, 15.0.1 for 3.9, 16.1.1 for 3.10; 17.x needs 3.11).
    minor = tuple(map(int, python.split(".")))
    hypercorn = "0.14.4" if minor < (3, 8) else "0.17.3" if minor < (3, 10) else "0.18.0"
    websockets = {(3, 7): "11.0.3", (3, 8): "13.1", (3, 9): "15.0.1", (3, 10): "16.1.1"}.get(minor, "17.4")
    requirements += ["hypercorn==" + hypercorn, "websockets==" + websockets]
    return ensure_venv(path, python, requirements, out)


#: Which marked tests each pair runs (pytest -m; markers in pyproject.toml,
#: docs/development.md): ``heavy`` ones (Postgres, nginx, reloads and timeout
#: kills, the 10,000-request soak) on one legacy and one native pair, ``slow``
#: ones (500 slowloris connections, plain aiohttp's probe record) on one
#: old-aiohttp and one new pair; every other pair runs neither.
PAIR_MARKERS = {
    "py3.7-django1.11": "not heavy",
    "py3.8-django2.2": "not slow",
    "py3.12-django5.2": None,  # everything
}
DEFAULT_MARKERS = "not heavy and not slow"


def run_pair(python, django, env, suite_reports, out=None):
    """Run one pair; its output goes to ``out`` (a file) or to this process's stdout."""
    name = name_of(python, django, env)
    print("\n=== %s" % name, flush=True, file=out)
    bin_dir = venv_for(python, django, out)
    report = os.path.join(MATRIX_DIR, name + ".xml")
    environ = dict(os.environ, **env)
    facts_path = os.path.join(MATRIX_DIR, name + ".json")
    environ["MATRIX_FACTS"] = facts_path
    if os.path.exists(facts_path):
        os.unlink(facts_path)
    started = time.time()
    markers = PAIR_MARKERS.get(name, DEFAULT_MARKERS)
    code = subprocess.call(
        [os.path.join(bin_dir, "pytest"), "-q", "-p", "no:cacheprovider", "--junitxml", report]
        + (["-m", markers] if markers else []),
        cwd=ROOT,
        env=environ,
        stdout=out,
        stderr=subprocess.STDOUT if out else None,
    )
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    if os.path.exists(report):
        suite = ET.parse(report).getroot()
        suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
        total = int(suite.get("tests", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        counts = {"passed": total - failed - skipped, "failed": failed, "skipped": skipped}
    if code not in (0, 5) and counts["failed"] == 0:
        counts["failed"] = 1  # the run broke before reporting
    counts["seconds"] = time.time() - started
    if os.path.exists(facts_path):
        with open(facts_path) as f:
            counts["facts"] = json.load(f)
    # Django's own tests through our test client, once per Django release.
    with _suite_lock:
        mine = os.environ.get("MATRIX_DJANGO_SUITE", "1") != "0" and django not in suite_reports
        if mine:
            suite_reports[django] = None  # claimed: pairs of one release may run at once
    if mine:
        suite_started = time.time()
        report = suite_reports[django] = django_suite.run_release(os.path.dirname(bin_dir))
        counts["suite_failed"] = sum(len(w["unexpected"]) for w in report["ways"].values())
        counts["suite_seconds"] = time.time() - suite_started
    return name, counts


TABLE_START = "<!-- compatibility table: generated by scripts/matrix.py, do not edit -->"
TABLE_END = "<!-- end of compatibility table -->"


def compatibility_table(results):
    """Markdown table of what each pair ran and how it did."""
    lines = [
        "| Python | Django | request path | middleware setting | gunicorn | aiohttp | asgiref | tests |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, c in results:
        f = c.get("facts")
        if not f:
            lines.append("| %s | | | | | | | run broke |" % name)
            continue
        verdict = "%d passed, %d skipped" % (c["passed"], c["skipped"])
        if c["failed"]:
            verdict = "**%d FAILED**, " % c["failed"] + verdict
        lines.append(
            "| %s | %s | %s | %s | %s | %s | %s | %s |"
            % (f["python"], f["django"], f["path"], f["middleware"], f["gunicorn"], f["aiohttp"], f["asgiref"], verdict)
        )
    return "\n".join(lines)


def write_table(results):
    table = compatibility_table(results)
    with open(os.path.join(MATRIX_DIR, "compatibility.md"), "w") as f:
        f.write(table + "\n")
    from docblocks import write_block

    write_block(TABLE_START, TABLE_END, table)


def run_parallel(pairs, jobs, suite_reports):
    """Pairs ``jobs`` at a time (pairs sharing a virtualenv one after the
    other); each pair's output is printed whole when it ends."""
    groups = {}
    for pair in pairs:
        groups.setdefault(pair[:2], []).append(pair)
    printing = threading.Lock()

    def run_group(group):
        done = []
        for python, django, env in group:
            log_path = os.path.join(MATRIX_DIR, name_of(python, django, env) + ".log")
            with open(log_path, "w") as log:
                done.append(run_pair(python, django, env, suite_reports, out=log))
            with printing, open(log_path) as log:
                sys.stdout.write(log.read())
                sys.stdout.flush()
        return done

    with ThreadPoolExecutor(jobs) as pool:
        done = dict(p for group in pool.map(run_group, groups.values()) for p in group)
    return [(name_of(*pair), done[name_of(*pair)]) for pair in pairs]


def main(argv):
    os.makedirs(MATRIX_DIR, exist_ok=True)
    wanted = [p for p in PAIRS if not argv or any(a in name_of(*p) for a in argv)]
    lint_result = None
    if os.environ.get("MATRIX_LINT", "1") != "0" and (not argv or wanted or "lint" in argv):
        print("\n=== lint", flush=True)
        lint_result = lint()
    suite_reports = {}
    # Two pairs at a time on a machine with two cores or more: most of a pair's
    # time is spent waiting on servers it started.
    jobs = int(os.environ.get("MATRIX_JOBS", "2" if (os.cpu_count() or 1) >= 2 else "1"))
    if jobs <= 1:
        results = [run_pair(*pair, suite_reports=suite_reports) for pair in wanted]
    else:
        results = run_parallel(wanted, jobs, suite_reports)
    if len(wanted) == len(PAIRS):
        write_table(results)  # docs/results.md's table only from a whole-matrix run
        django_suite.write_readme(django_suite.saved_reports())
    print("\n%-28s %7s %7s %7s %8s %20s" % ("pair", "passed", "failed", "skipped", "seconds", "django suite (s)"))
    for name, c in results:
        suite = ""
        if "suite_seconds" in c:
            suite = "%d not as stock, %.0f" % (c["suite_failed"], c["suite_seconds"])
        print("%-28s %7d %7d %7d %8.1f %20s" % (name, c["passed"], c["failed"], c["skipped"], c["seconds"], suite))
    passed = sum(c["passed"] for _, c in results)
    failed = sum(c["failed"] for _, c in results)
    skipped = sum(c["skipped"] for _, c in results)
    suite_failed = sum(c.get("suite_failed", 0) for _, c in results)
    print("Django's own suite: %d tests not as with Django's handler" % suite_failed)
    if lint_result is not None:
        print(
            "lint (ruff, ruff format, mypy, py3.7 compile): %s in %.0f s"
            % ("ok" if lint_result[0] else "FAILED", lint_result[1])
        )
    print("matrix: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    if lint_result is not None and not lint_result[0]:
        return 1
    if not wanted:
        return 0 if lint_result is not None else 1  # "lint" alone
    return 1 if failed or suite_failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
