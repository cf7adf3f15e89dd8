"""async_legacy.checks: manage.py check names the view, setting or middleware and the fix."""

import os
import subprocess
import sys

import pytest
from django.core import checks
from django.test import override_settings
from support.gunicorn_helpers import EXAMPLE, TESTS

from async_legacy.compat import DJANGO_VERSION, NATIVE_ASYNC


def messages(ids=None):
    found = [m for m in checks.run_checks(tags=["async_legacy"]) if m.id.startswith("async_legacy.")]
    return [m for m in found if ids is None or m.id in ids]


@pytest.fixture
def atomic_default(monkeypatch):
    from django.conf import settings

    monkeypatch.setitem(settings.DATABASES["default"], "ATOMIC_REQUESTS", True)


@override_settings(ROOT_URLCONF="testproject.check_urls")
def test_coroutine_views_under_atomic_requests(atomic_default):
    errors = messages({"async_legacy.E001"})
    named = sorted(e.obj for e in errors)
    # The async def, the async class-based view; not the non_atomic_requests one nor the sync view.
    assert named == ["testproject.check_urls.AsyncPage", "testproject.check_urls.fine"], named
    assert all(e.level == checks.ERROR for e in errors)
    assert "non_atomic_requests(using='default')" in errors[0].hint


@override_settings(ROOT_URLCONF="testproject.check_urls")
def test_without_atomic_requests_no_error():
    assert messages({"async_legacy.E001"}) == []


@override_settings(ROOT_URLCONF="testproject.check_urls")
def test_a_plain_decorator_hiding_a_coroutine_view():
    (warning,) = messages({"async_legacy.W002"})
    assert warning.obj == "testproject.check_urls.hidden"
    assert "wrapper()" in warning.msg and "check_urls.py" in warning.msg
    assert "async_legacy.decorators" in warning.hint


def test_async_legacy_decorators_do_not_hide_coroutines():
    # testproject.urls: modern_views use async_legacy.decorators everywhere;
    # views.py has Django's own decorators around async defs (flagged before 5.0).
    hidden = [m.obj for m in messages({"async_legacy.W002"})]
    assert not [name for name in hidden if "modern_views" in name], hidden
    assert any("testproject.views" in name for name in hidden) == (DJANGO_VERSION < (5, 0)), hidden
    assert "testproject.views.atomic_decorated" not in hidden  # an error of its own:


def test_transaction_atomic_around_a_coroutine_view():
    (error,) = [m for m in messages({"async_legacy.E001"}) if m.obj == "testproject.views.atomic_decorated"]
    assert error.level == checks.ERROR and "transaction.atomic" in error.msg
    assert "sync_to_async" in error.hint


@override_settings(ROOT_URLCONF="testproject.check_urls", WSGI_APPLICATION="testproject.plain_wsgi.application")
def test_plain_wsgi_handler_with_coroutine_views():
    (warning,) = messages({"async_legacy.W003"})
    assert warning.obj == "testproject.plain_wsgi.application"
    assert "get_application()" in warning.hint and "gaiohttp" in warning.hint


@override_settings(ROOT_URLCONF="testproject.check_urls", WSGI_APPLICATION="testproject.async_wsgi.application")
def test_get_application_passes():
    assert messages({"async_legacy.W003"}) == []


@pytest.fixture
def pipeline_serves():
    """The pipeline serves: Django < 3.1, or 3.1+ with ASYNC_LEGACY_PIPELINE = True."""
    with override_settings(ASYNC_LEGACY_PIPELINE=True):
        yield


@pytest.mark.skipif(not NATIVE_ASYNC, reason="Django >= 3.1's own handler")
def test_no_lane_messages_under_djangos_own_handler():
    assert messages({"async_legacy.I004"}) == []


def test_middleware_on_the_lane_is_reported_as_info(pipeline_serves):
    infos = {m.obj: m for m in messages({"async_legacy.I004"})}
    recorder = infos["testproject.middleware.Recorder"]
    assert recorder.level == checks.INFO
    assert "process_request" in recorder.msg and "ASYNC_LEGACY_INLINE_MIDDLEWARE" in recorder.hint
    # Django's own middleware known to be I/O-free is not reported.
    assert "django.middleware.common.CommonMiddleware" not in infos
    assert "django.contrib.sessions.middleware.SessionMiddleware" not in infos
    with override_settings(ASYNC_LEGACY_INLINE_MIDDLEWARE=["testproject.middleware.Recorder"]):
        assert "testproject.middleware.Recorder" not in {m.obj for m in messages({"async_legacy.I004"})}
    # Listed by a path that re-exports it: inline for the check as for the pipeline.
    with override_settings(ASYNC_LEGACY_INLINE_MIDDLEWARE=["testproject.reexported.Recorder"]):
        assert "testproject.middleware.Recorder" not in {m.obj for m in messages({"async_legacy.I004"})}


