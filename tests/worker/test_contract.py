"""The server side of the ASGI and WSGI contracts in the gaiohttp worker:
SCRIPT_NAME (WSGI) / root_path (ASGI) from gunicorn's SCRIPT_NAME
environment variable, the lifespan state copied into every scope, and a
failed startup (or an app that does not import) stopping gunicorn with
"Worker failed to boot" instead of a restart loop."""

import asyncio
import json
import os
import time

import aiohttp
import pytest
import requests
from support.gunicorn_helpers import gunicorn

BOOT_ERROR = 3  # gunicorn's Arbiter.WORKER_BOOT_ERROR


def _boots(server):
    path = os.path.join(server.state_dir, "boots")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.read().split()


# -- SCRIPT_NAME / root_path ---------------------------------------------------
def test_root_path_for_asgi_http_and_websocket():
    with gunicorn("support.serverapps:ws_asgi", env={"SCRIPT_NAME": "/p"}) as server:
        got = requests.get(server.base + "/p/x/y?q=1", timeout=10).json()
        assert (got["path"], got["root_path"]) == ("/p/x/y", "/p")
        response = requests.get(server.base + "/elsewhere", timeout=10)
        assert response.status_code == 500
        assert "does not start with SCRIPT_NAME '/p'" in server.log()

        async def go():
            async with aiohttp.ClientSession() as s:
                async with s.ws_connect(server.base + "/p/scope") as ws:
                    return json.loads((await ws.receive()).data)

        scope = asyncio.run(asyncio.wait_for(go(), 20))
        assert (scope["path"], scope["root_path"]) == ("/p/scope", "/p")


def test_script_name_for_wsgi():
    with gunicorn("support.serverapps:script_name_wsgi", env={"SCRIPT_NAME": "/mount/p/"}) as server:
        got = requests.get(server.base + "/mount/p/a%20b", timeout=10).json()
        # gunicorn's rule; a trailing slash on SCRIPT_NAME is not part of it.
        assert got == {"script_name": "/mount/p", "path_info": "/a b"}
        assert requests.get(server.base + "/other", timeout=10).status_code == 500


def test_django_project_under_script_name():
    # Coroutine WSGI on Django < 3.1, Django's ASGI handler on later ones.
    env = {"SCRIPT_NAME": "/p", "DJANGO_SETTINGS_MODULE": "channelsproject.settings"}
    with gunicorn("channelsproject.wsgi:application", env=env) as server:
        got = requests.get(server.base + "/p/where/", timeout=10).json()
        assert got["reverse"] == "/p/where/"
        assert got["script_prefix"] == "/p/"
        assert (got["path"], got["path_info"]) == ("/p/where/", "/where/")
        assert got["absolute"].endswith("://127.0.0.1:%s/p/where/" % server.base.rsplit(":", 1)[1])
        assert requests.get(server.base + "/where/", timeout=10).status_code == 500


# -- lifespan state --------------------------------------------------------------
def test_lifespan_state_is_copied_into_each_scope():
    with gunicorn("support.serverapps:ws_asgi") as server:
        first = requests.get(server.base + "/a", timeout=10).json()["state"]
        second = requests.get(server.base + "/b", timeout=10).json()["state"]
        assert first["db"] == second["db"] == "connected"
        assert first["touched"] and second["touched"]  # each request wrote to its own copy...

        async def go():
            async with aiohttp.ClientSession() as s:
                async with s.ws_connect(server.base + "/scope") as ws:
                    return json.loads((await ws.receive()).data)

        state = asyncio.run(asyncio.wait_for(go(), 20))["state"]
        assert state == {"db": "connected", "pid": first["pid"]}  # ...not to the app's


# -- boot errors ------------------------------------------------------------------
def _assert_stopped_with_boot_error(server):
    try:
        code = server.proc.wait(20)
    except Exception:
        pytest.fail("gunicorn kept running:\n" + server.log()[-3000:])
    assert code == BOOT_ERROR, server.log()[-3000:]
    assert "Worker failed to boot" in server.log()


def test_lifespan_startup_failed_stops_gunicorn():
    started = time.time()
    with gunicorn("support.serverapps:lifespan_failed_asgi") as server:
        _assert_stopped_with_boot_error(server)
        assert time.time() - started < 15
        assert "no database" in server.log()
        assert len(_boots(server)) == 1  # booted once, no restart loop


def test_lifespan_raising_stops_gunicorn_when_required():
    with gunicorn("support.serverapps:lifespan_raises_asgi", env={"GAIOHTTP_LIFESPAN": "on"}) as server:
        _assert_stopped_with_boot_error(server)
        assert "cannot start" in server.log()
        assert len(_boots(server)) == 1


def test_lifespan_raising_is_logged_and_served_in_auto_mode():
    with gunicorn("support.serverapps:lifespan_raises_asgi") as server:
        assert requests.get(server.base + "/", timeout=10).text == "served"
        assert "ASGI lifespan failed" in server.log()


def test_lifespan_off():
    with gunicorn("support.serverapps:lifespan_failed_asgi", env={"GAIOHTTP_LIFESPAN": "off"}) as server:
        assert requests.get(server.base + "/", timeout=10).text == "served"
        assert _boots(server) == []


def test_app_import_error_stops_gunicorn(tmp_path):
    (tmp_path / "broken_app.py").write_text("import no_such_module_for_gaiohttp_tests\n")
    with gunicorn("broken_app:application", cwd=str(tmp_path)) as server:
        _assert_stopped_with_boot_error(server)
        assert "no_such_module_for_gaiohttp_tests" in server.log()
        assert server.log().count("Booting worker") == 1
