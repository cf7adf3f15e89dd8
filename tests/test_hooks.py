"""Where middleware hooks run: Django's I/O-free hooks inline on the loop,
everything else on the request's lane."""
import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.security import SecurityMiddleware
from django.test import override_settings

from async_legacy import hooks
from helpers import call, run
from testproject.settings import TYPICAL_STACK


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
