"""Third-party Django packages see the same requests under our worker as under
Django's own handler.

Each test serves tests/ecosystemproject, with settings built for one package
(ECOSYSTEM_PACKAGE), from two real gunicorn masters on loopback ports, one
after the other, and sends both the same requests:

* ours: the gaiohttp worker with ``async_legacy.get_application()``
  (ecosystemproject.served; on Django >= 3.1 with ASYNC_LEGACY_PIPELINE = True);
* Django's own handler (ecosystemproject.stock): on Django < 3.1 gunicorn's
  sync worker with ``get_wsgi_application()``; on 3.1+ Django's ASGIHandler
  under the gaiohttp worker.

The project has a sync view (/sync/) and a coroutine view (/async/) serving
the same page (one query, one template). What the package observed or
produced for each view (headers, metric increments, spans, transactions, SQL
and templates recorded) must be the same on both sides. Before Django 3.1 only
our side serves coroutine views: there the coroutine view's observation must be
the sync view's under Django's handler, with "sync" read as "async" in names
and paths. Where a package keeps state per request (silk, the toolbar's SQL
panel, OpenTelemetry, elastic-apm), concurrent requests overlap in their views
under our worker (gunicorn's sync worker serves them one at a time) and each
must record its own request only.

The packages are the versions scripts/matrix.py installs on
py3.8-django2.2 and py3.12-django5.2; each test skips where its package is not
installed.
"""

import concurrent.futures
import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

import django
import pytest
import requests
from support.gunicorn_helpers import TESTS, gunicorn

NATIVE = django.VERSION >= (3, 1)
VIEWS = ("sync", "async")
#: Django's own handler serves coroutine views from 3.1 on.
STOCK_VIEWS = VIEWS if NATIVE else ("sync",)
#: Seconds within which each request must be answered.
BOUND = 15
GUNICORN = {"graceful_timeout": 3}
#: Concurrent requests per view in the tests of packages that keep state per
#: request (thread-locals, contextvars), each held WAIT seconds in its view so
#: that they overlap under our worker; each must see its own request only.
CONCURRENT = 6
WAIT = 0.2
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"


def _version(dist):
    try:
        from importlib.metadata import version
    except ImportError:  # Python 3.7
        import pkg_resources

        return pkg_resources.get_distribution(dist).version
    return version(dist)


