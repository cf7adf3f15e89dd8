"""ASGI WebSockets on aiohttp's WebSocket implementation (``web.WebSocketResponse``).

An HTTP request that asks to upgrade to a WebSocket becomes an ASGI
``websocket`` scope for ASGI apps. aiohttp does the handshake, the framing,
ping/pong and the close handshake; this module maps its messages to ASGI's
and adds what a server must do that aiohttp does not: refusing bad
handshakes with a reason, and unmasked client frames (RFC 6455 5.1).

The app's ``receive()`` calls aiohttp's ``receive()`` itself, as an aiohttp
handler does: no task per socket (with Channels, an idle socket is then one
task, the consumer's, waiting on aiohttp's queue). aiohttp answers a
client's ping and reads a close frame when the app next reads; while the app
does not read, aiohttp's queue fills and it stops reading the socket.

aiohttp before 3.14 counts a pong only when someone reads, so with pings on
(``GAIOHTTP_WS_PING_INTERVAL``) a socket whose app is busy longer than the
ping timeout would be dropped. There each socket has a reader task that keeps
reading, and hands data messages to the app's ``receive()`` through a small
queue: when the app does not read, the queue fills, the reader stops, and
aiohttp stops reading the socket. The queue is a list and a future or two
(an asyncio.Queue keeps four deques, about 3 KB, for each idle socket).
"""

import asyncio
import base64
import binascii
import logging
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from aiohttp import WSMsgType, web

from .respond import make_response

logger = logging.getLogger("gunicorn.error")

#: Messages read ahead of the app per socket.
QUEUE_SIZE = 16
#: aiohttp >= 3.14 restarts its ping timer whenever data arrives (a pong
#: too), not only when someone reads: no reader task is needed for pings.
HEARTBEAT_ON_DATA = hasattr(web.WebSocketResponse, "_on_data_received")
#: Seconds an app may run on after websocket.disconnect before it is cancelled.
DISCONNECT_GRACE = 5.0
#: Close codes (RFC 6455 7.4.1).
NORMAL, GOING_AWAY, PROTOCOL_ERROR, ABNORMAL, MESSAGE_TOO_BIG = 1000, 1001, 1002, 1006, 1009
INTERNAL_ERROR, SERVICE_RESTART = 1011, 1012


class ClientDisconnected(OSError):
    """Sent to a WebSocket that is closed (the ASGI spec's IOError subclass)."""


def wants_websocket(request: Any) -> bool:
    """The request asks to upgrade to a WebSocket (RFC 6455 4.1)."""
    headers = request.headers
    if headers.get("Upgrade", "").strip().lower() != "websocket":
        return False
    tokens = [token.strip().lower() for token in headers.get("Connection", "").split(",")]
    return "upgrade" in tokens


def handshake_error(request: Any) -> Optional[str]:
    """Why the upgrade request is no valid WebSocket handshake, or None."""
    if request.method != "GET":
        return "WebSocket handshake with method %s (only GET)" % request.method
    if request.version < (1, 1):
        return "WebSocket handshake over HTTP/%d.%d (needs 1.1)" % tuple(request.version)
    version = request.headers.get("Sec-WebSocket-Version", "")
    if version.strip() != "13":
        return "Unsupported Sec-WebSocket-Version %r (13 is)" % version[:20]
    key = request.headers.get("Sec-WebSocket-Key", "")
    try:
        valid = len(base64.b64decode(key.strip(), validate=True)) == 16
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        return "Invalid Sec-WebSocket-Key %r (16 bytes in base64)" % key[:40]
    return None


