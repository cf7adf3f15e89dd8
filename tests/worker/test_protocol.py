"""worker/protocol.py: gunicorn's request rules on the raw bytes, against real
gunicorn masters with the gaiohttp worker, over bare sockets."""

import concurrent.futures
import time

import pytest
from support import corpus_replay, http_corpus, pairs, protocol_probes, rawhttp
from support.gunicorn_helpers import gunicorn

PAIR = pairs.current()
ECHO = {
    "WSGI": "support.serverapps:echo_wsgi",
    "coroutine WSGI": "support.serverapps:echo_coroutine",
    "ASGI": "support.serverapps:echo_asgi",
}


def addr_of(server):
    host, port = server.bind.rsplit(":", 1)
    return host, int(port)


@pytest.fixture(scope="module")
def corpus():
    return http_corpus.cases()


@pytest.mark.parametrize("kind", sorted(ECHO))
def test_gunicorn_request_corpus(corpus, kind):
    """Every invalid request refused (4xx, closed), every valid one reaching
    the app as gunicorn parses it, except the cases KNOWN says why."""
    groups = {}
    for case in corpus:
        if kind != "WSGI" and case.mapped:
            continue  # cfg variations: once, with the WSGI echo
        groups.setdefault(tuple(sorted(case.mapped.items())), []).append(case)
    results, unexpected = {}, []
    for settings, members in sorted(groups.items()):
        with gunicorn(ECHO[kind], settings=dict(settings), env=corpus_replay.ENV) as server:
            addr = addr_of(server)
            with concurrent.futures.ThreadPoolExecutor(8) as pool:  # one connection per case
                verdicts = list(pool.map(lambda case, addr=addr: corpus_replay.replay(case, addr, kind), members))
            for case, (verdict, detail) in zip(members, verdicts):
                known = corpus_replay.known(case, verdict, detail)
                results[case.id] = {
                    "verdict": verdict,
                    "good": corpus_replay.good(case, verdict),
                    "detail": detail[:300],
                    "known": known,
                }
                if verdict in ("server-error", "hang", "dropped") or (
                    not corpus_replay.good(case, verdict) and not known
                ):
                    unexpected.append("%s: %s %s" % (case.id, verdict, detail[:300]))
            log = server.log()
        if "Traceback" in log:
            print(log)
        assert log.count("Booting worker") == 1, log[-3000:]  # the worker never died
        assert "Traceback" not in log, log[max(0, log.find("Traceback") - 300) :][:4000]
        assert "[ERROR]" not in log, log[max(0, log.find("[ERROR]") - 300) :][:4000]
    corpus_replay.write_report(PAIR, kind, results)
    assert not unexpected, "\n".join(unexpected)


@pytest.fixture(scope="module")
def probe_server():
    with gunicorn("support.serverapps:probe_wsgi", settings=protocol_probes.SETTINGS) as server:
        yield server
        log = server.log()
    assert log.count("Booting worker") == 1, log[-3000:]


@pytest.mark.parametrize("name", sorted(protocol_probes.PROBES))
def test_probe(probe_server, name):
    ok, detail = protocol_probes.PROBES[name](addr_of(probe_server))
    print("%s: %s" % (name, detail))
    assert ok, detail


@pytest.mark.slow  # plain aiohttp's record: scripts/matrix.py runs it on one old-aiohttp and one new pair
def test_probes_fail_on_plain_aiohttp():
    """The same probes against aiohttp's own gunicorn worker and a plain aiohttp
    echo app: what this pair's aiohttp lets through without the worker."""
    settings = dict(protocol_probes.SETTINGS, worker_class="aiohttp.worker.GunicornWebWorker")
    failed = []
    protocol_probes.WAIT["timeout"] = 1.5  # what plain aiohttp leaves open, it leaves open for good
    with gunicorn("support.serverapps:plain_aiohttp_echo", settings=settings) as server:
        for name, probe in sorted(protocol_probes.PROBES.items()):
            if name == "10,000 pipelined requests unread":
                continue  # needs /rss, which the plain app lacks
            try:
                ok, _detail = probe(addr_of(server))
            except Exception:  # noqa: BLE001 - a crash counts as a failure
                ok = False
            if not ok:
                failed.append(name)
    protocol_probes.WAIT["timeout"] = 5.0
    print("plain aiohttp fails %d probes: %s" % (len(failed), "; ".join(failed)))
    corpus_replay.write_report(PAIR, "plain aiohttp probes", failed)
    assert failed  # every aiohttp release in the matrix fails some of them


@pytest.mark.parametrize(
    "app, query",
    [
        ("support.serverapps:bad_status_wsgi", "status"),
        ("support.serverapps:bad_status_wsgi", "header"),
        ("support.serverapps:bad_status_wsgi", "nul"),
        ("support.serverapps:bad_header_asgi", ""),
    ],
)
def test_app_cannot_split_its_response(app, query):
    """CR, LF or NUL in an app's status line or headers: 500, never a split response."""
    with gunicorn(app) as server:
        result = rawhttp.exchange(addr_of(server), b"GET /?%s HTTP/1.1\r\nHost: a\r\n\r\n" % query.encode())
        assert result.statuses == [500], result
        assert b"X-Injected" not in result.raw and b"x-injected" not in result.raw and b"split" not in result.raw
        name = app.split(":")[1]
        deadline = time.time() + 5
        while name not in server.log() and time.time() < deadline:
            time.sleep(0.05)
        assert "CR, LF or NUL" in server.log() and name in server.log()