def _package(module, dist):
    """Skip unless ``module`` imports; the installed version of ``dist``."""
    pytest.importorskip(module, reason="%s is not installed for this Python/Django pair" % dist)
    return "%s %s" % (dist, _version(dist))


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A SQLite file migrated for every installed app with models; each server gets a copy."""
    path = str(tmp_path_factory.mktemp("ecosystem") / "db.sqlite3")
    env = dict(
        os.environ,
        PYTHONPATH=TESTS,
        DJANGO_SETTINGS_MODULE="ecosystemproject.settings",
        ECOSYSTEM_PACKAGE="migrate",
        ECOSYSTEM_DB=path,
    )
    subprocess.check_call([sys.executable, "-m", "ecosystemproject.migrate"], cwd=TESTS, env=env, timeout=120)
    return path


@contextlib.contextmanager
def serve(package, side, migrated, tmp_path):
    """One gunicorn master serving the project for ``package``: ``side`` is
    "ours" or "stock" (Django's own handler)."""
    db = str(tmp_path / ("%s.sqlite3" % side))
    shutil.copy(migrated, db)
    env = {
        "DJANGO_SETTINGS_MODULE": "ecosystemproject.settings",
        "ECOSYSTEM_PACKAGE": package,
        "ECOSYSTEM_DB": db,
        "ECOSYSTEM_PIPELINE": "1" if side == "ours" else "0",
    }
    settings = dict(GUNICORN)
    if side == "ours":
        app = "ecosystemproject.served:application"
    else:
        app = "ecosystemproject.stock:application"
        if not NATIVE:
            settings["worker_class"] = "sync"
    with gunicorn(app, settings=settings, env=env) as server:
        server.db = db
        try:
            requests.get(server.base + "/no-such-page/", timeout=BOUND)
        except requests.RequestException as exc:
            pytest.fail("%s did not answer a first request: %s\n%s" % (side, exc, server.log()[-4000:]), pytrace=False)
        yield server


def _swap(value):
    """The sync view's observation, as the coroutine view's would read."""
    return json.loads(re.sub(r"(?<![A-Za-z])sync", "async", json.dumps(value)))


def _differences(ours, expected, where=""):
    if isinstance(ours, dict) and isinstance(expected, dict):
        lines = []
        for key in sorted(set(ours) | set(expected), key=str):
            if key not in ours:
                lines.append("%s/%s: missing (Django's handler: %r)" % (where, key, expected[key]))
            elif key not in expected:
                lines.append("%s/%s: %r (absent under Django's handler)" % (where, key, ours[key]))
            else:
                lines += _differences(ours[key], expected[key], "%s/%s" % (where, key))
        return lines
    if ours != expected:
        return ["%s: ours %r, Django's handler %r" % (where or "/", ours, expected)]
    return []


def same_as_stock(package, what, observe, migrated, tmp_path):
    """Serve the project for ``package`` both ways, ``observe(server, view)``
    for each view, and fail unless ours saw what Django's handler saw.
    Returns {"ours": {view: observation}, "stock": {...}}."""
    observed = {}
    logs = {}
    for side, views in (("stock", STOCK_VIEWS), ("ours", VIEWS)):
        with serve(package, side, migrated, tmp_path) as server:
            observed[side] = {view: observe(server, view) for view in views}
            logs[side] = server.log()
    expected = dict(observed["stock"])
    if not NATIVE:
        expected["async"] = _swap(observed["stock"]["sync"])
    problems = []
    for view in VIEWS:
        problems += ["/%s/ %s" % (view, line) for line in _differences(observed["ours"][view], expected[view])]
    if problems:
        pytest.fail(
            "%s: what the package observed under our worker differs from Django's handler "
            "(coroutine view on Django < 3.1: compared with the sync view there):\n  %s\n--- our log's end:\n%s"
            % (what, "\n  ".join(problems[:30]), logs["ours"][-3000:]),
            pytrace=False,
        )
    return observed


def _trace(i=None):
    """The trace id a request continues: TRACE_ID, or concurrent request i's own."""
    return TRACE_ID if i is None else TRACE_ID[:-4] + "%04d" % i


def _traceparent(i=None):
    return "00-%s-%s-01" % (_trace(i), PARENT_ID)


def _concurrently(server, path, headers=lambda i: {}):
    """CONCURRENT GETs of ``path?tag=ecotag<i>&wait=WAIT`` sent at once (a
    thread each); the responses, in order."""
    barrier = threading.Barrier(CONCURRENT)

    def one(i):
        barrier.wait(10)
        params = {"tag": "ecotag%d" % i, "wait": WAIT}
        return requests.get(server.base + path, params=params, headers=headers(i), timeout=BOUND)

    with concurrent.futures.ThreadPoolExecutor(CONCURRENT) as pool:
        responses = list(pool.map(one, range(CONCURRENT)))
    assert [r.status_code for r in responses] == [200] * CONCURRENT, [r.text[:300] for r in responses]
    return responses


def _untagged(i, value):
    """``value`` with concurrent request i's tag and trace id read as placeholders
    (another request's stay: they show state that crossed requests)."""
    text = json.dumps(value).replace("ecotag%d" % i, "TAG").replace(_trace(i), "TRACE")
    return json.loads(text)


def _headers(response, names=(), prefixes=()):
    return {
        k.lower(): v
        for k, v in response.headers.items()
        if k.lower() in names or any(k.lower().startswith(p) for p in prefixes)
    }


# django-cors-headers ----------------------------------------------------------------

ORIGIN = "https://app.example.com"
FOREIGN = "https://elsewhere.example.net"


def test_cors_headers(migrated, tmp_path):
    """Preflights (allowed and foreign origin) and simple requests: the same
    status, Access-Control-* headers and Vary."""
    version = _package("corsheaders", "django-cors-headers")

    def observe(server, view):
        out = {}
        for label, method, headers in (
            (
                "preflight",
                "OPTIONS",
                {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-eco"},
            ),
            ("preflight-foreign", "OPTIONS", {"Origin": FOREIGN, "Access-Control-Request-Method": "PUT"}),
            ("get", "GET", {"Origin": ORIGIN}),
            ("get-foreign", "GET", {"Origin": FOREIGN}),
            ("get-no-origin", "GET", {}),
        ):
            r = requests.request(method, "%s/%s/" % (server.base, view), headers=headers, timeout=BOUND)
            out[label] = {"status": r.status_code, "headers": _headers(r, ("vary",), ("access-control-",))}
            if method == "OPTIONS":
                out[label]["body"] = r.text
        return out

    seen = same_as_stock("cors", version, observe, migrated, tmp_path)
    stock = seen["stock"]["sync"]
    assert stock["preflight"]["headers"].get("access-control-allow-origin") == ORIGIN, stock
    assert stock["preflight"]["headers"].get("access-control-max-age") == "600", stock
    assert stock["get"]["headers"].get("access-control-expose-headers") == "X-Eco", stock
    assert "access-control-allow-origin" not in stock["get-foreign"]["headers"], stock


# django-prometheus ---------------------------------------------------------------------


def _metrics(server):
    """django_http_* counters and histogram counts from a /metrics scrape."""
    response = requests.get(server.base + "/metrics", timeout=BOUND)
    assert response.status_code == 200, response.text[:500]
    samples = {}
    for line in response.text.splitlines():
        if not line.startswith("django_http_"):
            continue
        sample, value = line.rsplit(" ", 1)
        name = sample.split("{", 1)[0]
        if name.endswith(("_created", "_bucket", "_sum")):
            continue
        samples[sample] = float(value)
    return samples


def test_prometheus_metrics(migrated, tmp_path):
    """Two GETs, a POST with a body, a 404 and a 500 (the view raises) per
    view between two scrapes:
    every django_http_* counter (by view, method, status, template, body size
    count...) moves by the same amount."""
    version = _package("django_prometheus", "django-prometheus")

    def observe(server, view):
        before = _metrics(server)
        for _ in range(2):
            assert requests.get("%s/%s/" % (server.base, view), timeout=BOUND).status_code == 200
        assert requests.post("%s/%s/" % (server.base, view), data={"x": "y" * 100}, timeout=BOUND).status_code == 200
        assert requests.get("%s/missing-%s/" % (server.base, view), timeout=BOUND).status_code == 404
        assert requests.get("%s/boom-%s/" % (server.base, view), timeout=BOUND).status_code == 500
        after = _metrics(server)
        return {
            k: after.get(k, 0) - before.get(k, 0)
            for k in set(before) | set(after)
            if after.get(k, 0) != before.get(k, 0)
        }

    seen = same_as_stock("prometheus", version, observe, migrated, tmp_path)
    stock = seen["stock"]["sync"]
    by_view = [
        k
        for k in stock
        if k.startswith("django_http_requests_total_by_view_transport_method_total") and "page_sync" in k
    ]
    assert by_view and sum(stock[k] for k in by_view) == 3, stock
    assert stock.get('django_http_exceptions_total_by_type_total{type="ValueError"}') == 1, stock


# OpenTelemetry ---------------------------------------------------------------------------

#: Attributes whose values name the client's connection, not the request.
_VARYING = re.compile(r"peer|client|user_agent|sock")


def test_opentelemetry_spans(migrated, tmp_path):
    """A request continuing a W3C trace, one starting its own, concurrent ones
    each continuing its own, and one whose view raises: the same server spans
    (name, kind, status, attributes, exception events), each a child of its
    caller's span."""
    version = _package("opentelemetry.instrumentation.django", "opentelemetry-instrumentation-django")
    pytest.importorskip("opentelemetry.sdk", reason="opentelemetry-sdk is not installed")

    def normalize(span, server, i=None):
        port = server.base.rsplit(":", 1)[1]
        attributes = {}
        for key, value in span["attributes"].items():
            if _VARYING.search(key):
                value = "<varies>"
            elif isinstance(value, str):
                value = value.replace(port, "PORT")
            elif value == int(port):
                value = "PORT"
            attributes[key] = value
        span["attributes"] = attributes
        span["continues_trace"] = span.pop("trace_id") == _trace(i) and span.pop("parent_id") == PARENT_ID
        span.pop("parent_id", None)
        return _untagged(i, span) if i is not None else span

    def observe(server, view):
        path = "/%s/" % view
        for headers in ({"traceparent": _traceparent()}, {}):
            assert requests.get(server.base + path, headers=headers, timeout=BOUND).status_code == 200
        _concurrently(server, path, lambda i: {"traceparent": _traceparent(i)})
        boom = "/boom-%s/" % view
        assert requests.get(server.base + boom, timeout=BOUND).status_code == 500
        spans = requests.get(server.base + "/spans/", timeout=BOUND).json()
        mine = [s for s in spans if path in (s["attributes"].get("http.target"), s["attributes"].get("url.path"))]
        concurrent = {_trace(i): i for i in range(CONCURRENT)}
        by_trace = {s["trace_id"]: s for s in spans if s["trace_id"] in concurrent}
        return {
            "single": [normalize(s, server) for s in mine if s["trace_id"] not in concurrent],
            "concurrent": [
                normalize(by_trace[_trace(i)], server, i) if _trace(i) in by_trace else None for i in range(CONCURRENT)
            ],
            "concurrent_spans": len([s for s in spans if "ecotag" in json.dumps(s["attributes"])]),
            "error": [normalize(s, server) for s in spans if s["attributes"].get("http.target") == boom],
        }

    seen = same_as_stock("otel", version, observe, migrated, tmp_path)
    stock = seen["stock"]["sync"]
    assert [s["continues_trace"] for s in stock["single"]] == [True, False], stock
    assert all(s["kind"] == "SERVER" for s in stock["single"]), stock
    assert stock["concurrent_spans"] == CONCURRENT and all(s["continues_trace"] for s in stock["concurrent"]), stock
    assert [s["status"] for s in stock["error"]] == ["ERROR"], stock


# elastic-apm ---------------------------------------------------------------------------


def _apm_events(server):
    path = os.path.join(server.state_dir, "apm.ndjson")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_elastic_apm_transactions(migrated, tmp_path):
    """A request continuing a W3C trace, concurrent ones each continuing its
    own, and one whose view raises: the same transactions (name, result,
    outcome, trace, request/response context) with the same spans (connection,
    SQL queries, template), and the same error, as the agent sends them
    (ecosystemproject.apm writes them to a file)."""
    version = _package("elasticapm", "elastic-apm")
    if NATIVE:
        pytest.skip(
            "elastic-apm does not support Django under ASGI (its docs say so): under Django's own ASGIHandler "
            "it sends no transaction at all (its request_started receiver begins the transaction in a "
            "thread whose context is lost), and neither does our pipeline inside it"
        )

    def transaction(tx, events, i=None):
        if tx is None:
            return None
        spans = [e["span"] for e in events if "span" in e and e["span"]["transaction_id"] == tx["id"]]
        names = {span["id"]: span["name"] for span in spans}
        names[tx["id"]] = "<transaction>"
        seen = {
            "name": tx["name"],
            "type": tx["type"],
            "result": tx["result"],
            "outcome": tx["outcome"],
            "continues_trace": tx["trace_id"] == _trace(i) and tx.get("parent_id") == PARENT_ID,
            "method": tx["context"]["request"]["method"],
            "query": tx["context"]["request"]["url"].get("search", ""),
            "status": tx["context"]["response"]["status_code"],
            "span_count": tx["span_count"],
            "spans": sorted(
                [s["name"], s["type"], s.get("subtype"), s.get("action"), names.get(s["parent_id"], "?")] for s in spans
            ),
        }
        return seen if i is None else _untagged(i, seen)

    def observe(server, view):
        path = "/%s/" % view
        assert (
            requests.get(server.base + path, headers={"traceparent": _traceparent()}, timeout=BOUND).status_code == 200
        )
        _concurrently(server, path, lambda i: {"traceparent": _traceparent(i)})
        boom = "/boom-%s/" % view
        assert requests.get(server.base + boom, timeout=BOUND).status_code == 500
        deadline = time.monotonic() + 10
        while True:
            events = _apm_events(server)
            transactions = [
                e["transaction"]
                for e in events
                if "transaction" in e and e["transaction"]["context"]["request"]["url"]["pathname"] in (path, boom)
            ]
            if len(transactions) >= 2 + CONCURRENT or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        by_trace = {tx["trace_id"]: tx for tx in transactions}
        failed = [tx for tx in transactions if tx["context"]["request"]["url"]["pathname"] == boom]
        errors = [
            e["error"]
            for e in events
            if "error" in e and e["error"].get("context", {}).get("request", {}).get("url", {}).get("pathname") == boom
        ]
        return {
            "transactions": len(transactions),
            "single": transaction(by_trace.get(_trace()), events),
            "concurrent": [transaction(by_trace.get(_trace(i)), events, i) for i in range(CONCURRENT)],
            "failed": [transaction(tx, events) for tx in failed],
            "errors": [
                {
                    "type": error["exception"]["type"],
                    "message": error["exception"]["message"],
                    "handled": error["exception"].get("handled"),
                    "culprit": error.get("culprit"),
                    "of_the_transaction": [error.get("transaction_id")] == [tx["id"] for tx in failed],
                    "transaction_name": error.get("transaction", {}).get("name"),
                }
                for error in errors
            ],
        }

    seen = same_as_stock("apm", version, observe, migrated, tmp_path)
    stock = seen["stock"]["sync"]
    single = stock["single"]
    assert single["name"] == "GET ecosystemproject.views.page_sync" and single["continues_trace"], stock
    assert any(span[1] == "db" for span in single["spans"]) and any(
        span[1] == "template" for span in single["spans"]
    ), stock
    assert stock["transactions"] == 2 + CONCURRENT and all(tx["continues_trace"] for tx in stock["concurrent"]), stock
    assert [e["type"] for e in stock["errors"]] == ["ValueError"] and stock["errors"][0]["of_the_transaction"], stock


# whitenoise ----------------------------------------------------------------------------

_STATIC_HEADERS = (
    "content-type",
    "content-length",
    "content-range",
    "cache-control",
    "last-modified",
    "etag",
    "access-control-allow-origin",
    "vary",
    "content-encoding",
    "accept-ranges",
)


def test_whitenoise_middleware(migrated, tmp_path):
    """WhiteNoiseMiddleware serving a file of STATIC_ROOT (GET, HEAD, a
    conditional GET, a range) and letting the views' pages through."""
    version = _package("whitenoise", "whitenoise")

    def observe(server, view):
        static = server.base + "/static/eco.txt"
        out = {}
        first = requests.get(static, timeout=BOUND)
        for label, method, headers in (
            ("get", "GET", {}),
            ("head", "HEAD", {}),
            ("not-modified", "GET", {"If-None-Match": first.headers.get("ETag", "")}),
            ("range", "GET", {"Range": "bytes=0-8"}),
            ("page", "GET", {}),
        ):
            url = "%s/%s/" % (server.base, view) if label == "page" else static
            r = requests.request(method, url, headers=headers, timeout=BOUND)
            out[label] = {"status": r.status_code, "headers": _headers(r, _STATIC_HEADERS), "body": r.text}
        return out

    seen = same_as_stock("whitenoise", version, observe, migrated, tmp_path)
    stock = seen["stock"]["sync"]
    assert stock["get"]["body"] == "ecosystem static file\n" and stock["not-modified"]["status"] == 304, stock
    assert stock["range"]["status"] == 206, stock


# django-debug-toolbar ------------------------------------------------------------------


def _panel_text(content):
    """A rendered panel without what differs between any two renders (timings,
    signed values, CSRF tokens, ids, addresses)."""
    content = re.sub(r'value="[^"]*"', 'value=""', content)
    content = re.sub(r"template_origin=[^\"&]*", "template_origin=", content)
    content = re.sub(r"[A-Za-z0-9_-]{40,}", "<token>", content)
    content = re.sub(r"0x[0-9a-f]+", "0x", content)
    content = re.sub(r"[0-9a-f]{32}", "<id>", content)
    content = re.sub(r"\d+(\.\d+)?", "0", content)
    return re.sub(r"\s+", " ", content).strip()


def test_debug_toolbar_sql_and_template_panels(migrated, tmp_path):
    """The toolbar on each page: the SQL panel's queries (SQL and parameters)
    and the Templates panel's templates as recorded, both panels rendered
    through the toolbar's render_panel view, and each of concurrent requests'
    own queries only in its SQL panel."""
    version = _package("debug_toolbar", "django-debug-toolbar")

    def observe(server, view):
        r = requests.get("%s/%s/" % (server.base, view), timeout=BOUND)
        found = re.search(r'data-(?:store|request)-id="([^"]+)"', r.text)
        out = {
            "status": r.status_code,
            "toolbar": bool(found),
            "sql": json.loads(r.headers.get("X-Eco-Sql", "null")),
            "templates": json.loads(r.headers.get("X-Eco-Templates", "null")),
        }
        for panel in ("HeaderSQLPanel", "HeaderTemplatesPanel"):
            if not found:
                break
            params = {"store_id": found.group(1), "request_id": found.group(1), "panel_id": panel}
            p = requests.get(server.base + "/__debug__/render_panel/", params=params, timeout=BOUND)
            out[panel] = {
                "status": p.status_code,
                # JSON from 3.0 on; the panel's HTML before.
                "content": _panel_text(p.json()["content"] if "json" in p.headers["Content-Type"] else p.text),
            }
        # The SQL panel only: the Templates panel listens to template_rendered
        # for as long as its request runs and records every template rendered
        # meanwhile, its request's or not (so under Django's ASGIHandler too).
        out["concurrent"] = [
            _untagged(i, json.loads(r.headers.get("X-Eco-Sql", "null")))
            for i, r in enumerate(_concurrently(server, "/%s/" % view))
        ]
        return out

    seen = same_as_stock("toolbar", version, observe, migrated, tmp_path)
    stock = seen["stock"]["sync"]
    assert stock["toolbar"] and len(stock["sql"]) == 1 and "auth_user" in stock["sql"][0][0], stock
    assert stock["templates"] == ["eco/page.html"], stock
    assert "auth_user" in stock["HeaderSQLPanel"]["content"], stock
    assert all(len(sql) == 1 and "TAG" in json.dumps(sql) for sql in stock["concurrent"]), stock


# django-silk ---------------------------------------------------------------------------


def test_silk_request_records(migrated, tmp_path):
    """SilkyMiddleware's records of each request, alone and concurrent: path,
    method, view, status, the number of queries and their SQL (read from the
    database), and silk's own page listing the requests."""
    version = _package("silk", "django-silk")

    def observe(server, view):
        path = "/%s/" % view
        assert requests.get(server.base + path, timeout=BOUND).status_code == 200
        _concurrently(server, path)
        records = {}
        with contextlib.closing(sqlite3.connect(server.db, timeout=10)) as db:
            rows = db.execute(
                "SELECT r.id, r.method, r.view_name, r.query_params, r.num_sql_queries, s.status_code "
                "FROM silk_request r LEFT JOIN silk_response s ON s.request_id = r.id WHERE r.path = ?",
                (path,),
            ).fetchall()
            for pk, method, view_name, query_params, count, status in rows:
                queries = [q for (q,) in db.execute("SELECT query FROM silk_sqlquery WHERE request_id = ?", (pk,))]
                tag = re.search(r"ecotag(\d+)", query_params or "")
                i = int(tag.group(1)) if tag else None
                record = {"method": method, "view": view_name, "num_sql_queries": count, "status": status}
                record["queries"] = queries
                records.setdefault(i, []).append(record if i is None else _untagged(i, record))
        listing = requests.get(server.base + "/silk/requests/", timeout=BOUND)
        return {
            "single": records.pop(None, []),
            "concurrent": [records.pop(i, []) for i in range(CONCURRENT)],
            "others": records,
            "silk_ui": listing.status_code,
            "listed": path in listing.text,
        }

    seen = same_as_stock("silk", version, observe, migrated, tmp_path)
    stock = seen["stock"]["sync"]
    assert len(stock["single"]) == 1 and stock["single"][0]["status"] == 200, stock
    assert stock["silk_ui"] == 200 and stock["listed"], stock
    assert any("auth_user" in q for q in stock["single"][0]["queries"]), stock
    assert all(len(r) == 1 and "TAG" in r[0]["queries"][0] for r in stock["concurrent"]), stock
