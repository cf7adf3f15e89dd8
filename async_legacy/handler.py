"""AsyncDjangoApplication: Django's WSGIHandler, served as coroutine WSGI."""

import logging
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Callable,
    Iterator,
    List,
    Optional,
    cast,
)

from django import db
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler, get_script_name
from django.http import HttpResponse
from django.urls import set_script_prefix

from . import blocking, conf, entry_points
from ._typing import Environ
from .coroutine_wsgi import ENVIRON_KEY, VERSION
from .lane import Lane, LanePool, current_lane
from .pipeline import AsyncBaseHandler
from .receivers import InlineSignals

if TYPE_CHECKING:
    from django.dispatch import Signal
    from django.http import HttpRequest
    from django.http.response import HttpResponseBase

    from .lane.current import AnyLane

logger = logging.getLogger("async_legacy")

#: Bytes a sync streaming iterator may produce per trip to the lane.
STREAM_BATCH = 64 * 1024


def _thread_taken() -> None:
    # What request_started does, for the thread the request's DB work runs on.
    db.reset_queries()
    db.close_old_connections()


def _thread_given_back() -> None:
    # What request_finished does for it (CONN_MAX_AGE, broken connections).
    db.close_old_connections()


def _thread_holds() -> bool:
    # Whether _thread_given_back has work on this thread: an open connection.
    return any(conn.connection is not None for conn in db.connections.all())


def _thread_retires() -> None:
    # A thread that exits closes its connections (they would stay open until collected).
    db.connections.close_all()


def lane_pool() -> LanePool:
    """The pool of threads for one application's requests, from the settings."""
    return LanePool(
        conf.get("ASYNC_LEGACY_THREADS"),
        on_acquire=_thread_taken,
        on_release=_thread_given_back,
        holds=_thread_holds,
        idle=conf.get("ASYNC_LEGACY_THREAD_IDLE"),
        affinity=conf.get("ASYNC_LEGACY_THREAD_AFFINITY"),
        on_retire=_thread_retires,
        admit=conf.get("ASYNC_LEGACY_ADMIT_WHILE_BUSY"),
    )


def _take(iterator: Iterator[bytes]) -> List[bytes]:
    """Pull chunks from a sync iterator (on the lane) up to STREAM_BATCH bytes."""
    chunks: List[bytes] = []
    size = 0
    for chunk in iterator:
        chunks.append(chunk)
        size += len(chunk)
        if size >= STREAM_BATCH:
            break
    return chunks


