"""worker/preflight.py: a broken install stops at boot with the fix."""

import os

from support.gunicorn_helpers import EXAMPLE, TESTS, gunicorn


def test_worker_without_aiohttp_names_the_extra(tmp_path):
    # aiohttp "not installed": a module that fails to import the way a missing one does.
    (tmp_path / "aiohttp.py").write_text("raise ModuleNotFoundError(\"No module named 'aiohttp'\", name='aiohttp')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), TESTS, EXAMPLE])}
    for spec in ("gaiohttp", "async_legacy.worker.GaiohttpWorker"):
        with gunicorn("support.serverapps:wsgi_app", settings={"worker_class": spec}, env=env) as server:
            assert server.proc.wait(30) != 0
            log = server.log()
        assert 'pip install "django-async-legacy[worker]"' in log, log[-2000:]
        assert "needs aiohttp" in log


def test_pure_python_parser_is_refused_unless_allowed():
    with gunicorn("support.serverapps:wsgi_app", env={"AIOHTTP_NO_EXTENSIONS": "1"}) as server:
        assert server.proc.wait(30) != 0  # "Worker failed to boot": no restart loop
        log = server.log()
    assert "without its C HTTP parser: AIOHTTP_NO_EXTENSIONS is set" in log, log[-2000:]
    assert "GAIOHTTP_ALLOW_PY_PARSER=1" in log
    with gunicorn(
        "support.serverapps:wsgi_app", env={"AIOHTTP_NO_EXTENSIONS": "1", "GAIOHTTP_ALLOW_PY_PARSER": "1"}
    ) as server:
        import requests

        assert requests.get(server.base + "/").status_code == 200
        assert "without its C HTTP parser" in server.log()
