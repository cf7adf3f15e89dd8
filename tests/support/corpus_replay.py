"""Replay gunicorn's request corpus against a running worker and judge each
case as gunicorn's own tests do (shared by worker/test_protocol.py and the report)."""

import json
import os
from urllib.parse import unquote_to_bytes

from support import rawhttp
from support.gunicorn_helpers import ROOT

#: Cases where the worker's verdict differs from gunicorn's, and why.
KNOWN = {
    "invalid/040": "needs gunicorn's header_map=refuse; the worker drops headers with '_' (gunicorn's default)",
    "invalid/chunked_07": "needs gunicorn's header_map=refuse; the worker drops headers with '_' (gunicorn's default)",
    "valid/028": "needs gunicorn's strip_header_spaces, which the worker does not have",
    "valid/031compat": "needs gunicorn's permit_unconventional_http_method/casefold_http_method, which the worker does not have",
    "valid/031compat2": "needs gunicorn's permit_unconventional_http_method, which the worker does not have",
    "valid/040_compat": "needs gunicorn's header_map=dangerous, which the worker does not have",
    "valid/compat_obs_fold": "needs gunicorn's permit_obsolete_folding, which the worker does not have",
    "valid/compat_obs_fold_huge": "needs gunicorn's permit_obsolete_folding, which the worker does not have",
    "valid/025": "Transfer-Encoding in two header lines is refused as a duplicate (the worker's singleton "
    "rule, and recent aiohttp's own: ambiguous framing); gunicorn joins them",
    "valid/029": "Transfer-Encoding in two header lines is refused as a duplicate (see 025)",
    "valid/030": "Transfer-Encoding in two header lines is refused as a duplicate (see 025)",
    "valid/031": "llhttp accepts only the methods in its table; gunicorn accepts any token (-BLARGH)",
    "valid/rfc9112_target_authority_connect_01": "CONNECT's authority-form target: the worker passes "
    "'example.com:443' as the path, gunicorn's urlsplit gives '443'",
    "valid/013": "llhttp before aiohttp 3.14 refuses blanks before a chunk extension (RFC 9112 BWS)",
    "valid/099": "the .http file holds fewer body bytes than its Content-Length: the worker waits "
    "GAIOHTTP_BODY_TIMEOUT, then answers 408",
}
NO_HOST = (
    "HTTP/1.1 without Host: recent aiohttp refuses it (RFC 9112 3.2: a server MUST answer 400); gunicorn accepts it"
)
#: The corpus's PROXY v2 cases, where the pair's gunicorn is older than 24.
PROXY_V2 = ("valid/pp_04", "valid/pp_05")
PROXY_V1_ONLY = (
    "PROXY protocol v2: gunicorn before 24 reads v1 only (proxy_protocol is a switch), so the worker does too"
)


def known(case, verdict, detail):
    """Why this case may differ from gunicorn's verdict (None: it may not)."""
    if case.kind == "valid" and verdict == "refused" and "Missing 'Host' header" in detail:
        return NO_HOST
    if case.id in PROXY_V2:
        import gunicorn  # the pair's, not the corpus's

        return PROXY_V1_ONLY if gunicorn.version_info < (24,) else None
    return KNOWN.get(case.id)


#: The worker settings the replay runs with (incomplete requests end in half a second).
ENV = {"GAIOHTTP_HEAD_TIMEOUT": "0.5", "GAIOHTTP_BODY_TIMEOUT": "0.5"}


def expected_environ_headers(headers):
    out = {}
    for name, value in headers:
        if "_" in name:  # dropped, as gunicorn's default header_map=drop does
            continue
        key = {"CONTENT-TYPE": "CONTENT_TYPE", "CONTENT-LENGTH": "CONTENT_LENGTH"}.get(
            name, "HTTP_" + name.replace("-", "_")
        )
        out[key] = out[key] + "," + value if key in out else value
    return out


def mismatch(kind, expected, got):
    """What differs between a corpus expectation and the echo, or None."""
    uri = expected["uri"]
    want = {
        "method": expected["method"],
        "query": uri["query"],
        "protocol": "HTTP/%d.%d" % expected["version"],
        "body": expected["body"].decode("latin-1") if isinstance(expected["body"], bytes) else expected["body"],
    }
    if kind == "ASGI":
        want["raw_path"] = uri["path"]
        want["headers"] = [[n.lower(), v] for n, v in expected["headers"] if "_" not in n]
    else:
        want["path"] = unquote_to_bytes(uri["path"]).decode("latin-1")
        want["headers"] = expected_environ_headers(expected["headers"])
        if "CONTENT_LENGTH" not in want["headers"]:
            got = dict(got, headers={k: v for k, v in got["headers"].items() if k != "CONTENT_LENGTH"})
    diffs = ["%s: want %r, got %r" % (key, value, got.get(key)) for key, value in want.items() if got.get(key) != value]
    return "; ".join(diffs) or None


def replay(case, addr, kind):
    """(verdict, detail): verdict is refused, accepted, served (an invalid
    request answered 2xx), mismatch, dropped, hang or server-error."""
    if case.kind == "valid":
        result = rawhttp.exchange(addr, case.data, expect=len(case.request), timeout=4)
    else:
        result = rawhttp.exchange(addr, case.data, want_close=True, timeout=4)
    statuses = result.statuses
    if any(s >= 500 and s != 505 for s in statuses):
        return "server-error", repr(result)
    if case.kind == "invalid":
        if any(200 <= s < 300 for s in statuses):
            return "served", repr(result)
        if not statuses:
            return ("dropped" if result.closed else "hang"), repr(result)
        if not result.closed:
            return "hang", "answered %s but left open" % statuses
        return "refused", "%s" % statuses[0]
    if len(statuses) < len(case.request) or any(s != 200 for s in statuses):
        refusals = [r for r in result.responses if 400 <= r.status < 500 or r.status == 505]
        if refusals:
            return "refused", "%s %s" % (statuses, refusals[0].body.decode("latin-1").strip())
        return ("dropped" if result.closed else "hang"), repr(result)
    for expected, response in zip(case.request, result.responses):
        problem = mismatch(kind, expected, json.loads(response.body.decode()))
        if problem:
            return "mismatch", problem
    return "accepted", ""


def good(case, verdict):
    return verdict == ("accepted" if case.kind == "valid" else "refused")


def write_report(pair, kind, results):
    """.matrix/corpus/<pair>.json for scripts/corpus_table.py (the table in docs/results.md);
    only runs of scripts/matrix.py (which names the pair) count."""
    if pair == "local":
        return
    folder = os.path.join(ROOT, ".matrix", "corpus")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "%s.json" % pair)
    data = {}
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    import aiohttp

    data[kind] = results
    data["aiohttp"] = aiohttp.__version__
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
