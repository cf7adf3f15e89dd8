"""Where middleware hooks run: Django's I/O-free hooks inline on the loop,
everything else on the request's lane."""

import django
import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.security import SecurityMiddleware
from django.test import override_settings
from support.helpers import call, run
from testproject.settings import TYPICAL_STACK

from async_legacy import hooks

#: The legacy pipeline's own code: deselected on Django >= 3.1, where Django's handler serves (tests/conftest.py).
pytestmark = pytest.mark.legacy_only


def _response(request):
    return None


class Unknown(SecurityMiddleware):
    def process_request(self, request):  # overridden: may do anything
        return None


def test_known_hooks_inline_and_overrides_on_the_lane():
    assert hooks.mode_of(SecurityMiddleware(_response).process_request) is hooks.INLINE
    assert hooks.mode_of(CommonMiddleware(_response).process_response) is hooks.INLINE
    assert hooks.mode_of(SessionMiddleware(_response).process_response) is hooks._session_saves
    unknown = Unknown(_response)
    assert hooks.mode_of(unknown.process_request) is hooks.LANE
    # Inherited and untouched: still Django's known hook.
    assert hooks.mode_of(unknown.process_response) is hooks.INLINE


def test_coroutine_hooks_are_awaited_whatever_the_class():
    from testproject.middleware import AsyncClass

    assert hooks.class_hook_mode(AsyncClass, "process_view") is hooks.AWAIT
    assert hooks.mode_of(AsyncClass(_response).process_exception) is hooks.AWAIT
    assert not hooks.needs_lane(hooks.AWAIT, None)


@pytest.mark.parametrize("listed", ["testproject.reexported.Recorder", "testproject.middleware.Recorder"])
def test_inline_by_any_path_that_imports_to_the_class(listed):
    # settings.MIDDLEWARE may name a re-export: the path listed in
    # ASYNC_LEGACY_INLINE_MIDDLEWARE counts when it imports to the class, the
    # same answer the system check gives (checks.py asks hooks.declared_inline).
    from testproject.middleware import Recorder

    assert hooks.mode_of(Recorder(_response).process_request) is hooks.LANE
    with override_settings(ASYNC_LEGACY_INLINE_MIDDLEWARE=[listed]):
        assert hooks.declared_inline(Recorder)
        assert hooks.mode_of(Recorder(_response).process_request) is hooks.INLINE
    with override_settings(ASYNC_LEGACY_INLINE_MIDDLEWARE=["testproject.reexported.Missing"]):
        assert hooks.mode_of(Recorder(_response).process_request) is hooks.LANE


def test_class_hook_mode_tells_absent_from_inline():
    assert hooks.class_hook_mode(SecurityMiddleware, "process_request") is hooks.INLINE
    assert hooks.class_hook_mode(SecurityMiddleware, "process_view") is hooks.ABSENT


@pytest.mark.parametrize("path", ["/hello/", "/async/"])
def test_typical_stack_serves_a_coroutine_view_without_a_thread(loop, path):
    from async_legacy import AsyncDjangoApplication

    with override_settings(MIDDLEWARE=TYPICAL_STACK, MIDDLEWARE_CLASSES=None):
        app = AsyncDjangoApplication()
        for _ in range(3):
            got = run(loop, call(app, path))
            assert got.status_code == 200
            assert got.header("X-Frame-Options")  # the whole stack ran
    assert app.lanes._threads == []  # no hook, no signal, nothing took a thread


REALISTIC = TYPICAL_STACK[:2] + ["django.middleware.locale.LocaleMiddleware"] + TYPICAL_STACK[2:]


def test_locale_without_a_session_cookie_takes_no_thread(loop):
    from async_legacy import AsyncDjangoApplication

    with override_settings(MIDDLEWARE=REALISTIC, MIDDLEWARE_CLASSES=None):
        app = AsyncDjangoApplication()
        got = run(loop, call(app, "/lane/language/", headers={"Accept-Language": "de"}))
    assert got.status_code == 200 and got.body == b"de"
    assert app.lanes._threads == []


@pytest.mark.parametrize(
    "engine, thread",
    [
        # Django 3.0's get_language_from_request() no longer reads the session.
        ("django.contrib.sessions.backends.db", django.VERSION < (3, 0)),
        ("django.contrib.sessions.backends.signed_cookies", False),
    ],
)
def test_locale_loads_a_stored_session_on_the_lane_only(loop, engine, thread):
    from async_legacy import AsyncDjangoApplication

    with override_settings(MIDDLEWARE=REALISTIC, MIDDLEWARE_CLASSES=None, SESSION_ENGINE=engine):
        app = AsyncDjangoApplication()
        got = run(
            loop,
            call(
                app,
                "/lane/language/",
                headers={"Cookie": "sessionid=0123456789abcdefghijklmnopqrstuv", "Accept-Language": "fr"},
            ),
        )
    assert got.status_code == 200 and got.body == b"fr"
    assert bool(app.lanes._threads) is thread


def test_consecutive_blocking_hooks_take_one_trip_per_phase(loop, monkeypatch):
    """Two project middleware (hooks that may block): one trip for their request
    hooks, one for their response hooks, not one per hook."""
    from async_legacy import AsyncDjangoApplication
    from async_legacy.lane import Lane

    trips = []
    original = Lane.run

    def counting(self, func, *args, **kwargs):
        trips.append(getattr(func, "__name__", func))
        return original(self, func, *args, **kwargs)

    stack = REALISTIC + ["testproject.middleware.ClientTag", "testproject.middleware.Timing"]
    with override_settings(MIDDLEWARE=stack, MIDDLEWARE_CLASSES=None):
        app = AsyncDjangoApplication()
        monkeypatch.setattr(Lane, "run", counting)
        got = run(loop, call(app, "/hello/", headers={"X-Client": "tests"}))
    assert got.status_code == 200
    assert got.header("X-Client") == "tests" and got.header("X-Timing") == "1"
    assert trips == ["_request_phase", "_response_phase"]