class AsyncDjangoApplication(AsyncBaseHandler, WSGIHandler):
    """A WSGIHandler whose views may be coroutines.

    Serve it with a coroutine-WSGI server (the gaiohttp gunicorn worker); see
    :mod:`async_legacy.coroutine_wsgi` for the calling convention.
    """

    coroutine_wsgi = VERSION
    #: How a request runs its blocking work (the test client swaps it).
    lane_class: Any = Lane

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lanes = lane_pool()
        self._inline = InlineSignals(self.__class__)
        self._blocking_threshold = blocking.threshold_from_settings()

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Any:
        if ENVIRON_KEY in environ:
            return self.serve(environ, start_response)
        lane = current_lane.get()
        if lane is not None and lane.serving_here():
            # A WSGI wrapper's call, on the request's thread (serve_wrapped):
            # Django's own entry, the chain awaited on the loop.
            return WSGIHandler.__call__(self, environ, start_response)
        return self._called_as_plain_wsgi(environ, start_response)

    async def serve_wrapped(
        self, wrapper: Callable[..., Any], environ: Environ, start_response: Callable[..., Any]
    ) -> Any:
        """Serve ``wrapper``, a plain WSGI middleware around this application
        (``WhiteNoise(get_application())``, ``SentryWsgiMiddleware(...)``).

        The wrapper runs on the request's thread, as under a WSGI server; when
        it calls this application, Django's own entry code runs there too and
        the middleware chain and view are awaited on the loop. The gaiohttp
        worker calls this when it finds the application inside the wrapper.
        """
        lane = self.lane_class(self.lanes)
        outer = current_lane.get()
        current_lane.set(lane)
        lane.enter()
        await lane.admitted()
        environ.pop(ENVIRON_KEY, None)  # the wrapper calls us as plain WSGI
        return await self._serve_on_thread(lane, outer, wrapper, environ, start_response)

    def _called_as_plain_wsgi(self, environ: Environ, start_response: Callable[..., Any]) -> List[bytes]:
        server = environ.get("SERVER_SOFTWARE", "unknown server")
        if "gaiohttp" in server:
            message = (
                "%s was called as plain WSGI by a WSGI middleware wrapped around it "
                "in wsgi.py that the gaiohttp worker could not see through (it looks "
                "for the wrapped application in the wrapper's attributes application, "
                "app, wsgi, wsgi_app, __wrapped__). Use the package's Django middleware "
                "instead (WhiteNoise: whitenoise.middleware.WhiteNoiseMiddleware in "
                "MIDDLEWARE; Sentry: sentry_sdk.init(integrations=[DjangoIntegration()]) "
                "without SentryWsgiMiddleware), or keep the wrapped application in one "
                "of those attributes." % type(self).__name__
            )
        else:
            message = (
                "%s is a coroutine-WSGI application and this server called it as "
                "plain WSGI (%s). Serve it with gunicorn's gaiohttp worker: add "
                "'import async_legacy.worker' and worker_class = 'gaiohttp' to "
                "gunicorn.conf.py." % (type(self).__name__, server)
            )
        logger.error(message)
        start_response("500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")])
        return [message.encode()]

    async def serve(self, environ: Environ, start_response: Callable[..., Any]) -> Any:
        """Handle one request; return the response body (see coroutine_wsgi)."""
        if self._blocking_threshold is not None:
            blocking.watch(self._blocking_threshold)
        lane = self.lane_class(self.lanes)
        outer = current_lane.get()  # a request served from inside a view's request
        current_lane.set(lane)
        lane.enter()
        await lane.admitted()
        if entry_points.wsgi_entry_patched():
            # An agent patched Django's entry points (see .entry_points): they
            # run on the request's thread around the pipeline, as under
            # Django's sync handler.
            return await self._serve_on_thread(lane, outer, WSGIHandler.__call__, self, environ, start_response)
        request = response = None
        try:
            set_script_prefix(get_script_name(environ))
            await self._send(lane, signals.request_started, environ=environ)
            request = self.request_class(environ)
            response = await self.get_response_async(request)
            response._handler_class = self.__class__
            status = "%d %s" % (response.status_code, response.reason_phrase)
            headers = list(response.items())
            headers.extend(("Set-Cookie", c.output(header="").strip()) for c in response.cookies.values())
            start_response(status, headers)
        except BaseException:
            await self._abort(lane, request, response, outer)
            raise
        return ResponseBody(self, lane, response, outer)

    async def _serve_on_thread(
        self, lane: Lane, outer: "Optional[AnyLane]", wsgi_call: Callable[..., Any], *args: Any
    ) -> "EntryBody":
        """Serve the request by a plain WSGI call on its thread: Django's own
        ``WSGIHandler.__call__`` (an agent patched it or ``get_response``) or
        a WSGI wrapper around this application.

        What the agent or wrapper keeps per request (Sentry's scope, a
        transaction) wraps the whole request; the chain Django's entry code
        calls is awaited on the loop (``_sync_chain_called``), and the body
        returned is iterated and closed on that thread.
        """
        lane.pin()  # one thread from the call to the body's close, with or without affinity
        try:
            body = await lane.run(wsgi_call, *args)
        except BaseException:
            await self._abort(lane, None, None, outer)
            raise
        return EntryBody(self, lane, body, outer)

    async def _send(self, lane: Lane, signal: "Signal", **kwargs: Any) -> None:
        if lane.used or not self._inline.ok(signal):
            await lane.run(signal.send, sender=self.__class__, **kwargs)
        else:
            signal.send(sender=self.__class__, **kwargs)

    async def finish(
        self, lane: Lane, func: Callable[[], Any], outer: "Optional[AnyLane]" = None, on_thread: bool = False
    ) -> None:
        """Run ``func`` (response.close: request_finished) and give the lane back.

        ``outer`` is the lane that was current before this request's (a request
        served from inside a view): it becomes current again. ``on_thread``:
        ``func`` runs on the request's thread whatever the receivers.
        """
        try:
            if not on_thread and self._inline.ok(signals.request_finished):
                # Django's own receivers: on the loop. A thread the request
                # holds gets the same hygiene (close_old_connections) on itself
                # as it goes back, without a round trip.
                func()
                lane.close_now()
            else:
                await lane.close(func)
        finally:
            if current_lane.get() is lane:
                current_lane.set(outer)

    async def _abort(
        self,
        lane: Lane,
        request: "Optional[HttpRequest]",
        response: "Optional[HttpResponseBase]",
        outer: "Optional[AnyLane]" = None,
    ) -> None:
        # An opaque middleware on the lane may be waiting for the rest of the
        # chain on the loop: cancel that too, or the lane stays busy until the view ends.
        lane.cancel_calls()
        closer: Callable[[], None]
        if response is not None:
            closer = response.close
        else:

            def closer() -> None:
                if request is not None:
                    request.close()
                signals.request_finished.send(sender=self.__class__)

        await self.finish(lane, closer, outer)