@pytest.mark.parametrize("pipeline", [False, True])
def test_persistent_connections(monkeypatch, pipeline):
    from django.conf import settings

    lane = pipeline or not NATIVE_ASYNC  # the pipeline serves, with its long-lived threads
    with override_settings(ASYNC_LEGACY_PIPELINE=pipeline):
        monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 60)
        found = messages({"async_legacy.W005"})
        assert len(found) == (0 if lane else 1)  # lane threads reuse their connections
        monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", None)
        (warning,) = messages({"async_legacy.W005"})
        assert warning.obj == "DATABASES['default']" and "CONN_MAX_AGE" in warning.hint
        monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
        assert messages({"async_legacy.W005"}) == []


def test_manage_py_check_on_example_montage_is_clean(tmp_path):
    env = dict(os.environ, MONTAGE_DB=str(tmp_path / "db.sqlite3"), DJANGO_SETTINGS_MODULE="montage.settings")
    done = subprocess.run(
        [sys.executable, os.path.join(EXAMPLE, "manage.py"), "check"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert done.returncode == 0, done.stdout
    assert "no issues" in done.stdout and "async_legacy" not in done.stdout, done.stdout


def test_django_admin_check_fails_on_an_error():
    # E001 through the real command: coroutine views under ATOMIC_REQUESTS.
    env = dict(os.environ, PYTHONPATH=TESTS, DJANGO_SETTINGS_MODULE="testproject.check_settings")
    done = subprocess.run(
        [sys.executable, "-m", "django", "check"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert done.returncode != 0
    assert "async_legacy.E001" in done.stdout and "testproject.check_urls.fine" in done.stdout, done.stdout
    assert "async_legacy.W002" in done.stdout  # warnings are listed with the error


@pytest.mark.skipif(NATIVE_ASYNC, reason="Django >= 3.1 keeps its own runserver")
def test_staticfiles_before_async_legacy_takes_runserver():
    from django.conf import settings

    assert messages({"async_legacy.W006"}) == []
    apps_list = [a for a in settings.INSTALLED_APPS if a != "async_legacy"]
    with override_settings(INSTALLED_APPS=apps_list + ["django.contrib.staticfiles", "async_legacy"]):
        (warning,) = messages({"async_legacy.W006"})
    assert "before 'django.contrib.staticfiles'" in warning.hint


ASYNC_KINDS = [
    "testproject.middleware.AsyncClass",
    "testproject.middleware.hybrid",
    "testproject.middleware.async_only",
    "testproject.middleware.sync_only",
    "testproject.middleware.Recorder",
]
WRONG = ["testproject.middleware.AsyncUnflagged", "testproject.middleware.async_undecorated"]


@override_settings(MIDDLEWARE=ASYNC_KINDS)
def test_async_capable_middleware_costs_no_trip(pipeline_serves):
    infos = {m.obj: m for m in messages({"async_legacy.I004"})}
    assert set(infos) == {"testproject.middleware.sync_only", "testproject.middleware.Recorder"}
    assert "async_only_middleware" in infos["testproject.middleware.sync_only"].hint


@override_settings(MIDDLEWARE=ASYNC_KINDS + WRONG)
def test_async_middleware_not_marked_async_capable_is_a_warning():
    warnings = {m.obj: m for m in messages({"async_legacy.W007"})}
    assert set(warnings) == set(WRONG)  # the correctly marked kinds pass, on every Django
    unflagged = warnings["testproject.middleware.AsyncUnflagged"]
    assert unflagged.level == checks.WARNING
    assert "not async_capable" in unflagged.msg and "async_capable = True" in unflagged.hint
    assert "markcoroutinefunction" in unflagged.hint
    assert "async_only_middleware" in warnings["testproject.middleware.async_undecorated"].hint


def test_giving_threads_back_is_warned_about():
    from django.test import override_settings

    assert messages({"async_legacy.W008"}) == []  # the default: affinity
    with override_settings(ASYNC_LEGACY_THREAD_AFFINITY=False, ASYNC_LEGACY_PIPELINE=True):
        found = messages({"async_legacy.W008"})
    assert len(found) == 1 and "threading.local" in found[0].msg
    assert found[0].obj == "ASYNC_LEGACY_THREAD_AFFINITY"
