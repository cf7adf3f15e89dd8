"""The gunicorn worker: a thin translator from gunicorn's settings to the server."""

import asyncio
import gc
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import TYPE_CHECKING, Any, Optional, cast

from gunicorn.workers import base

from async_legacy.tasks import drain as drain_tasks

from . import affinity
from .apps import bridge_for
from .asgi import Lifespan, LifespanFailed
from .options import Options
from .preflight import check_c_parser
from .server import HTTPServer
from .websocket import GOING_AWAY, SERVICE_RESTART

if TYPE_CHECKING:
    from .asgi import ASGIBridge

#: gunicorn's Arbiter.WORKER_BOOT_ERROR: the arbiter stops ("Worker failed to boot.").
WORKER_BOOT_ERROR = 3


class GaiohttpWorker(base.Worker):  # type: ignore[misc]  # gunicorn has no annotations
    """Serves coroutine-WSGI, ASGI and plain WSGI apps on an asyncio loop."""

    #: SIGTERM and max_requests drain for graceful_timeout; SIGINT/SIGQUIT don't.
    _graceful = True
    #: gunicorn's (set by base.Worker), declared for type checkers.
    alive: bool
    _wakeup: "Optional[asyncio.Future[None]]"

    def init_process(self) -> None:
        # A fresh loop after fork; uvloop's when the subclass asks for it.
        self.loop = self.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.exit_code = 0
        self._wakeup = None
        # Read (and check) the settings before booting: a bad value stops
        # gunicorn with "Worker failed to boot" instead of a restart loop.
        self.options = Options(self.cfg, self.max_requests)
        check_c_parser(self.log)
        if self.options.cpu_affinity:
            # Before any thread starts: they all inherit it.
            affinity.pin(self.age, self.ppid, self.log)
        super().init_process()

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.new_event_loop()

    def run(self) -> None:
        try:
            self.loop.run_until_complete(self._serve())
        except LifespanFailed as exc:
            # Not served, and no use starting another worker: gunicorn's
            # arbiter stops on this exit code instead of restarting workers.
            self.log.error("Application startup failed, not serving: %s", exc)
            self.exit_code = WORKER_BOOT_ERROR
        finally:
            try:
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            finally:
                self.loop.close()
        sys.exit(self.exit_code)

    async def _serve(self) -> None:
        options = self.options
        executor = ThreadPoolExecutor(options.threads, thread_name_prefix="gaiohttp-wsgi")
        bridge = bridge_for(self.wsgi, options, executor)
        lifespan: Any = None  # a Lifespan, or a bridge that runs its app's own (startup, shutdown)
        if bridge.kind == "ASGI":
            lifespan = Lifespan(self.wsgi, self.log, options.lifespan, cast("ASGIBridge", bridge).state)
            await lifespan.startup()
        elif hasattr(bridge, "startup"):
            await bridge.startup()
            lifespan = bridge
        if options.gc_freeze:
            # The app is loaded: take its modules, URLconf and settings out of
            # the cyclic GC's reach, so a full collection with many requests in
            # flight walks only theirs. Loaded by the arbiter (preload_app), they
            # are left uncollected too: a collection would write to every
            # inherited object and unshare its page.
            if not self.cfg.preload_app:
                gc.collect()  # the app's start-up garbage, before freezing for good
            gc.freeze()
        server = HTTPServer(self, bridge, options)
        server.start(self.sockets)
        self.log.debug("gaiohttp worker serving a %s app: %r", bridge.kind, self.wsgi)
        pid = os.getpid()
        while self.alive:
            self.notify()
            if self.ppid != os.getppid() and pid == os.getpid():
                self.log.info("Parent changed, shutting down: %s", self)
                break
            await self._sleep(1.0)
        # Graceful: stop accepting, let in-flight requests finish within
        # graceful_timeout, then cancel what remains (quick on SIGINT/SIGQUIT).
        timeout = self.cfg.graceful_timeout if self._graceful else 0.1
        deadline = self.loop.time() + timeout
        # Open WebSockets get a close frame: 1012 (service restart) when
        # max_requests ends the worker, 1001 (going away) otherwise.
        await server.shutdown(self.sockets, timeout, SERVICE_RESTART if server.restarting else GOING_AWAY)
        # Background tasks (async_legacy.tasks.spawn) get what is left of it.
        await drain_tasks(deadline - self.loop.time() - 0.5)
        if lifespan is not None:
            await lifespan.shutdown()
        executor.shutdown(wait=False)

    async def _sleep(self, seconds: float) -> None:
        self._wakeup = self.loop.create_future()
        handle = self.loop.call_later(seconds, self._wake)
        try:
            await self._wakeup
        finally:
            handle.cancel()

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    def max_requests_reached(self) -> None:
        if self.alive:
            self.log.info("Max requests, shutting down: %s", self)
            self.alive = False
            self._graceful = True
            self.loop.call_soon(self._wake)

    def init_signals(self) -> None:
        # Signals through the loop, so handlers never interrupt a request.
        add = self.loop.add_signal_handler
        add(signal.SIGQUIT, self.handle_quit, signal.SIGQUIT, None)
        add(signal.SIGTERM, self.handle_exit, signal.SIGTERM, None)
        add(signal.SIGINT, self.handle_quit, signal.SIGINT, None)
        add(signal.SIGWINCH, self.handle_winch, signal.SIGWINCH, None)
        add(signal.SIGUSR1, self.handle_usr1, signal.SIGUSR1, None)
        add(signal.SIGABRT, self.handle_abort, signal.SIGABRT, None)
        signal.siginterrupt(signal.SIGTERM, False)
        signal.siginterrupt(signal.SIGUSR1, False)

    def handle_exit(self, sig: int, frame: Optional[FrameType]) -> None:
        self.alive = False
        self._graceful = True
        self._wake()

    def handle_quit(self, sig: int, frame: Optional[FrameType]) -> None:
        self.alive = False
        self._graceful = False
        self.cfg.worker_int(self)
        self._wake()

    def handle_abort(self, sig: int, frame: Optional[FrameType]) -> None:
        self.alive = False
        self.exit_code = 1
        self.cfg.worker_abort(self)
        sys.exit(1)


class GaiohttpUVLoopWorker(GaiohttpWorker):
    """The same worker on uvloop (``pip install uvloop``)."""

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        import uvloop

        return uvloop.new_event_loop()