class ResponseBody:
    """A response's body as coroutine WSGI hands it to the server."""

    __slots__ = ("app", "lane", "response", "outer", "_closed")

    def __init__(
        self, app: AsyncDjangoApplication, lane: Lane, response: Any, outer: "Optional[AnyLane]" = None
    ) -> None:
        self.app = app
        self.lane = lane
        self.response = response
        self.outer = outer
        self._closed = False

    @property
    def whole(self) -> Optional[bytes]:
        """The body's bytes when it is all in memory (coroutine_wsgi, point 3)."""
        response = self.response
        return None if response.streaming else response.content

    def __aiter__(self) -> AsyncIterator[bytes]:
        response = self.response
        if not response.streaming:
            return _once(response.content)
        if getattr(response, "is_async", False):
            return cast(AsyncIterator[bytes], response.streaming_content.__aiter__())
        return self._sync_chunks(iter(response.streaming_content))

    async def _sync_chunks(self, iterator: Iterator[bytes]) -> AsyncIterator[bytes]:
        # Sync iterators (FileResponse, generators) may block: pull on the lane.
        while True:
            chunks = await self.lane.run(_take, iterator)
            if not chunks:
                return
            for chunk in chunks:
                yield chunk

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self.app.finish(self.lane, self.response.close, self.outer)


class EntryBody(ResponseBody):
    """The body Django's patched ``WSGIHandler.__call__`` returned (an
    HttpResponse, or an agent's wrapper of it): read and closed on the
    request's thread, where the agent's per-request state lives."""

    __slots__ = ()

    @property
    def whole(self) -> Optional[bytes]:
        response = self.response
        if getattr(type(response), "__iter__", None) is HttpResponse.__iter__ and not response.streaming:
            return cast(bytes, response.content)
        return None

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._entry_chunks()

    async def _entry_chunks(self) -> AsyncIterator[bytes]:
        iterator = await self.lane.run(iter, self.response)
        async for chunk in self._sync_chunks(iterator):
            yield chunk

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            close = getattr(self.response, "close", None) or _no_close
            await self.app.finish(self.lane, close, self.outer, on_thread=True)


def _no_close() -> None:
    pass


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content
