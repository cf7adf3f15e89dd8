"""Bridges for ASGI 3 applications (Django's ASGIHandler among them) and ASGI 2 ones."""

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, Optional, Sequence, Tuple

from .environ import BodyTooLarge, check_script_name, connection_facts, scheme_from_headers, split_target
from .respond import make_response, plain
from .websocket import WebSockets, WebSocketSession, handshake_error, scope_subprotocols, wants_websocket

if TYPE_CHECKING:
    from aiohttp import web

    from async_legacy._typing import ASGIApp, Message, Receive, Scope, Send

    from .options import Options
    from .respond import Exchange

logger = logging.getLogger("gunicorn.error")

#: How long an app may keep running after http.disconnect before it is cancelled.
DISCONNECT_GRACE = 1.0
READ_CHUNK = 64 * 1024


def _scope(
    request: "web.BaseRequest",
    options: "Options",
    state: Optional[Dict[str, Any]] = None,
    websocket: bool = False,
) -> Dict[str, Any]:
    # The connection's addresses and scheme rules, computed once per connection (environ.py).
    base, scheme_headers = connection_facts(request, options)
    scheme = base["wsgi.url_scheme"]
    if scheme_headers is not None:
        scheme = scheme_from_headers(request, scheme_headers) or scheme
    raw_path, query = split_target(request.raw_path)
    root_path = options.script_name
    if root_path:
        check_script_name(raw_path, root_path)
    scope: Dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "%d.%d" % request.version,
        "method": request.method,
        "scheme": scheme,
        # The whole path, root_path included (as Django's ASGIRequest and
        # uvicorn have it; the app strips root_path to route).
        "path": request.path,
        "raw_path": raw_path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": root_path,
        # Names with "_" dropped, as gunicorn does: x_forwarded_for would
        # become Django's HTTP_X_FORWARDED_FOR, spoofing X-Forwarded-For.
        "headers": [(name.lower(), value.strip(b" \t")) for name, value in request.raw_headers if b"_" not in name],
        "client": (base["REMOTE_ADDR"], int(base["REMOTE_PORT"])) if base["REMOTE_PORT"] else None,
        "server": (base["SERVER_NAME"], int(base["SERVER_PORT"])) if base["SERVER_PORT"] else None,
    }
    if state is not None:
        scope["state"] = state.copy()  # a shallow copy per scope, as uvicorn gives
    if websocket:
        scope["type"] = "websocket"
        scope["asgi"] = {"version": "3.0", "spec_version": "2.4"}
        scope["scheme"] = "wss" if scheme == "https" else "ws"
        del scope["method"]
        scope["subprotocols"] = scope_subprotocols(request)
        scope["extensions"] = {"websocket.http.response": {}}
    return scope


class _Exchange:
    def __init__(
        self, request: "web.BaseRequest", options: "Options", exchange: "Exchange", app: Optional["ASGIApp"] = None
    ) -> None:
        self.app = app
        self.request = request
        self.options = options
        self.exchange = exchange
        self.received = 0
        self.body_done = False
        self.disconnected: asyncio.Future[None] = asyncio.get_event_loop().create_future()
        self.response: Optional[web.StreamResponse] = None
        self.status: Optional[int] = None
        self.headers: Sequence[Tuple[str, str]] = ()
        self.finished = False
        self.left = False  # the client went away
        self._grace: Optional[asyncio.TimerHandle] = None

    def client_gone(self, task: "asyncio.Task[Any]") -> None:
        """The client went away: http.disconnect for the app, which gets
        DISCONNECT_GRACE seconds to end before its task is cancelled."""
        self.left = True
        if not self.disconnected.done():
            self.disconnected.set_result(None)
        if self._grace is None:
            self._grace = asyncio.get_event_loop().call_later(DISCONNECT_GRACE, task.cancel)

    def ended(self) -> None:
        if self._grace is not None:
            self._grace.cancel()
        if not self.disconnected.done():
            self.disconnected.set_result(None)  # a task of the app still listening ends

    async def receive(self) -> "Message":
        if not self.body_done:
            chunk = await self.request.content.read(READ_CHUNK)
            self.received += len(chunk)
            limit = self.options.max_body
            if limit and self.received > limit:
                raise BodyTooLarge()
            self.body_done = self.request.content.at_eof()
            return {"type": "http.request", "body": chunk, "more_body": not self.body_done}
        await asyncio.shield(self.disconnected)
        return {"type": "http.disconnect"}

    async def send(self, message: "Message") -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self.response is not None:
                raise RuntimeError("ASGI app sent http.response.start twice.")
            self.status = int(message["status"])
            self.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", ())]
            self.response = make_response(self.status, self.headers, self.app)
        elif kind == "http.response.body":
            if self.response is None:
                raise RuntimeError("ASGI app sent a body before http.response.start.")
            if self.finished:
                return
            response = self.response
            body = message.get("body", b"") if self.request.method != "HEAD" else b""
            more = message.get("more_body", False)
            if not response.prepared:
                # The head goes out with this message's bytes (one send).
                await self.exchange.prepare(response, self.status, self.headers, body_follows=bool(body) or not more)
            if body:
                self.exchange.sent += len(body)
            if not more:
                self.finished = True
                await response.write_eof(body)
            elif body:
                await response.write(body)


