"""async_legacy.tasks: background work outliving the response, drained on graceful shutdown."""

import os
import signal
import subprocess
import sys
import time

import requests
from support.gunicorn_helpers import EXAMPLE, free_port, gunicorn_conf


def test_spawned_tasks_are_logged_and_drained_on_sigterm(tmp_path):
    db = str(tmp_path / "db.sqlite3")
    env = dict(os.environ, MONTAGE_DB=db, DJANGO_SETTINGS_MODULE="montage.settings")
    subprocess.check_call([sys.executable, os.path.join(EXAMPLE, "manage.py"), "migrate", "-v", "0"], env=env)
    bind = "127.0.0.1:%d" % free_port()
    env = {
        "MONTAGE_DB": db,
        "DJANGO_SETTINGS_MODULE": "montage.settings",
        "MONTAGE_BIND": bind,
        "MONTAGE_GRACEFUL_TIMEOUT": "10",
    }
    with gunicorn_conf(os.path.join(EXAMPLE, "gunicorn.conf.py"), bind, env) as server:
        got = requests.get(server.base + "/smoke/?order=ribs&s=4")
        assert got.text == "Order ribs is in the smoker.\n"
        # The response did not wait for the task: it came before the task's end was logged.
        assert "order ribs smoked" not in server.log()
        requests.get(server.base + "/smoke/?order=burnt&s=0.1")
        requests.get(server.base + "/smoke/?order=brisket&s=120")
        time.sleep(0.5)
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(30) == 0
        log = server.log()
    assert "Background task 'smoke-meats:burnt' failed" in log and "order burnt burnt in the smoker" in log
    assert "order ribs smoked after 4.0 s" in log  # finished during the graceful shutdown (10 s)
    assert "Background task 'smoke-meats:brisket' cancelled at shutdown" in log
    assert "order brisket smoked" not in log


def test_spawn_refuses_a_coroutine_function():
    import pytest

    from async_legacy.tasks import spawn

    async def job():
        pass

    with pytest.raises(TypeError, match="call the async function"):
        spawn(job)
