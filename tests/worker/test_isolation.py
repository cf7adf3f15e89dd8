"""Isolation at scale: many concurrent requests through the gaiohttp worker,
each with its own language, timezone, user (session cookie), urlconf and
script prefix, awaiting in between: none may see another request's state."""

import asyncio
import itertools
import json
import os
import subprocess
import sys

import pytest
from support.clients import address, send
from support.gunicorn_helpers import TESTS, gunicorn

CONCURRENT = 1000
LANGS = ["en", "de", "fr"]
TIMEZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Africa/Cairo",
    "America/Lima",
]
USERS = ["", "ada", "bob", "cyd", "dee"]
PREFIXES = ["", "/p1", "/mount/two"]


@pytest.fixture(scope="module")
def sqlite_env(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("isolation") / "db.sqlite3")
    env = {"TEST_SQLITE_PATH": path}
    code = "import django; django.setup(); from django.core.management import call_command; call_command('migrate', verbosity=0)"
    subprocess.check_call([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=TESTS, **env), cwd=TESTS)
    return env


async def _get(host, port, path, headers):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        lines = ["GET %s HTTP/1.1" % path, "Host: localhost", "Connection: close"]
        lines += ["%s: %s" % item for item in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = await asyncio.wait_for(reader.read(), 60)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if b"chunked" in head.lower():
        raise AssertionError("unexpected chunked body")
    return int(head.split()[1]), body


def test_concurrent_requests_never_see_each_others_state(sqlite_env):
    with gunicorn("testproject.prefixed:application", env=sqlite_env, settings={"timeout": 120}) as server:
        addr = address(server)
        cookies = {"": ""}
        for user in USERS[1:]:
            status, headers, _ = send(addr, "/faults/login/?user=" + user, method="POST")
            assert status == 200
            cookies[user] = headers["set-cookie"].split(";")[0]
        cases = []
        # Every tenth request is logged in (a user costs a database read per
        # request; the anonymous ones around it would show a leaked user).
        combos = itertools.product(LANGS, TIMEZONES, PREFIXES, [False, True])
        for i, (lang, tz, prefix, alt) in zip(range(CONCURRENT), itertools.cycle(combos)):
            user = USERS[1 + (i // 10) % (len(USERS) - 1)] if i % 10 == 0 else ""
            path = "%s/faults/isolation/?i=%d&lang=%s&tz=%s%s" % (prefix, i, lang, tz, "&alt=1" if alt else "")
            headers = {"X-Script-Name": prefix} if prefix else {}
            if cookies[user]:
                headers["Cookie"] = cookies[user]
            cases.append((path, headers, (lang, tz, user, prefix, alt)))

        async def run_all():
            return await asyncio.gather(
                *[_get(addr[0], addr[1], path, headers) for path, headers, _ in cases], return_exceptions=True
            )

        loop = asyncio.new_event_loop()
        try:
            results = loop.run_until_complete(run_all())
        finally:
            loop.close()
        errors = [r for r in results if isinstance(r, BaseException)]
        assert errors == [], errors[:5]
        wrong = []
        for (path, _headers, (lang, tz, user, prefix, alt)), (status, body) in zip(cases, results):
            if status != 200:
                wrong.append((path, status, body[:200]))
                continue
            got = json.loads(body.decode())
            urlconf = "testproject.alt_urls" if alt else "testproject.urls"
            for seen in got["seen"]:
                if seen != [lang, tz, urlconf, prefix + "/", user]:
                    wrong.append((path, user, seen))
        assert wrong == [], "%d of %d requests saw state not their own: %r" % (len(wrong), CONCURRENT, wrong[:5])