class ASGIBridge:
    kind = "ASGI"

    def __init__(self, app: "ASGIApp", options: "Options") -> None:
        self.app = app
        self.options = options
        #: The lifespan's state (filled by the app at startup); every scope gets a shallow copy.
        self.state: Dict[str, Any] = {}
        #: The open WebSockets (closed with 1001/1012 when the worker stops).
        self.websockets = WebSockets()

    def close_websockets(self, code: int) -> None:
        self.websockets.close_all(code)

    async def websocket(self, request: "web.BaseRequest", exchange: "Exchange") -> "web.StreamResponse":
        error = handshake_error(request)
        if error is not None:
            logger.warning("Invalid WebSocket handshake from ip=%s: %s", request.remote, error)
            refusal = plain(400, error + "\n")
            refusal.headers["Sec-WebSocket-Version"] = "13"
            return refusal
        session = WebSocketSession(request, exchange, self.options, self.websockets, self.app)
        exchange.gone = session.client_gone
        try:
            response: web.StreamResponse = await session.run(_scope(request, self.options, self.state, websocket=True))
            return response
        finally:
            exchange.gone = None

    async def __call__(self, request: "web.BaseRequest", exchange: "Exchange") -> "web.StreamResponse":
        if wants_websocket(request):
            return await self.websocket(request, exchange)
        limit = self.options.max_body
        if limit and (request.content_length or 0) > limit:
            return plain(413, "Request body larger than %s bytes.\n" % limit)
        state = _Exchange(request, self.options, exchange, self.app)
        # The app runs in the request's own task (no task of its own per
        # request: fewer objects alive per request in flight, fewer loop
        # turns). A client that goes away is told through receive(); the
        # task is cancelled only if the app lingers after that.
        exchange.gone = state.client_gone
        try:
            await self.app(_scope(request, self.options, self.state), state.receive, state.send)
        except BodyTooLarge:
            if state.response is None:
                return plain(413, "Request body larger than %s bytes.\n" % limit)
            raise
        finally:
            exchange.gone = None
            state.ended()
        if state.left:
            raise asyncio.CancelledError()  # nobody to answer
        if state.response is None:
            raise RuntimeError("ASGI app %r returned without sending a response." % (self.app,))
        if not state.finished:
            if not state.response.prepared:
                await exchange.prepare(state.response, state.status, state.headers)
            await state.response.write_eof()
        return state.response


class ASGI2App:
    """An ASGI 2 app called as ASGI 3, as uvicorn's ASGI2Middleware does:
    ``instance = app(scope)``, then ``await instance(receive, send)``."""

    def __init__(self, app: Callable[["Scope"], Callable[["Receive", "Send"], Awaitable[None]]]) -> None:
        self.app = app

    async def __call__(self, scope: "Scope", receive: "Receive", send: "Send") -> None:
        scope["asgi"] = dict(scope["asgi"], version="2.0")  # the interface the app speaks, as uvicorn says
        instance = self.app(scope)
        await instance(receive, send)

    def __repr__(self) -> str:
        return "<ASGI 2 app %r>" % (self.app,)


