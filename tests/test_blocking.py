"""async_legacy.blocking: a coroutine view that blocks the loop is named in a warning."""

import concurrent.futures
import re
import time

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from gunicorn_helpers import EXAMPLE, gunicorn

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
        found = wait_for(server, r"event loop was blocked for (\d+\.\d+) s[^\n]*")
        assert found, server.log()
        line = found.group(0)
        assert 0.25 <= float(found.group(1)) <= 1.0, line
        assert "while serving GET /sleep/blocking/" in line
        assert "montage.views.sleep_blocking" in line
        assert re.search(r"views\.py:\d+", line), line
        assert server.log().count("event loop was blocked") == 1, server.log()


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
