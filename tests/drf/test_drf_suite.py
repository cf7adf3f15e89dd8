"""DRF's own tests against async_legacy.rest_framework (the README's test command runs them).

On three pairs, DRF's source distribution for the installed DRF is downloaded
from PyPI (cached under .matrix/drf-suite/, never committed), and DRF's test
modules for views, generics (the mixins), viewsets, routers, decorators,
authentication, permissions, throttling, pagination and filters run with
DRF's classes replaced by ours and every view driven asynchronously
(drf_suite/drf_suite_plugin.py), with the pytest and pytest-django DRF pins
(installed into the same cache, so they never touch this suite's pytest).
Tests that cannot pass are listed with the reason in
drf_suite/known_failures.txt and run as strict xfails: a listed test that
starts passing fails the run too.

DRF 3.11 (Django 1.11) ships no tests: the other modules of tests/drf/ cover it.
"""

import hashlib
import os
import re
import subprocess
import sys
import tarfile

import pytest
from support import pairs
from support.gunicorn_helpers import ROOT, TESTS

rest_framework = pytest.importorskip("rest_framework")

CACHE = os.path.join(ROOT, ".matrix", "drf-suite")

# pair -> (DRF version, DRF's own test requirements: installed with their
# dependencies, and without them - dj-database-url would bring another Django)
PAIRS = {
    "py3.8-django2.2": ("3.13.1", (["pytest>=6.1,<7", "pytest-django>=4.1,<5"], [])),
    "py3.9-django3.0": ("3.15.1", (["pytest>=7.0.1,<8", "pytest-django>=4.5.2,<5"], [])),
    "py3.12-django5.2": ("3.18.3", (["pytest>=9,<10", "pytest-django>=4.5.2,<5"], ["dj-database-url>=3.1.0"])),
}
MODULES = [
    "tests/test_views.py",
    "tests/test_generics.py",
    "tests/test_viewsets.py",
    "tests/test_routers.py",
    "tests/test_decorators.py",
    "tests/authentication/test_authentication.py",
    "tests/test_permissions.py",
    "tests/test_throttling.py",
    "tests/test_pagination.py",
    "tests/test_filters.py",
]


def _pip(*args):
    subprocess.check_call([sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"] + list(args))


def drf_sources(version):
    """DRF's unpacked sdist (its tests/ included), downloaded once."""
    root = os.path.join(CACHE, "djangorestframework-%s" % version)
    if not os.path.isdir(os.path.join(root, "tests")):
        os.makedirs(CACHE, exist_ok=True)
        _pip("download", "--no-binary", ":all:", "--no-deps", "djangorestframework==%s" % version, "-d", CACHE)
        with tarfile.open(os.path.join(CACHE, "djangorestframework-%s.tar.gz" % version)) as sdist:
            sdist.extractall(CACHE)
    return root


def drf_test_tools(version, requirements):
    """DRF's pinned pytest and pytest-django, in a directory of their own."""
    with_deps, without_deps = requirements
    wanted = hashlib.sha1(repr(requirements).encode()).hexdigest()[:8]
    target = os.path.join(CACHE, "tools-%s-py%d.%d-%s" % ((version,) + sys.version_info[:2] + (wanted,)))
    if not os.path.isdir(target):
        _pip("install", "--target", target + ".tmp", *with_deps)
        if without_deps:
            _pip("install", "--no-deps", "--target", target + ".tmp", *without_deps)
        os.rename(target + ".tmp", target)
    return target


def test_drfs_own_tests_pass_with_our_classes():
    pair = pairs.current()
    if pair not in PAIRS:
        pytest.skip("DRF's own suite runs on %s only (see docs/drf.md)" % ", ".join(sorted(PAIRS)))
    version, requirements = PAIRS[pair]
    assert rest_framework.VERSION == version, "scripts/matrix.py should install DRF %s on %s" % (version, pair)
    sources = drf_sources(version)
    tools = drf_test_tools(version, requirements)
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")}
    env["PYTHONPATH"] = os.pathsep.join([tools, os.path.join(TESTS, "drf_suite")])
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "drf_suite_plugin", "-p", "no:cacheprovider", "-o", "addopts="]
        + MODULES,
        cwd=sources,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    summary = run.stdout.strip().splitlines()[-1]
    print("DRF %s's own tests with our classes: %s" % (version, summary))
    assert run.returncode == 0, run.stdout[-6000:]
    passed = int(re.search(r"(\d+) passed", summary).group(1))
    assert passed > 250, summary
