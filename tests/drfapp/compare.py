"""Send one request to the sync build and the async build of the API, compare."""

import json
import re
import warnings

from django.db import transaction

from async_legacy.lane import run_sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from async_legacy.test import TestCase  # noqa: F401 - Django's on 3.1+

HEADERS = ("Content-Type", "Allow", "Vary", "WWW-Authenticate", "Retry-After", "X-Echo", "Location")


def answer(response):
    """What a client sees, with the build's URL prefix made neutral."""
    body = response.content.decode("utf-8").replace("/api/async/", "/api/<kind>/").replace("/api/sync/", "/api/<kind>/")
    # Each page of the browsable API carries a fresh CSRF token.
    body = re.sub(r'(csrfToken"?: "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1<token>", body)
    try:
        body = json.loads(body)
    except ValueError:
        pass
    headers = {name: response[name] for name in HEADERS if response.has_header(name)}
    return response.status_code, body, headers


async def both(client, method, path, keep=False, **kwargs):
    """``(sync answer, async answer)`` of the same request from the same database state.

    The sync request's writes are rolled back before the async one runs,
    unless ``keep`` (then the async one sees them too).
    """
    send = getattr(client, method.lower())
    files = (
        [v for v in (kwargs.get("data") or {}).values() if hasattr(v, "seek")]
        if isinstance(kwargs.get("data"), dict)
        else []
    )
    saved = None if keep else await run_sync(transaction.savepoint)
    sync = answer(await send("/api/sync" + path, **kwargs))
    if saved is not None:
        await run_sync(transaction.savepoint_rollback, saved)
    for f in files:
        f.seek(0)  # the same upload again
    async_ = answer(await send("/api/async" + path, **kwargs))
    return sync, async_


async def same(client, method, path, **kwargs):
    """Assert both builds answer alike; return the answer."""
    sync, async_ = await both(client, method, path, **kwargs)
    if async_ != sync:
        a, b = repr(sync), repr(async_)
        at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        raise AssertionError(
            "%s %s differs at %d:\n sync:  ...%s\n async: ...%s"
            % (method, path, at, a[max(0, at - 300) : at + 300], b[max(0, at - 300) : at + 300])
        )
    return async_