class FrameCheck:
    """Reads the header of each frame a client sends (2 to 14 bytes; the
    payload is aiohttp's) and stops at the first frame that breaks a rule:
    unmasked (RFC 6455 5.1: the server closes with 1002; aiohttp's reader
    takes them), or a data frame that makes its message larger than
    ``max_size`` (1009), refused from its header, before aiohttp buffers it
    (aiohttp < 3.9 reads a whole frame before checking). Fed by the
    connection's protocol (protocol.py) from the end of the upgrade request on."""

    __slots__ = ("max_size", "_skip", "_head", "_message", "violation", "on_violation")

    def __init__(self, max_size: int = 0) -> None:
        self.max_size = max_size
        self._skip = 0  # payload bytes of the current frame still to come
        self._head = b""  # an unfinished frame header
        self._message = 0  # bytes of the data message so far
        #: (close code, reason) once a frame broke a rule; nothing more goes on to aiohttp.
        self.violation: Optional[Tuple[int, str]] = None
        self.on_violation: Optional[Callable[[int, str], None]] = None

    def feed(self, data: bytes) -> bytes:
        """The part of ``data`` that may go on to aiohttp."""
        if self.violation is not None:
            return b""
        pos, size = 0, len(data)
        while pos < size:
            if self._skip:
                take = min(self._skip, size - pos)
                pos += take
                self._skip -= take
                continue
            have = len(self._head)
            head = self._head + data[pos : pos + 14 - have]
            if len(head) < 2:
                self._head = head
                return data
            first, second = head[0], head[1]
            length = second & 0x7F
            extra = 2 if length == 126 else 8 if length == 127 else 0
            need = 2 + extra + (4 if second & 0x80 else 0)
            if len(head) < need:
                self._head = head
                return data
            if extra:
                length = int.from_bytes(head[2 : 2 + extra], "big")
            if not second & 0x80:
                return self._violated(data[:pos], PROTOCOL_ERROR, "unmasked frame from the client")
            if first & 0x0F < 0x8:  # a data frame (continuation, text, binary)
                self._message += length
                if self.max_size and self._message > self.max_size:
                    return self._violated(
                        data[:pos],
                        MESSAGE_TOO_BIG,
                        "message larger than %d bytes (GAIOHTTP_WS_MAX_SIZE)" % self.max_size,
                    )
                if first & 0x80:  # FIN: the message is whole
                    self._message = 0
            pos += need - have
            self._head = b""
            self._skip = length
        return data

    def _violated(self, passed: bytes, code: int, reason: str) -> bytes:
        self.violation = (code, reason)
        self._head = b""
        if self.on_violation is not None:
            self.on_violation(code, reason)
        return passed


