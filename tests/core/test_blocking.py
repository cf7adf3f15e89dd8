"""async_legacy.blocking: a coroutine view that blocks the loop is named in a warning."""

import concurrent.futures
import re
import selectors
import sys
import threading
import time

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from support.gunicorn_helpers import EXAMPLE, gunicorn

from async_legacy import blocking


def wait_for(server, pattern, seconds=5):
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = re.search(pattern, server.log())
        if found:
            return found
        time.sleep(0.05)
    return None


def test_debug_names_the_request_view_line_and_duration(montage_env):
    env = dict(montage_env, MONTAGE_DEBUG="1")  # default threshold in DEBUG: 0.1 s
    with gunicorn("montage.wsgi:application", env=env, cwd=EXAMPLE) as server:
        # Awaiting sleeps, quick views and sync views (on threads) never warn.
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(
                pool.map(
                    requests.get,
                    [
                        server.base + "/sleep/async/?s=0.4",
                        server.base + "/hello/async/",
                        server.base + "/sleep/sync/?s=0.4",
                        server.base + "/hello/sync/",
                    ],
                )
            )
        assert requests.get(server.base + "/sleep/blocking/?s=0.4").status_code == 200
        found = wait_for(server, r"event loop was blocked for (\d+\.\d+) s[^\n]*/sleep/blocking/[^\n]*")
        assert found, server.log()
        line = found.group(0)
        assert 0.25 <= float(found.group(1)) <= 1.2, line  # the view blocks 0.4 s (3x for a loaded machine)
        assert "while serving GET /sleep/blocking/" in line
        assert "montage.views.sleep_blocking" in line
        assert re.search(r"views\.py:\d+", line), line
        # Only that view is named (a loaded CI machine may add an unattributed stall).
        named = re.findall(r"event loop was blocked[^\n]*while serving \S+ (\S+)", server.log())
        assert named == ["/sleep/blocking/"], server.log()


def test_off_without_debug(montage_env):
    with gunicorn("montage.wsgi:application", env=montage_env, cwd=EXAMPLE) as server:
        assert requests.get(server.base + "/sleep/blocking/?s=0.4").status_code == 200
        assert requests.get(server.base + "/hello/async/").status_code == 200
        time.sleep(0.3)
        assert "event loop was blocked" not in server.log()


@pytest.mark.parametrize("value", ["0.1", 0, -1, True])
def test_a_bad_setting_names_itself_and_the_fix(value):
    with override_settings(ASYNC_LEGACY_BLOCKING_THRESHOLD=value):
        with pytest.raises(ImproperlyConfigured, match=r"ASYNC_LEGACY_BLOCKING_THRESHOLD must be a number of seconds"):
            blocking.threshold_from_settings()


def test_defaults_follow_debug():
    with override_settings(DEBUG=True):
        assert blocking.threshold_from_settings() == 0.1
    with override_settings(DEBUG=False):
        assert blocking.threshold_from_settings() is None
    with override_settings(DEBUG=False, ASYNC_LEGACY_BLOCKING_THRESHOLD=0.5):
        assert blocking.threshold_from_settings() == 0.5


def test_a_loop_waiting_in_select_is_idle_not_blocked():
    # A heartbeat late while the loop sat in select() means the process got no
    # CPU (a loaded machine): no code of the worker to name, so no warning.
    selector = selectors.DefaultSelector()
    waiting = threading.Thread(target=selector.select, args=(0.5,))
    waiting.start()
    try:
        time.sleep(0.1)
        frame = sys._current_frames()[waiting.ident]
        assert blocking._waiting_for_io(frame)
        assert not blocking._waiting_for_io(sys._getframe())
        # A stack of library code only (the thread runs the selector directly)
        # names its innermost frame, not the outermost entry point.
        assert re.fullmatch(r" in library code: selectors\.select at \S+selectors\.py:\d+", blocking.describe(frame))
    finally:
        waiting.join()
        selector.close()
