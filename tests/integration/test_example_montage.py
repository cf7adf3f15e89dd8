"""example_montage end to end: real gunicorn, gaiohttp worker, real HTTP."""

import concurrent.futures
import os
import re
import subprocess
import sys
import time

import pytest
import requests
from support.gunicorn_helpers import EXAMPLE, asgi_server, free_port, gunicorn_conf

from async_legacy.compat import NATIVE_ASYNC

# The same project, unchanged, under the gaiohttp worker (wsgi.py) and under
# ASGI servers (asgi.py): on Django < 3.1 through the legacy pipeline's ASGI
# face, on >= 3.1 through Django's own handler, and again with
# ASYNC_LEGACY_PIPELINE = True (MONTAGE_PIPELINE=1: the pipeline inside it).
SERVERS = ["gaiohttp", "uvicorn", "daphne", "hypercorn"]
if NATIVE_ASYNC:
    SERVERS += [server + "+pipeline" for server in SERVERS]
TOKEN = "montage-test-token-of-ada"


def csrf_token(html):
    # Django 1.11 renders the input with single quotes, later ones with double.
    return re.search(r"name=[\"']csrfmiddlewaretoken[\"'] value=[\"']([^\"']+)", html).group(1)


@pytest.fixture(scope="module", params=SERVERS)
def montage(request, tmp_path_factory):
    db = str(tmp_path_factory.mktemp("montage") / "db.sqlite3")
    env = dict(os.environ, MONTAGE_DB=db, DJANGO_SETTINGS_MODULE="montage.settings")
    manage = [sys.executable, os.path.join(EXAMPLE, "manage.py")]
    subprocess.check_call(manage + ["migrate", "--noinput", "-v", "0"], env=env)
    subprocess.check_call(
        manage
        + [
            "shell",
            "-c",
            "from django.contrib.auth.models import User; from rest_framework.authtoken.models import Token; "
            "from montage.models import Tag; Token.objects.create(user=User.objects.create_user('ada', password='lovelace'), key=%r); "
            "Tag.objects.bulk_create([Tag(name='intro'), Tag(name='chase'), Tag(name='credits')])" % TOKEN,
        ],
        env=env,
    )
    env = {"MONTAGE_DB": db, "DJANGO_SETTINGS_MODULE": "montage.settings"}
    server, _, pipeline = request.param.partition("+")
    if pipeline:
        env["MONTAGE_PIPELINE"] = "1"
        # What wsgi.py and asgi.py then serve with: the pipeline inside Django's handler.
        kinds = subprocess.check_output(
            [
                sys.executable,
                "-c",
                "import montage.wsgi, montage.asgi; "
                "print(type(montage.wsgi.application).__name__, type(montage.asgi.application).__name__)",
            ],
            env=dict(os.environ, PYTHONPATH=EXAMPLE, **env),
            text=True,
        )
        assert kinds.split() == ["PipelineASGIHandler", "PipelineASGIHandler"], kinds
    if server == "gaiohttp":
        # example_montage's own gunicorn.conf.py, as the README's first command runs it.
        env["MONTAGE_BIND"] = bind = "127.0.0.1:%d" % free_port()
        with gunicorn_conf(os.path.join(EXAMPLE, "gunicorn.conf.py"), bind, env) as served:
            yield served
    else:
        with asgi_server(server, "montage.asgi:application", env=env, cwd=EXAMPLE) as served:
            yield served


def test_hello_world_waits_without_holding_the_worker(montage):
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(30) as pool:
        results = list(pool.map(lambda _: requests.get(montage.base + "/hello_world/"), range(30)))
    elapsed = time.time() - started
    assert all(r.text == "Hello, async world!\n" for r in results)
    # 30 one-second views on one worker process: all waiting at once. One at a
    # time would take 30 s (a pool of 6 threads 5 s); the bound is 5x the view.
    assert 1.0 <= elapsed < 5.0, elapsed


def test_fanout_calls_upstreams_concurrently(montage):
    response = requests.get(montage.base + "/fanout/?delay=1")
    got = response.json()
    assert "no-cache" in response.headers["Cache-Control"]  # async_legacy.decorators.never_cache
    assert [r["name"] for r in got["results"]] == ["weather", "news", "stocks"]
    assert 1.0 <= got["elapsed"] < 3.0  # one at a time takes 3 s or more: the upstreams overlapped


def test_guestbook_form_with_csrf_session_and_messages(montage):
    with requests.Session() as browser:
        page = browser.get(montage.base + "/guestbook/")
        token = csrf_token(page.text)
        signed = browser.post(montage.base + "/guestbook/", data={"name": "Grace", "csrfmiddlewaretoken": token})
        assert signed.status_code == 200 and signed.history[0].status_code == 302
        assert '<li class="entry">Grace</li>' in signed.text
        assert "Signed by Grace." in signed.text
    forged = requests.post(montage.base + "/guestbook/", data={"name": "Mallory"})
    assert forged.status_code == 403


