"""The legacy pipeline behind an ASGI 3 face (Django 1.11-3.0).

So a project with coroutine views on an old Django can run under uvicorn,
daphne, hypercorn or gunicorn's ``asgi`` worker as well as under gaiohttp.
This is a translator only: ASGI scope/messages <-> the coroutine-WSGI
convention of :class:`~async_legacy.handler.AsyncDjangoApplication`.
"""

import asyncio
import sys
import tempfile
from typing import TYPE_CHECKING, Any, List, Optional

from ._typing import Environ, Receive, Scope, Send
from .coroutine_wsgi import ENVIRON_KEY, VERSION, close_body, whole_body

if TYPE_CHECKING:
    from .handler import AsyncDjangoApplication

#: Request bodies larger than this are spooled to a temporary file.
SPOOL_AT = 1024 * 1024
#: Seconds background tasks (async_legacy.tasks) get at lifespan shutdown.
TASKS_SHUTDOWN_TIMEOUT = 10.0


class LegacyASGIHandler:
    """An ASGI 3 application serving an AsyncDjangoApplication."""

    def __init__(self, app: "Optional[AsyncDjangoApplication]" = None) -> None:
        if app is None:
            from .handler import AsyncDjangoApplication

            app = AsyncDjangoApplication()
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await _lifespan(receive, send)
            return
        if kind != "http":
            raise ValueError(
                "LegacyASGIHandler serves 'http' and 'lifespan' scopes, not %r: Django < 3.1 "
                "has no websocket support; route websockets to Channels." % kind
            )
        body = await _read_body(receive)
        if body is None:  # the client went away before the body was complete
            return
        environ = environ_from_scope(scope, body)
        respond = asyncio.ensure_future(self._respond(environ, send))
        disconnect = asyncio.ensure_future(_wait_for_disconnect(receive))
        try:
            await asyncio.wait({respond, disconnect}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not respond.done():
                # Client gone (or we were cancelled): cancel the view; the
                # pipeline still closes the response and sends request_finished.
                respond.cancel()
            disconnect.cancel()
            await asyncio.wait({respond, disconnect})
        if not respond.cancelled():
            respond.result()

    async def _respond(self, environ: Environ, send: Send) -> None:
        started: List[Any] = []

        def start_response(status: str, headers: List[Any], exc_info: Any = None) -> None:
            started[:] = [status, headers]

        body = await self.app(environ, start_response)
        try:
            status, headers = started
            await send(
                {
                    "type": "http.response.start",
                    "status": int(status.split(" ", 1)[0]),
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
                }
            )
            whole = whole_body(body)
            if whole is not None:  # all in memory: one message, no iterating
                await send({"type": "http.response.body", "body": whole})
                return
            if hasattr(body, "__aiter__"):
                async for chunk in body:
                    if chunk:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
            else:
                for chunk in body:
                    if chunk:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await close_body(body)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            from .tasks import drain

            await drain(TASKS_SHUTDOWN_TIMEOUT)
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _read_body(receive: Receive) -> Any:
    """The whole request body in a file the WSGIRequest can read without blocking."""
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_AT)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            body.close()
            return None
        body.write(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body.seek(0)
    return body


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


def environ_from_scope(scope: Scope, body: Any) -> Environ:
    """A PEP 3333 environ for an ASGI http scope (strings are latin-1 of the bytes)."""
    root = scope.get("root_path", "") or ""
    path = scope["path"]
    if root and path.startswith(root):
        path = path[len(root) :]
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    body.seek(0, 2)
    length = body.tell()
    body.seek(0)
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": "HTTP/%s" % scope.get("http_version", "1.1"),
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "CONTENT_LENGTH": str(length),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        ENVIRON_KEY: VERSION,
    }
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_LENGTH":
            continue  # the body is complete: its real length was set above
        if name != "CONTENT_TYPE":
            name = "HTTP_" + name
        if name in environ and name != "CONTENT_TYPE":
            environ[name] += ("; " if name == "HTTP_COOKIE" else ",") + value
        else:
            environ[name] = value
    return environ
