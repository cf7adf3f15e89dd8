"""Django >= 3.1 served through async_legacy's pipeline (``ASYNC_LEGACY_PIPELINE = True``).

Django's ASGIHandler stays in charge of everything around the middleware
chain: the request built from the scope, the body spooled to a temporary
file, the disconnect handling of the running release, request_started and
request_finished, ``send_response``. Only ``get_response_async`` - Django's
middleware chain, where every sync hook is a thread hop - is replaced by the
legacy pipeline (:class:`~async_legacy.pipeline.AsyncBaseHandler`): I/O-free
hooks inline, blocking hooks on the request's thread lane in as few trips as
semantics allow, async middleware awaited.

Each request gets a lane, the executor of the request's
``ThreadSensitiveContext`` (Django >= 4.0 opens one per request; on 3.1/3.2
this adds it). So the view's own thread-sensitive ``sync_to_async`` calls run
on the request's thread, with its database connection, as they would on
Django's per-request thread; so do request_started and ``response.close()``
(request_finished), which Django's handler sends through ``sync_to_async``,
unless only Django's I/O-free receivers are connected: then they run on the
loop, as the legacy handler runs them.
"""

import asyncio
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, Mapping, Optional, Type, Union, cast

from asgiref.sync import SyncToAsync
from django.core import signals
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler

from . import blocking, compat, entry_points
from .handler import lane_pool
from .lane import Lane, LanePool, ThreadSensitiveLane, current_lane
from .receivers import InlineSignals

if TYPE_CHECKING:
    import concurrent.futures

    from django.http import HttpRequest
    from django.http.response import HttpResponseBase
    from django.test.client import AsyncClientHandler

    from ._typing import ASGIApp, Scope, Send

from .pipeline import AsyncBaseHandler

#: What Django's ASGIHandler is given: a receive whose messages may be read-only.
_Receive = Callable[[], Awaitable[Mapping[str, Any]]]


class _Pipeline(AsyncBaseHandler):
    """The legacy pipeline as the middleware/view path of a Django >= 3.1 handler."""

    # As Django: a sync view that returns a coroutine gets Django's "unawaited
    # coroutine" error (the legacy path awaits it, for old plain decorators).
    awaits_sync_view_results = False

    def load_middleware(self, is_async: bool = True) -> None:
        # Django's handlers call load_middleware(is_async=True); the pipeline
        # reads every middleware's sync/async flags itself.
        if entry_points.load_middleware_patched():
            # An agent wraps middleware as Django loads it (see .entry_points):
            # Django's own async chain serves, with the agent's wrappers.
            BaseHandler.load_middleware(self, is_async=True)
            self._through_django = True
            return
        AsyncBaseHandler.load_middleware(self)
        # What Django's own get_response_async awaits, when an agent's patch
        # of it is called (see .entry_points).
        self._middleware_chain = self._run_chain

    async def get_response_async(self, request: "HttpRequest") -> "HttpResponseBase":
        try:
            if self._through_django or entry_points.get_response_async_patched():
                return await BaseHandler.get_response_async(self, request)
            response: HttpResponseBase = await AsyncBaseHandler.get_response_async(self, request)
            return response
        except asyncio.CancelledError:
            # Django >= 5.0 cancels the request on disconnect: a sync
            # middleware waiting on its thread for the inner chain ends too.
            lane = current_lane.get()
            if lane is not None:
                lane.cancel_calls()
            raise


class PipelineASGIHandler(_Pipeline, ASGIHandler):
    """Django's ASGIHandler whose middleware/view path is async_legacy's pipeline."""

    #: How a request runs its blocking work.
    lane_class: Any = Lane
    # Class-level defaults: subclasses such as staticfiles' ASGIStaticFilesHandler
    # do not call __init__.
    lanes: Optional[LanePool] = None
    _blocking_threshold: Optional[float] = None
    _inline: Optional[InlineSignals] = None

    def __init__(self) -> None:
        self.lanes = lane_pool()
        self._blocking_threshold = blocking.threshold_from_settings()
        self._inline = InlineSignals(self.__class__)
        super().__init__()

    async def __call__(self, scope: "Scope", receive: _Receive, send: "Send") -> None:
        if scope["type"] != "http":
            raise ValueError("Django can only handle ASGI/HTTP connections, not %s." % scope["type"])
        if compat.DJANGO_VERSION >= (4, 0) and entry_points.asgi_entry_patched():
            # An agent wraps Django's own __call__ (Sentry: a scope per
            # request): serve through it; it calls handle() below. (3.1/3.2:
            # Django's __call__ is the whole request, which _serve calls.)
            # A dict from any ASGI server (Django's stubs ask for one).
            return await ASGIHandler.__call__(self, cast("Dict[str, Any]", scope), receive, send)
        await self._serve(scope, receive, send)

    async def handle(self, scope: "Scope", receive: _Receive, send: "Send") -> None:
        await self._serve(scope, receive, send)

    async def _serve(self, scope: "Scope", receive: _Receive, send: "Send") -> None:
        if self._blocking_threshold is not None:
            blocking.watch(self._blocking_threshold)
        if self.lanes is None:
            self.lanes = lane_pool()
        lane = self.lane_class(self.lanes)
        outer = current_lane.get()
        previous_context = SyncToAsync.thread_sensitive_context.get(None)
        current_lane.set(lane)
        lane.enter()  # instead of Django's own ThreadSensitiveContext
        key = SyncToAsync.thread_sensitive_context.get()
        executor = _RequestExecutor(lane, self._signals_inline())
        # Duck-typed: asgiref only calls its submit().
        SyncToAsync.context_to_thread_executor[key] = cast("concurrent.futures.Executor", executor)
        try:
            await lane.admitted()
            await compat.asgi_handle(ASGIHandler, self, scope, receive, send)
        finally:
            lane.cancel_calls()
            lane.close_now()  # a thread still held goes back after its hygiene
            current_lane.set(outer)
            executor.inline_left = 0  # a task the request left running gets the lane's rules
            # None when there was none: what get(None) read.
            SyncToAsync.thread_sensitive_context.set(previous_context)  # type: ignore[arg-type]

    def _signals_inline(self) -> bool:
        """True when request_started/request_finished may be sent on the loop (receivers.py)."""
        inline = self._inline
        if inline is None:
            inline = self._inline = InlineSignals(self.__class__)
        return inline.ok(signals.request_started, signals.request_finished)

    async def get_response_async(self, request: "HttpRequest") -> "HttpResponseBase":
        executor = _executor()
        if executor is not None:
            executor.inline_left = 0  # the pipeline's own work goes to the lane
        return await _Pipeline.get_response_async(self, request)

    async def send_response(self, response: "HttpResponseBase", send: "Send") -> None:
        executor = _executor()
        closes_here = compat.CLOSES_IN_SEND_RESPONSE
        if executor is not None and closes_here and executor.signals_inline:
            # Django < 5.0 closes the response (request_finished) at its end.
            executor.inline_left = 0 if compat.send_response_needs_threads(response) else 1
        await ASGIHandler.send_response(self, response, send)
        if executor is not None:
            # 5.0+: response.close() comes next, in handle().
            executor.inline_left = 1 if executor.signals_inline and not closes_here else 0


