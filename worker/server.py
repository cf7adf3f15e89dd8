"""aiohttp's HTTP server (llhttp parser, keepalive, pipelining) with gunicorn's
rules: a connection cap, request counting for max_requests, hooks, access log."""

import asyncio
import errno
import functools
import logging
import socket
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, Iterable, List, Optional, Set, Tuple, cast

from aiohttp import web, web_server

from .pacing import Pacer
from .protocol import GuardedRequestHandler, Limits, RequestRejected
from .respond import Exchange, plain

if TYPE_CHECKING:
    from typing import Protocol  # Python 3.8+: for type checkers only

    from .aiohttp_app import AiohttpAppBridge
    from .apps import Bridge
    from .options import Options

    class Worker(Protocol):
        """What the server asks of its worker (gunicorn's, or the dev server's stand-in)."""

        log: Any  # gunicorn's Logger
        cfg: Any  # gunicorn's Config

        def max_requests_reached(self) -> None: ...


#: The task serving a connection's current request, and its Exchange.
_InFlight = Tuple["asyncio.Task[Any]", Exchange]


class _Server(web_server.Server):
    """Frees a connection slot when aiohttp drops a connection, and cancels
    the request task still running on it (the client went away), or tells
    its bridge (``Exchange.gone``). Done here rather than with aiohttp's
    handler_cancellation, which 3.8 lacks."""

    def __init__(
        self,
        handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]],
        slots: asyncio.Semaphore,
        limits: Limits,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, **kwargs)
        self._slots = slots
        self._limits = limits
        self.loop = asyncio.get_event_loop()
        self.in_flight: Dict[Any, _InFlight] = {}  # protocol -> (task, Exchange) of its current request
        self.idle_since: Dict[Any, float] = {}  # protocol -> loop time its last request ended

    def __call__(self) -> GuardedRequestHandler:
        # gunicorn's request rules on the raw bytes (protocol.py).
        return GuardedRequestHandler(self, loop=self._loop, limits=self._limits, **self._kwargs)

    def connection_lost(self, handler: Any, exc: Optional[BaseException] = None) -> None:
        super().connection_lost(handler, exc)
        self._slots.release()
        self.idle_since.pop(handler, None)
        entry = self.in_flight.pop(handler, None)
        if entry is not None and not entry[0].done():
            task, exchange = entry
            if exchange.gone is not None:
                exchange.gone(task)
            else:
                task.cancel()


def _server_kwargs(options: "Options", log: Any) -> Dict[str, Any]:
    kwargs: Dict[str, Any] = {
        "keepalive_timeout": float(options.keepalive),
        "max_line_size": options.limit_request_line,
        "max_field_size": options.limit_request_field_size,
        "max_headers": options.limit_request_fields,
        # Apps get the body as sent, as under gunicorn and uvicorn (and no
        # decompression bomb in the worker).
        "auto_decompress": False,
        "access_log": None,  # gunicorn's logger writes the access log
        "logger": log.error_log,
    }
    return kwargs


