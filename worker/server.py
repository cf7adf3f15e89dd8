"""aiohttp's HTTP server (llhttp parser, keepalive, pipelining) with gunicorn's
rules: a connection cap, request counting for max_requests, hooks, access log."""
import asyncio
import errno
import socket

from aiohttp import web_server

from .protocol import GuardedRequestHandler, Limits, RequestRejected
from .respond import Exchange, plain


class _Server(web_server.Server):
    """Frees a connection slot when aiohttp drops a connection, and cancels
    the request task still running on it (the client went away). Done here
    rather than with aiohttp's handler_cancellation, which 3.8 lacks."""

    def __init__(self, handler, slots, limits, **kwargs):
        super().__init__(handler, **kwargs)
        self._slots = slots
        self._limits = limits
        self.in_flight = {}  # protocol -> task of its current request

    def __call__(self):
        # gunicorn's request rules on the raw bytes (protocol.py).
        return GuardedRequestHandler(self, loop=self._loop, limits=self._limits, **self._kwargs)

    def connection_lost(self, handler, exc=None):
        super().connection_lost(handler, exc)
        self._slots.release()
        task = self.in_flight.pop(handler, None)
        if task is not None and not task.done():
            task.cancel()


def _server_kwargs(options, log):
    kwargs = {
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


def _client_gone(request):
    transport = request.transport
    return transport is None or transport.is_closing()


class HookRequest:
    """What gunicorn's pre_request/post_request hooks read of a request."""

    def __init__(self, request):
        self._request = request
        self.method = request.method
        self.uri = request.raw_path
        self.path = request.path
        self.query = request.query_string
        self.version = tuple(request.version)

    @property
    def headers(self):  # built only if a hook reads it
        return [(k.upper(), v) for k, v in self._request.headers.items()]

    @property
    def scheme(self):
        return self._request.scheme


class HTTPServer:
    def __init__(self, worker, bridge, options):
        self.worker = worker
        self.bridge = bridge
        self.options = options
        self.log = worker.log
        self.cfg = worker.cfg
        self.requests = 0
        self.slots = asyncio.Semaphore(options.worker_connections)
        kwargs = _server_kwargs(options, worker.log)
        if getattr(bridge, "request_factory", None) is not None:
            kwargs["request_factory"] = bridge.request_factory  # aiohttp Applications' web.Request
        self.server = _Server(self.handle, self.slots, Limits(options), **kwargs)
        self._accepting = []

    # -- connections ---------------------------------------------------
    def start(self, sockets):
        loop = asyncio.get_event_loop()
        for sock in sockets:
            self._accepting.append(loop.create_task(self._accept(sock)))

    async def _accept(self, listener):
        loop = asyncio.get_event_loop()
        sock = listener.sock if hasattr(listener, "sock") else listener
        sock.setblocking(False)
        while True:
            # At worker_connections, stop accepting: the kernel queues the rest.
            await self.slots.acquire()
            try:
                conn, _ = await loop.sock_accept(sock)
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
            loop.create_task(self._connect(conn))

    async def _connect(self, conn):
        loop = asyncio.get_event_loop()
        try:
            await loop.connect_accepted_socket(self.server, sock=conn, ssl=self.options.ssl_context)
        except Exception as exc:  # TLS handshake failure and the like
            conn.close()
            self.slots.release()
            self.log.debug("Connection setup failed: %r", exc)

    def stop_accepting(self):
        for task in self._accepting:
            task.cancel()
        self._accepting = []

    async def shutdown(self, sockets, timeout):
        """Stop accepting, close the listeners, let in-flight requests finish
        within ``timeout``, then cancel them."""
        self.stop_accepting()
        for sock in sockets:
            sock.close()
        if hasattr(self.server, "pre_shutdown"):
            self.server.pre_shutdown()
        await self.server.shutdown(timeout)

    # -- requests ------------------------------------------------------
    async def handle(self, request):
        self.requests += 1
        exchange = Exchange(request)
        if self.requests >= self.options.max_requests:
            exchange.close = True  # the last response says Connection: close
            self.worker.max_requests_reached()
        hook_request = HookRequest(request)
        self.cfg.pre_request(self.worker, hook_request)
        in_flight = self.server.in_flight
        protocol = request.protocol
        in_flight[protocol] = asyncio.current_task()
        try:
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
            in_flight.pop(protocol, None)
            # Also when the client closed right after the last byte (which
            # cancels this task): a response that went out is logged.
            if exchange.prepared:
                self._finished(hook_request, exchange)
        if exchange.close:
            response.force_close()
        return response

    def _finished(self, hook_request, exchange):
        try:
            self.cfg.post_request(self.worker, hook_request, exchange.environ or {}, exchange)
        except Exception:
            self.log.exception("Exception in post_request hook")
        if self.options.access_log:
            exchange.log(self.log)