class _RequestExecutor:
    """The executor asgiref's thread-sensitive ``sync_to_async`` uses in one request.

    Before the pipeline starts (request_started) and after the response is
    sent (``response.close()``: request_finished), Django's handler code sends
    its signals through it: with only Django's own I/O-free receivers
    connected, that one job runs at once on the loop, as the legacy handler
    runs them, instead of taking a thread. Everything else goes to the
    request's lane.
    """

    __slots__ = ("lane", "signals_inline", "inline_left")

    def __init__(self, lane: Lane, signals_inline: bool) -> None:
        self.lane = lane
        self.signals_inline = signals_inline
        #: Jobs still to run on the loop (request_started's, then response.close()'s).
        self.inline_left = 1 if signals_inline else 0

    def submit(
        self, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> "Union[concurrent.futures.Future[Any], asyncio.Future[Any]]":
        if self.inline_left <= 0:
            submitted: concurrent.futures.Future[Any] = self.lane.submit(fn, *args, **kwargs)
            return submitted
        self.inline_left -= 1
        # An asyncio future, already done: loop.run_in_executor() hands it back
        # as is (no thread-safe wake-up of the loop, as a concurrent one needs).
        future = asyncio.get_event_loop().create_future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: B902 - handed to the awaiting caller
            future.set_exception(exc)
        return future


def _executor() -> Optional[_RequestExecutor]:
    key = SyncToAsync.thread_sensitive_context.get(None)
    executor = SyncToAsync.context_to_thread_executor.get(key) if key is not None else None
    return executor if isinstance(executor, _RequestExecutor) else None


def get_pipeline_application() -> "ASGIApp":
    """``PipelineASGIHandler()`` after ``django.setup()``, as Django's get_asgi_application()."""
    global _building
    import django
    from django.core import asgi as django_asgi

    django.setup(set_prefix=False)
    if _building or not entry_points.asgi_factory_patched():
        # (_building: the factory called below led back here, as when Django's
        # own test suite runs with this function as Django's factory.)
        return PipelineASGIHandler()
    # An agent wraps Django's factory (ddtrace: its ASGI middleware around the
    # handler opens each request's span): call it, with the class it builds
    # (a global of its module) being ours for the call.
    django_class = django_asgi.ASGIHandler  # type: ignore[attr-defined]
    django_asgi.ASGIHandler = PipelineASGIHandler  # type: ignore[attr-defined]
    _building = True
    try:
        app: ASGIApp = django_asgi.get_asgi_application()  # type: ignore[assignment]
        return app
    finally:
        _building = False
        django_asgi.ASGIHandler = django_class  # type: ignore[attr-defined]


#: True while get_pipeline_application() calls Django's (patched) factory.
_building = False


def client_handler_class() -> "Type[AsyncClientHandler]":
    """Django's AsyncClientHandler (the test clients' handler) with the pipeline inside.

    Blocking work runs in asgiref's thread-sensitive mode (the test's thread
    under ``async_to_sync``), where the TestCase's transaction lives, as with
    Django's own client.
    """
    from django.test.client import AsyncClientHandler

    class PipelineClientHandler(_Pipeline, AsyncClientHandler):
        async def get_response_async(self, request: "HttpRequest") -> "HttpResponseBase":
            token = current_lane.set(ThreadSensitiveLane())
            try:
                return await _Pipeline.get_response_async(self, request)
            finally:
                current_lane.reset(token)

    return PipelineClientHandler