async def _accept_one(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> socket.socket:
    """The next connection on ``sock``. Unlike loop.sock_accept, a cancel
    (stop accepting) never loses a connection the kernel already handed over:
    only the wait for readability is cancellable, accept() itself is not awaited."""
    while True:
        try:
            conn, _ = sock.accept()
        except (BlockingIOError, InterruptedError):
            ready: asyncio.Future[None] = loop.create_future()
            fd = sock.fileno()  # the listener may be closed by the time we stop
            loop.add_reader(fd, _set_ready, ready)
            try:
                await ready
            finally:
                loop.remove_reader(fd)
        else:
            conn.setblocking(False)
            return conn


def _set_ready(future: "asyncio.Future[None]") -> None:
    if not future.done():
        future.set_result(None)


def _forget(server: _Server, protocol: Any, task: "asyncio.Future[Any]") -> None:
    entry = server.in_flight.get(protocol)
    if entry is not None and entry[0] is task:
        del server.in_flight[protocol]
        server.idle_since[protocol] = server.loop.time()


def _client_gone(request: web.BaseRequest) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _hooks_set(cfg: Any, log: Any) -> bool:
    """False when pre_request and post_request are gunicorn's own defaults
    (a debug line and nothing) and that debug line would not be written:
    then no hook request is built per request."""
    try:
        from gunicorn.config import PostRequest, PreRequest
    except ImportError:  # pragma: no cover - gunicorn without these settings
        return True
    error_log = getattr(log, "error_log", None)
    debug = error_log is None or error_log.isEnabledFor(logging.DEBUG)
    return debug or cfg.pre_request is not PreRequest.default or cfg.post_request is not PostRequest.default


class HookRequest:
    """What gunicorn's pre_request/post_request hooks read of a request."""

    def __init__(self, request: web.BaseRequest) -> None:
        self._request = request
        self.method = request.method
        self.uri = request.raw_path
        self.path = request.path
        self.query = request.query_string
        self.version = tuple(request.version)

    @property
    def headers(self) -> List[Tuple[str, str]]:  # built only if a hook reads it
        return [(k.upper(), v) for k, v in self._request.headers.items()]

    @property
    def scheme(self) -> str:
        return self._request.scheme


class HTTPServer:
    def __init__(self, worker: "Worker", bridge: "Bridge", options: "Options") -> None:
        self.worker = worker
        self.bridge = bridge
        self.options = options
        self.log = worker.log
        self.cfg = worker.cfg
        self.requests = 0
        self._hooks = _hooks_set(self.cfg, self.log)
        self.slots = asyncio.Semaphore(options.worker_connections)
        kwargs = _server_kwargs(options, worker.log)
        if getattr(bridge, "request_factory", None) is not None:
            # aiohttp Applications' web.Request (only their bridge has one)
            kwargs["request_factory"] = cast("AiohttpAppBridge", bridge).request_factory
        limits = Limits(options)
        limits.websockets = hasattr(bridge, "close_websockets")
        self.server = _Server(self.handle, self.slots, limits, **kwargs)
        self._accepting: List[asyncio.Task[None]] = []
        self._connecting: Set[asyncio.Task[None]] = set()
        self.draining = False
        self.restarting = False  # max_requests reached: the worker ends to be replaced
        self.pacer = Pacer(asyncio.get_event_loop())

    # -- connections ---------------------------------------------------
    def start(self, sockets: Iterable[Any]) -> None:
        loop = asyncio.get_event_loop()
        for sock in sockets:
            self._accepting.append(loop.create_task(self._accept(sock)))

    async def _accept(self, listener: Any) -> None:
        loop = asyncio.get_event_loop()
        sock = listener.sock if hasattr(listener, "sock") else listener
        sock.setblocking(False)
        while True:
            # At worker_connections, stop accepting: the kernel queues the rest.
            await self.slots.acquire()
            try:
                conn = await _accept_one(loop, sock)
            except asyncio.CancelledError:
                self.slots.release()
                raise
            except OSError as exc:
                self.slots.release()
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    self.log.error("Cannot accept a connection (%s); retrying.", exc)
                    await asyncio.sleep(0.1)
                continue
            if conn.family in (socket.AF_INET, socket.AF_INET6):
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            task = loop.create_task(self._connect(conn))
            # A draining worker waits for these: their clients' requests are on the way.
            self._connecting.add(task)
            task.add_done_callback(self._connecting.discard)

    async def _connect(self, conn: socket.socket) -> None:
        loop = asyncio.get_event_loop()
        try:
            # Every loop has it (uvloop's too); typeshed lists it on BaseEventLoop only.
            await loop.connect_accepted_socket(  # type: ignore[attr-defined]
                self.server, sock=conn, ssl=self.options.ssl_context
            )
        except Exception as exc:  # TLS handshake failure and the like
            conn.close()
            self.slots.release()
            self.log.debug("Connection setup failed: %r", exc)

    def stop_accepting(self) -> None:
        for task in self._accepting:
            task.cancel()
        self._accepting = []

    async def shutdown(self, sockets: Iterable[Any], timeout: float, ws_code: int = 1001) -> None:
        """Stop accepting, close the listeners, send open WebSockets a close
        frame with ``ws_code``, let in-flight requests (and WebSocket apps)
        finish within ``timeout``, then cancel them."""
        loop = asyncio.get_event_loop()
        deadline = loop.time() + timeout
        self.stop_accepting()
        for sock in sockets:
            sock.close()
        close_websockets = getattr(self.bridge, "close_websockets", None)
        if close_websockets is not None:
            close_websockets(ws_code)
        await self._drain(deadline - 0.5)
        if hasattr(self.server, "pre_shutdown"):
            self.server.pre_shutdown()  # stops reading from every connection: only now
        await self.server.shutdown(max(deadline - loop.time(), 0.1))

    async def _drain(self, deadline: float) -> None:
        """Wait for the requests in flight (aiohttp's own shutdown stops
        reading from every connection at once, cutting off request bodies
        still being uploaded), and close idle connections."""
        loop = asyncio.get_event_loop()
        self.draining = True  # responses from now on say Connection: close
        in_flight = self.server.in_flight
        # A connection without a request in flight gets the keep-alive time
        # (from the signal, or from its last response if later) to send one,
        # answered with Connection: close; then it is closed. One accepted
        # just before the signal has its request on the way, and a proxy may
        # be reusing an idle one right now: closing it at once would lose that
        # request (nginx answers 502 for a POST). A proxy whose idle timeout
        # is below the worker's keepalive has dropped it by then.
        started = loop.time()
        keepalive = self.options.keepalive
        idle_since = self.server.idle_since
        while True:
            # Handler tasks created a moment ago reach handle() (and in_flight).
            await asyncio.sleep(0)
            waiting = False
            for protocol in self.server.connections:
                if protocol in in_flight:
                    continue
                if loop.time() < min(max(started, idle_since.get(protocol, started)) + keepalive, deadline):
                    waiting = True
                else:
                    protocol.force_close()
            busy = [task for task in self._connecting if not task.done()]
            for task, exchange in in_flight.values():
                if not exchange.prepared:  # a response not yet started says Connection: close
                    exchange.close = True
                if not task.done():
                    busy.append(task)
            remaining = deadline - loop.time()
            if not (busy or waiting) or remaining <= 0:
                return
            if waiting:  # look again soon: requests may come in on idle connections
                await asyncio.sleep(0.05)
            else:
                await asyncio.wait(busy, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)

    # -- requests ------------------------------------------------------
    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        self.requests += 1
        exchange = Exchange(request)
        if self.requests >= self.options.max_requests:
            exchange.close = True  # the last response says Connection: close
            self.restarting = True
            self.worker.max_requests_reached()
        elif self.draining:
            exchange.close = True
        hook_request = None
        if self._hooks:
            hook_request = HookRequest(request)
            self.cfg.pre_request(self.worker, hook_request)
        in_flight = self.server.in_flight
        protocol = request.protocol
        task = cast("asyncio.Task[Any]", asyncio.current_task())  # aiohttp's task for the request
        in_flight[protocol] = (task, exchange)
        # Forgotten once aiohttp has also written what we return, not before:
        # a draining worker must not close the connection under it.
        task.add_done_callback(functools.partial(_forget, self.server, protocol))
        try:
            waited = self.pacer.admit()  # a burst of new requests takes turns with I/O (pacing.py)
            if waited is not None:
                await waited
                waited = None  # not kept by this frame for the request's (a WebSocket's) life
                self.pacer.resumed()
            response = await self.bridge(request, exchange)
        except asyncio.CancelledError:
            raise
        except RequestRejected as exc:  # the body broke a rule (protocol.py)
            if exchange.prepared:
                raise
            self.log.warning("Invalid request from ip=%s: %s", request.remote, exc.reason)
            response = plain(exc.status, exc.reason + "\n")
            exchange.status, exchange.headers = exc.status, list(response.headers.items())
            exchange.prepared = True
        except Exception as exc:
            if isinstance(exc, ConnectionResetError) and _client_gone(request):
                # The client went away mid-response (aiohttp's ClientConnectionResetError
                # is one too): not a server error. Handing aiohttp a response lets it
                # meet the dead connection itself and drop it quietly.
                self.log.debug("Client went away during %s: %s", request.raw_path, exc)
                response = exchange.response or plain(499, "")  # never sent
            else:
                self.log.exception("Error handling request %s", request.raw_path)
                if exchange.prepared:
                    raise  # headers are out: aiohttp drops the connection
                response = plain(500, "Internal Server Error\n")
                exchange.status, exchange.headers = 500, list(response.headers.items())
                exchange.prepared = True  # aiohttp sends it as soon as we return
        else:
            if not exchange.prepared:  # e.g. a 413 that aiohttp will send
                exchange.status, exchange.headers = response.status, list(response.headers.items())
                exchange.prepared = True
        finally:
            # Also when the client closed right after the last byte (which
            # cancels this task): a response that went out is logged.
            if exchange.prepared:
                self._finished(hook_request, exchange)
        if exchange.close:
            response.force_close()
        return response

    def _finished(self, hook_request: Optional[HookRequest], exchange: Exchange) -> None:
        if hook_request is not None:
            try:
                self.cfg.post_request(self.worker, hook_request, exchange.environ or {}, exchange)
            except Exception:
                self.log.exception("Exception in post_request hook")
        if self.options.access_log:
            exchange.log(self.log)