class ASGI2Bridge(ASGIBridge):
    """ASGIBridge for an ASGI 2 app; it runs the app's lifespan itself (the
    worker starts ASGI 3 lifespans with the app as it loaded it)."""

    kind = "ASGI 2"

    def __init__(
        self, app: Callable[["Scope"], Callable[["Receive", "Send"], Awaitable[None]]], options: "Options"
    ) -> None:
        super().__init__(ASGI2App(app), options)
        self.lifespan = Lifespan(self.app, logger, getattr(options, "lifespan", "auto"), self.state)

    async def startup(self) -> None:
        await self.lifespan.startup()

    async def shutdown(self) -> None:
        await self.lifespan.shutdown()


class LifespanFailed(Exception):
    """The app's lifespan startup failed: the worker does not serve (it exits
    with gunicorn's boot-error code, and the arbiter stops)."""


class Lifespan:
    """ASGI lifespan startup/shutdown, for apps that support it.

    ``mode`` (``GAIOHTTP_LIFESPAN``): "auto" runs it if the app supports it
    (an app that raises before taking lifespan.startup does not); "on"
    requires it (any exception before startup completes is a failure); "off"
    never runs it. ``state`` is the lifespan scope's state, which the app
    fills at startup and every request's scope gets a copy of."""

    def __init__(self, app: "ASGIApp", log: Any, mode: str = "auto", state: Optional[Dict[str, Any]] = None) -> None:
        self.app = app
        self.log = log
        self.mode = mode
        self.state = {} if state is None else state
        self.supported = mode != "off"
        # Both made by startup(), before anything uses them.
        self._shutdown: Any = None  # asyncio.Future[None]
        self._events: Any = None  # asyncio.Queue[Optional[Message]]
        self._task: Optional[asyncio.Future[None]] = None
        self._error: Optional[BaseException] = None

    async def startup(self) -> None:
        if not self.supported:
            return
        loop = asyncio.get_event_loop()
        self._shutdown = loop.create_future()
        self._events = asyncio.Queue()
        self._startup_sent = False
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
        self._task = asyncio.ensure_future(self._main(scope))
        message = await self._events.get()
        if message is None:
            if self.mode == "on":
                raise LifespanFailed(
                    "the app %r ended its lifespan before lifespan.startup.complete (%r); GAIOHTTP_LIFESPAN=on "
                    "requires it" % (self.app, self._error)
                )
            return
        if message["type"] == "lifespan.startup.failed":
            raise LifespanFailed("the app %r sent lifespan.startup.failed: %s" % (self.app, message.get("message", "")))

    async def _main(self, scope: "Scope") -> None:
        try:
            await self.app(scope, self._receive, self._send)
        except BaseException as exc:  # noqa: B902 - reported below (fatal only with GAIOHTTP_LIFESPAN=on)
            self._error = exc
            if not self._startup_sent:
                self.supported = False
                log = self.log.error if self.mode == "on" else self.log.debug
                log("ASGI lifespan not supported by the app: %r", exc)
            else:
                self.log.error("ASGI lifespan failed: %r", exc, exc_info=exc)
        finally:
            self._events.put_nowait(None)

    async def _receive(self) -> "Message":
        if not self._startup_sent:
            self._startup_sent = True
            return {"type": "lifespan.startup"}
        await self._shutdown
        return {"type": "lifespan.shutdown"}

    async def _send(self, message: "Message") -> None:
        await self._events.put(message)

    async def shutdown(self) -> None:
        if not self.supported or self._task is None or self._task.done():
            return
        self._shutdown.set_result(None)
        message = await self._events.get()
        if message is not None and message["type"] == "lifespan.shutdown.failed":
            self.log.error("ASGI lifespan shutdown failed: %s", message.get("message", ""))
