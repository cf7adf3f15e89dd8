"""Drive apps through the coroutine-WSGI convention (and ASGI), as a server does."""

import asyncio
import io
import sys
from urllib.parse import urlencode

from async_legacy.coroutine_wsgi import ENVIRON_KEY, VERSION, close_body


class Result:
    def __init__(self, status, headers, body):
        self.status = status
        self.status_code = int(status.split()[0])
        self.headers = headers
        self.body = body

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def __repr__(self):
        return "<Result %s %r>" % (self.status, self.body[:200])


def environ(path="/", method="GET", query=None, body=b"", content_type=None, headers=None, coroutine=True):
    env = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": urlencode(query or {}),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    if content_type:
        env["CONTENT_TYPE"] = content_type
    for name, value in (headers or {}).items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    if coroutine:
        env[ENVIRON_KEY] = VERSION
    return env


async def call(app, *args, **kwargs):
    env = environ(*args, **kwargs)
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, headers

    body = await app(env, start_response)
    try:
        chunks = []
        if hasattr(body, "__aiter__"):
            async for chunk in body:
                chunks.append(chunk)
        else:
            chunks.extend(body)
    finally:
        await close_body(body)
    return Result(started["status"], started["headers"], b"".join(chunks))


def call_sync(app, *args, **kwargs):
    """The same request through a sync WSGI app (Django's own handler)."""
    env = environ(*args, coroutine=False, **kwargs)
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, headers

    result = app(env, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return Result(started["status"], started["headers"], body)


def run(loop, coro):
    return loop.run_until_complete(coro)


def gather(loop, *coros):
    return loop.run_until_complete(asyncio.gather(*coros))


async def lanes_idle(app, tries=40):
    """Wait until every lane thread of ``app`` is back in the pool.

    A thread goes back after its last job, a moment after the response closed.
    """
    for _ in range(tries):
        if app.lanes.busy == 0:
            return
        await asyncio.sleep(0.05)


# ASGI 3, in process


def scope(path="/", method="GET", query=b"", headers=(), root_path=""):
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "query_string": query,
        "root_path": root_path,
        "headers": list(headers),
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


class Peer:
    """The server side of one ASGI exchange."""

    def __init__(self, chunks=(b"",), disconnect_after=None, disconnect_when=None):
        """The client disconnects ``disconnect_after`` seconds after the body,
        or once ``disconnect_when()`` holds (say, once the view started)."""
        self.incoming = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)
        ]
        self.disconnect_after = disconnect_after
        self.disconnect_when = disconnect_when
        self.sent = []

    async def receive(self):
        if self.incoming:
            return self.incoming.pop(0)
        if self.disconnect_when is not None:
            from testproject import gates

            await gates.until(self.disconnect_when, "the client's moment to leave")
            return {"type": "http.disconnect"}
        if self.disconnect_after is None:
            await asyncio.sleep(3600)
        await asyncio.sleep(self.disconnect_after)
        return {"type": "http.disconnect"}

    async def send(self, message):
        self.sent.append(message)

    @property
    def status(self):
        return self.sent[0]["status"]

    @property
    def body(self):
        return b"".join(m.get("body", b"") for m in self.sent[1:])

    def header(self, name):
        for key, value in self.sent[0].get("headers", ()):
            if key.decode("latin-1").lower() == name.lower():
                return value.decode("latin-1")
        return None


async def call_asgi(app, path="/", query=None, method="GET", headers=(), peer=None):
    """One request through an ASGI app; the Peer holds what it sent."""
    peer = peer or Peer()
    await app(
        scope(path, method=method, query=urlencode(query or {}).encode(), headers=headers), peer.receive, peer.send
    )
    return peer
