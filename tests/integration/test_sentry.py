"""sentry-sdk's Django integration on our app, next to Django's own handler.

Sentry instruments Django by patching its handler's entry points
(``WSGIHandler.__call__``, ``BaseHandler.get_response``, ``ASGIHandler.
__call__``, ``get_response_async``, ``make_view_atomic``); async_legacy calls
them as Django does while they are patched (async_legacy.entry_points). Each
test serves tests/sentryproject from a real gunicorn (gaiohttp worker with
``get_application()``; ``ASYNC_LEGACY_PIPELINE = True`` on Django >= 3.1) and
the same project from Django's own handler (gunicorn's sync worker with
``get_wsgi_application()``), with sentry-sdk recording what it would send to
a file (sentryproject/recording.py), and compares.

scripts/matrix.py installs sentry-sdk 2.x on py3.8-django2.2 and
py3.12-django5.2 and 1.45 on py3.9-django3.0; elsewhere these tests skip.
"""

import concurrent.futures
import contextlib
import json

import pytest
import requests
from support.gunicorn_helpers import gunicorn
from support.sentry import CLIENTS, assert_own_scopes, recorded

sentry_sdk = pytest.importorskip("sentry_sdk")

import django  # noqa: E402

NATIVE = django.VERSION >= (3, 1)
SENTRY_2 = int(sentry_sdk.VERSION.split(".")[0]) >= 2
BOUND = 30


@contextlib.contextmanager
def serve(tmp_path, ours=True):
    events = str(tmp_path / ("ours.jsonl" if ours else "django.jsonl"))
    env = {"DJANGO_SETTINGS_MODULE": "sentryproject.settings", "SENTRY_EVENTS": events}
    if ours:
        app, settings = "sentryproject.served:application", {}
        if NATIVE:
            env["SENTRY_PIPELINE"] = "1"
    else:
        app, settings = "sentryproject.served:django_wsgi", {"worker_class": "sync", "workers": 1}
    with gunicorn(app, settings=settings, env=env) as server:
        server.events = events
        yield server


def get(server, path, client, **params):
    return requests.get(server.base + path, params=params, headers={"X-Client": client}, timeout=BOUND)


def concurrent_failures(server, path):
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(lambda i: get(server, path, "client-%d" % i, n=i).status_code, range(CLIENTS)))
    assert statuses == [500] * CLIENTS, server.log()[-3000:]
    return recorded(server, "event", path, CLIENTS)


@pytest.mark.parametrize("path", ["/sync/fail/", "/async/fail/"])
def test_concurrent_errors_each_carry_their_own_request(tmp_path, path):
    with serve(tmp_path) as server:
        events = concurrent_failures(server, path)
    assert_own_scopes(events, path)
    assert all(event["transaction"] == path for event in events)


def test_djangos_handler_gives_the_same_events(tmp_path):
    # The reference: what the assertions above ask of ours, Django's own handler does.
    with serve(tmp_path, ours=False) as server:
        events = concurrent_failures(server, "/sync/fail/")
    assert_own_scopes(events, "/sync/fail/")


def _transaction(server, path):
    assert get(server, path, "pages").status_code == 200
    found = recorded(server, "transaction", path, 1)
    assert len(found) == 1, server.log()[-3000:]
    return found[0]


def _shape(transaction):
    return {
        "name": transaction["transaction"],
        "ops": sorted({span["op"] for span in transaction["spans"]}),
        "client": transaction["tags"].get("client"),
        "status": transaction["tags"].get("http.status_code"),
    }


def test_transactions_and_spans_as_djangos(tmp_path):
    with serve(tmp_path, ours=False) as server:
        django_sync = _shape(_transaction(server, "/sync/page/"))
    with serve(tmp_path) as server:
        ours_sync = _shape(_transaction(server, "/sync/page/"))
        ours_async = _shape(_transaction(server, "/async/page/"))
    # The query and the template, as Django's handler shows them.
    assert {"db", "template.render"} <= set(django_sync["ops"])
    assert ours_sync["ops"] == django_sync["ops"] or (NATIVE and set(django_sync["ops"]) <= set(ours_sync["ops"]))
    assert ours_sync["name"] == "/sync/page/" and ours_async["name"] == "/async/page/"
    # A coroutine view is traced as the same sync view is.
    assert ours_async["ops"] == ours_sync["ops"]
    assert ours_sync["client"] == ours_async["client"] == "pages"
    assert ours_sync["status"] == ours_async["status"] == "200"


def test_a_spawned_tasks_error_is_linked_to_its_request(tmp_path):
    with serve(tmp_path) as server:
        assert get(server, "/async/spawn-fail/", "spawner").status_code == 200
        events = recorded(server, "event", "/async/spawn-fail/", 1)
        transactions = recorded(server, "transaction", "/async/spawn-fail/", 1)
    assert len(events) == 1 and len(transactions) == 1
    event = events[0]
    assert "background failure of client spawner" in json.dumps(event)
    assert event["tags"].get("client") == "spawner"
    if SENTRY_2:  # 1.x gives an event outside the transaction's span a trace of its own
        assert event["contexts"]["trace"]["trace_id"] == transactions[0]["contexts"]["trace"]["trace_id"]