def test_login_then_async_view_sees_the_user(montage):
    with requests.Session() as browser:
        assert browser.get(montage.base + "/whoami/").url.startswith(montage.base + "/accounts/login/")
        page = browser.get(montage.base + "/accounts/login/")
        token = csrf_token(page.text)
        browser.post(
            montage.base + "/accounts/login/",
            data={"username": "ada", "password": "lovelace", "csrfmiddlewaretoken": token},
        )
        assert browser.get(montage.base + "/whoami/").text == "You are ada.\n"


def test_streaming_response_arrives_in_chunks(montage):
    with requests.get(montage.base + "/stream/", stream=True) as got:
        lines = list(got.iter_lines())
        assert got.headers.get("Transfer-Encoding") == "chunked"
    assert lines == [b"line %d" % i for i in range(5)]


def test_exception_page(montage):
    got = requests.get(montage.base + "/boom/")
    assert got.status_code == 500
    assert "example_montage exploded on purpose" in montage.log()


def test_index_and_404(montage):
    assert "example_montage" in requests.get(montage.base + "/").text
    assert requests.get(montage.base + "/no-such-page/").status_code == 404


def test_api_token_authenticated_crud_with_fk_m2m_and_pagination(montage):
    api = montage.base + "/api/clips/"
    auth = {"Authorization": "Token " + TOKEN}
    assert requests.post(api, json={"title": "x"}).status_code == 403  # anonymous: read only
    created = [
        requests.post(
            api, json={"title": "clip %d" % i, "seconds": i, "tags": ["intro", "chase"][: i % 2 + 1]}, headers=auth
        )
        for i in range(7)
    ]
    assert [r.status_code for r in created] == [201] * 7, created[0].text
    first = created[0].json()
    assert first["owner"] == "ada" and first["tags"] == ["intro"]
    page = requests.get(api).json()
    assert page["count"] >= 7 and len(page["results"]) == 5 and page["next"].endswith("/api/clips/?page=2")
    detail = "%s%d/" % (api, first["id"])
    changed = requests.patch(detail, json={"tags": ["credits"]}, headers=auth)
    assert changed.status_code == 200 and changed.json()["tags"] == ["credits"]
    assert requests.patch(detail, json={"tags": ["nope"]}, headers=auth).status_code == 400
    assert requests.delete(detail, headers=auth).status_code == 204
    assert requests.get(detail).status_code == 404
    assert requests.get(montage.base + "/api/").json()["clips"].endswith("/api/clips/")  # DefaultRouter root


def test_api_session_needs_csrf_token(montage):
    with requests.Session() as browser:
        page = browser.get(montage.base + "/accounts/login/")
        browser.post(
            montage.base + "/accounts/login/",
            data={"username": "ada", "password": "lovelace", "csrfmiddlewaretoken": csrf_token(page.text)},
        )
        forged = browser.post(montage.base + "/api/clips/", json={"title": "forged"})
        assert forged.status_code == 403 and forged.json()["detail"].startswith("CSRF Failed")
        token = browser.cookies["csrftoken"]
        signed = browser.post(montage.base + "/api/clips/", json={"title": "signed"}, headers={"X-CSRFToken": token})
        assert signed.status_code == 201 and signed.json()["owner"] == "ada"
    titles = [c["title"] for c in requests.get(montage.base + "/api/clips/?page=last").json()["results"]]
    assert titles[-1] == "signed" and "forged" not in titles


def test_api_dashboard_fans_out_concurrently(montage):
    got = requests.get(montage.base + "/api/dashboard/?delay=1").json()
    assert [r["name"] for r in got["results"]] == ["weather", "news", "stocks"]
    assert 1.0 <= got["elapsed"] < 3.0  # one at a time takes 3 s or more: the upstreams overlapped


def test_api_async_and_sync_drf_views_answer_alike(montage):
    # The endpoints scripts/bench_servers.py --drf compares.
    auth = {"Authorization": "Token " + TOKEN}
    clip = requests.post(montage.base + "/api/clips/", json={"title": "bench", "tags": ["intro"]}, headers=auth).json()
    for path in ("/api/clips/%d/" % clip["id"], "/api/clips/?page_size=20"):
        assert (
            requests.get(montage.base + path).json()
            == requests.get(montage.base + path.replace("/api/", "/api/sync/")).json()
        )
    assert requests.get(montage.base + "/api/wait/").json() == {"waited": 1}