class WebSocketSession:
    """One ASGI ``websocket`` connection: the app's receive() and send()."""

    __slots__ = (
        "request",
        "exchange",
        "options",
        "sockets",
        "app",
        "ws",
        "response",
        "inbox",
        "connected",
        "closed",
        "disconnect",
        "server_code",
        "server_reason",
        "_getters",
        "_room",
        "_reader",
        "_grace",
        "_http_more",
        "_waiting_gone",
        "_frames",
        "_pulling",
    )

    def __init__(self, request: Any, exchange: Any, options: Any, sockets: "WebSockets", app: Any) -> None:
        self.request = request
        self.exchange = exchange
        self.options = options
        self.sockets = sockets
        self.app = app
        self.ws: Optional[web.WebSocketResponse] = None
        self.response: Optional[web.StreamResponse] = None  # a denial or websocket.http.response
        #: Data messages the reader task read ahead of the app (up to
        #: QUEUE_SIZE), oldest first; websocket.disconnect comes after them.
        self.inbox: List[Dict[str, Any]] = []
        self._getters: Optional[List[asyncio.Future[None]]] = None  # calls of receive() waiting, oldest first
        self._room: Optional[asyncio.Future[None]] = None  # the reader waiting for the app to take one
        self.connected = False  # websocket.connect handed to the app
        self.closed = False  # no more messages to the client
        self.disconnect: Optional[Dict[str, Any]] = None  # the websocket.disconnect message, once known
        self.server_code: Optional[int] = None  # the code the server closed with
        self.server_reason = ""
        self._reader: Optional[asyncio.Task[None]] = None  # aiohttp < 3.14 with pings only
        self._pulling = False  # an app's receive() is in aiohttp's receive()
        self._grace: Optional[asyncio.Handle] = None
        self._http_more = False  # a websocket.http.response body is under way
        self._waiting_gone: Optional[asyncio.Future[None]] = None
        self._frames: Optional[FrameCheck] = getattr(request.protocol, "ws_frames", None)

    # -- the app's side --------------------------------------------------
    async def receive(self) -> Dict[str, Any]:
        if not self.connected:
            self.connected = True
            return {"type": "websocket.connect"}
        if self.disconnect is not None and not self.inbox:
            return self.disconnect
        if self.ws is None and self.response is None and self.disconnect is None:
            # Before accept the client has nothing to say but going away.
            self._waiting_gone = asyncio.get_event_loop().create_future()
            await self._waiting_gone
            assert self.disconnect is not None
            return self.disconnect
        if self.ws is None:
            assert self.disconnect is not None or self.response is not None
            return self.disconnect or {"type": "websocket.disconnect", "code": ABNORMAL, "reason": ""}
        inbox = self.inbox
        while not inbox:
            if self.disconnect is not None:
                return self.disconnect  # to every caller, once the messages before it are taken
            if self._reader is None and not self._pulling:
                return await self._pull()
            getter: asyncio.Future[None] = asyncio.get_event_loop().create_future()
            getters = self._getters
            if getters is None:
                getters = self._getters = []
            getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()
                try:
                    getters.remove(getter)
                except ValueError:
                    pass
                if not getter.cancelled() and (inbox or self._reader is None):
                    self._wake_getter()  # the message (or turn to read) it was woken for goes to the next one
                raise
        message = inbox.pop(0)
        room = self._room
        if room is not None and not room.done():
            room.set_result(None)
        return message

    def _wake_getter(self) -> None:
        getters = self._getters
        while getters:
            getter = getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                return

    def _deliver(self, message: Dict[str, Any]) -> None:
        self.inbox.append(message)
        if self._getters:
            self._wake_getter()

    async def send(self, message: Dict[str, Any]) -> None:
        kind = message["type"]
        if self.ws is None and self.response is None:
            if kind == "websocket.accept":
                await self._accept(message)
            elif kind == "websocket.close":
                # Denied before the handshake: 403 (the ASGI spec).
                self.response = self._http(403, [(b"content-length", b"0")])
                await self._start(self.response, body=b"")
                await self.response.write_eof()
                self.closed = True
            elif kind == "websocket.http.response.start":
                self.response = self._http(int(message["status"]), message.get("headers", ()))
                self._http_more = True
            else:
                raise RuntimeError(
                    "ASGI app %r sent %r before websocket.accept, websocket.close or "
                    "websocket.http.response.start." % (self.app, kind)
                )
            return
        if self.response is not None:
            if kind != "websocket.http.response.body" or not self._http_more:
                raise RuntimeError(
                    "ASGI app %r sent %r after %s." % (self.app, kind, "its response" if self._http_more else "denying")
                )
            body = message.get("body", b"")
            more = message.get("more_body", False)
            response = self.response
            if not response.prepared:
                await self._start(response, body=body if not more else None)
            if body:
                self.exchange.sent += len(body)
            if more:
                if body:
                    await response.write(body)
            else:
                self._http_more = False
                self.closed = True
                await response.write_eof(body)
            return
        ws = self.ws
        assert ws is not None
        if kind == "websocket.accept":
            raise RuntimeError("ASGI app %r sent websocket.accept twice." % (self.app,))
        if kind == "websocket.close":
            # Once closed (by either side), closing again changes nothing.
            await self.close(int(message.get("code") or NORMAL), message.get("reason") or "")
            return
        if self.closed or ws.closed:
            raise ClientDisconnected("The WebSocket is closed (sent %r)." % kind)
        if kind == "websocket.send":
            text = message.get("text")
            try:
                if text is not None:
                    await ws.send_str(text)
                    self.exchange.sent += len(text)
                else:
                    data = message.get("bytes")
                    if data is None:
                        raise RuntimeError("ASGI app %r sent websocket.send with neither text nor bytes." % (self.app,))
                    await ws.send_bytes(data)
                    self.exchange.sent += len(data)
            except ConnectionError as exc:
                raise ClientDisconnected(str(exc)) from None
        else:
            raise RuntimeError("ASGI app %r sent %r on an open WebSocket." % (self.app, kind))

    # -- the handshake ---------------------------------------------------
    def _http(self, status: int, headers: Any) -> web.StreamResponse:
        self.exchange.close = True  # the connection was to be upgraded: it cannot serve another request
        return make_response(status, headers, self.app)

    async def _start(self, response: web.StreamResponse, body: Optional[bytes]) -> None:
        headers = [(k, v) for k, v in response.headers.items()]
        await self.exchange.prepare(response, response.status, headers, body_follows=body is not None)

    async def _accept(self, message: Dict[str, Any]) -> None:
        options = self.options
        subprotocol = message.get("subprotocol")
        ws = web.WebSocketResponse(
            protocols=(subprotocol,) if subprotocol else (),
            compress=options.ws_deflate,
            # aiohttp refuses a message of max_msg_size bytes; the limit is
            # the largest one allowed (FrameCheck refuses larger ones first).
            max_msg_size=options.ws_max_size + 1 if options.ws_max_size else 0,
            heartbeat=options.ws_ping_interval or None,
        )
        if options.ws_ping_interval and options.ws_ping_timeout and hasattr(ws, "_pong_heartbeat"):
            ws._pong_heartbeat = options.ws_ping_timeout  # aiohttp's is half the interval
        for name, value in message.get("headers", ()):
            name = name.decode("latin-1") if isinstance(name, bytes) else name
            value = value.decode("latin-1") if isinstance(value, bytes) else value
            if name.lower() in ("sec-websocket-protocol", "sec-websocket-accept", "upgrade", "connection"):
                continue  # the handshake's own
            ws.headers.add(name, value)
        exchange = self.exchange
        exchange.prepared = True
        exchange.response = ws
        exchange.status = 101
        await ws.prepare(self.request)
        self.ws = ws  # its headers go to the exchange (the access log) when the socket ends: run()
        # The connection serves no more HTTP requests (protocol.py).
        became_websocket = getattr(self.request.protocol, "became_websocket", None)
        if became_websocket is not None:
            became_websocket()
        if options.ws_ping_interval and not HEARTBEAT_ON_DATA:
            self._reader = asyncio.ensure_future(self._read())
        frames = self._frames
        if frames is not None:
            frames.on_violation = self._violation
            if frames.violation is not None:
                self._violation(*frames.violation)
        code = self.sockets.closing_code
        if code is not None:  # accepted while the worker drains
            await self.close(code, "Server shutting down")

    # -- the client's side -------------------------------------------------
    async def _next(self) -> Optional[Dict[str, Any]]:
        """aiohttp's next data message as ASGI's; None once the socket ended
        (``disconnect`` is then set)."""
        ws = self.ws
        assert ws is not None
        try:
            msg = await ws.receive()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # aiohttp's "connection is closed" after repeated reads
            logger.debug("WebSocket receive failed: %r", exc)
            msg = None
        if msg is not None and msg.type == WSMsgType.TEXT:
            return {"type": "websocket.receive", "text": msg.data}
        if msg is not None and msg.type == WSMsgType.BINARY:
            return {"type": "websocket.receive", "bytes": msg.data}
        self._ended(msg)
        return None

    async def _pull(self) -> Dict[str, Any]:
        """The app's receive() reads from aiohttp itself (no reader task);
        aiohttp allows one reader at a time, so a second caller waits its turn."""
        self._pulling = True
        try:
            message = await self._next()
        finally:
            self._pulling = False
            if self._getters:
                self._wake_getter()
        if message is None:
            assert self.disconnect is not None
            return self.disconnect
        return message

    async def _read(self) -> None:
        """The reader task (aiohttp < 3.14 with pings on: see the module doc)."""
        while True:
            message = await self._next()
            if message is None:
                return
            while len(self.inbox) >= QUEUE_SIZE:  # the app reads no more: neither does the reader
                room = self._room = asyncio.get_event_loop().create_future()
                try:
                    await room
                finally:
                    self._room = None
            self._deliver(message)

    def _ended(self, msg: Any) -> None:
        ws = self.ws
        assert ws is not None
        self.closed = True
        reason = ""
        if self.server_code is not None:
            code, reason = self.server_code, self.server_reason
        elif msg is not None and msg.type == WSMsgType.CLOSE:
            code, reason = msg.data, msg.extra or ""
        else:
            code = int(ws.close_code or ABNORMAL)  # aiohttp's WSCloseCode, an IntEnum
            exc = msg.data if msg is not None and msg.type == WSMsgType.ERROR else ws.exception()
            if code == NORMAL and exc is not None:
                code = ABNORMAL
            if isinstance(exc, asyncio.TimeoutError):
                why = "no pong within %ss of a ping (GAIOHTTP_WS_PING_TIMEOUT)" % self.options.ws_ping_timeout
                logger.info("WebSocket from ip=%s closed with %s: %s", self.request.remote, code, why)
            elif isinstance(exc, ConnectionError):  # the connection dropped: the client's business
                logger.debug("WebSocket from ip=%s closed with %s: %r", self.request.remote, code, exc)
            elif exc is not None:  # the client broke the protocol (aiohttp's WebSocketError)
                logger.warning(
                    "WebSocket from ip=%s closed with %s: %s", self.request.remote, code, str(exc) or repr(exc)
                )
        self._set_disconnect(code, reason)

    def _set_disconnect(self, code: int, reason: str) -> None:
        if self.disconnect is None:
            self.disconnect = {"type": "websocket.disconnect", "code": int(code), "reason": reason}
        waiting = self._waiting_gone
        if waiting is not None and not waiting.done():
            waiting.set_result(None)
        getters = self._getters
        while getters:  # every call of the app's receive() waiting gets it
            getter = getters.pop(0)
            if not getter.done():
                getter.set_result(None)

    def client_gone(self, task: "asyncio.Task[Any]") -> None:
        """The connection dropped (server.py): websocket.disconnect for the
        app, which gets DISCONNECT_GRACE seconds to end before it is cancelled."""
        self.closed = True
        if self.disconnect is None and self.ws is None:
            self._set_disconnect(ABNORMAL, "")  # once accepted, aiohttp's queue tells the app
        if self._grace is None:
            self._grace = asyncio.get_event_loop().call_later(DISCONNECT_GRACE, task.cancel)

    def _violation(self, code: int, reason: str) -> None:
        logger.warning("WebSocket from ip=%s closed with %d: %s", self.request.remote, code, reason)
        self.sockets.keep(asyncio.ensure_future(self.close(code, reason[:120])))

    async def close(self, code: int, reason: str = "") -> None:
        """Send a close frame (once) and end the socket."""
        ws = self.ws
        if ws is None or self.server_code is not None or ws.closed:
            return
        self.server_code, self.server_reason = code, reason
        self.closed = True
        try:
            await ws.close(code=code, message=reason.encode("utf-8"))
        except (ConnectionError, RuntimeError) as exc:
            logger.debug("WebSocket close failed: %r", exc)

    # -- the whole exchange ------------------------------------------------
    async def run(self, scope: Dict[str, Any]) -> web.StreamResponse:
        self.sockets.sessions.add(self)
        try:
            try:
                await self.app(scope, self.receive, self.send)
            except ClientDisconnected:
                pass  # sent to a closed socket: the app is told, not a server error
            except Exception:
                if self.ws is None:
                    raise  # HTTPServer answers 500 and logs it
                logger.exception("Error in ASGI WebSocket app %r (closing with 1011)", self.app)
                await self.close(INTERNAL_ERROR, "Internal error")
            finally:
                self.sockets.sessions.discard(self)
                if self._grace is not None:
                    self._grace.cancel()
            if self.ws is not None:
                if self._reader is not None and not self._reader.done():
                    self._reader.cancel()  # nobody reads what it would queue
                await self.close(NORMAL)  # the app returned with the socket open
                return self.ws
            if self.response is not None:
                if self._http_more:
                    raise RuntimeError(
                        "ASGI app %r returned in the middle of its websocket.http.response." % (self.app,)
                    )
                return self.response
            if self.disconnect is not None:
                raise asyncio.CancelledError()  # the client went away before the handshake
            raise RuntimeError(
                "ASGI app %r returned without accepting or closing the WebSocket (send websocket.accept "
                "or websocket.close)." % (self.app,)
            )
        finally:
            if self.ws is not None:
                # Read once the socket ends rather than kept as a list for its whole life.
                self.exchange.headers = list(self.ws.headers.items())


class WebSockets:
    """The open WebSockets of a bridge, for a graceful shutdown."""

    def __init__(self) -> None:
        self.sessions: Set[WebSocketSession] = set()
        self.closing_code: Optional[int] = None
        self._tasks: Set[asyncio.Future[None]] = set()  # close frames being sent

    def keep(self, task: "asyncio.Future[None]") -> None:
        """Hold a task until it ends (the loop keeps only a weak reference)."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close_all(self, code: int) -> None:
        """Send every open WebSocket a close frame with ``code``; sockets
        accepted from now on are closed with it at once."""
        self.closing_code = code
        reason = "Server restarting" if code == SERVICE_RESTART else "Server shutting down"
        for session in list(self.sessions):
            if session.ws is not None:
                self.keep(asyncio.ensure_future(session.close(code, reason)))


def scope_subprotocols(request: Any) -> List[str]:
    value = request.headers.get("Sec-WebSocket-Protocol", "")
    return [p.strip() for p in value.split(",") if p.strip()]
