"""Django's request pipeline (BaseHandler), awaiting coroutine views.

This mirrors ``django.core.handlers.base`` of Django 1.11-3.0 step by step,
with the same middleware order and exception semantics; the difference is
that the view is awaited on the event loop and blocking steps run on the
request's thread lane.

Middleware built on ``MiddlewareMixin`` (and not overriding ``__call__``) is
exactly ``process_request -> inner -> process_response``, so it is split into
those hooks and each hook runs inline or on the lane (see :mod:`.hooks`).
Middleware whose factory is ``async_capable`` (Django 3.1's flag, set by
``async_only_middleware`` / ``sync_and_async_middleware`` or on the class) is
built with an async ``get_response`` and awaited on the loop, as Django 3.1+'s
ASGIHandler does. Anything else - sync function middleware, classes with their
own ``__call__`` - is *opaque*: it is called on the lane with a sync
``get_response`` that runs the rest of the chain back on the loop.
Coroutine-function ``process_view`` / ``process_template_response`` /
``process_exception`` hooks are awaited on the loop.

Exception conversion follows Django's ``convert_exception_to_response``
around every layer: an exception in layer i's request phase skips layer i's
own response phase and becomes that layer's response.
"""

import asyncio
import enum
import functools
import inspect
import logging
import sys
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Coroutine,
    Dict,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    cast,
)

from django.conf import settings
from django.core import signals
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.core.handlers import base as django_base
from django.core.handlers import exception as django_exception
from django.core.handlers.base import BaseHandler
from django.urls import get_resolver, get_urlconf, set_urlconf
from django.utils.deprecation import MiddlewareMixin

from . import compat, entry_points, hooks, views
from .compat import iscoroutinefunction
from .hooks import AWAIT, LANE, HookMode, needs_lane
from .lane import current_lane

if TYPE_CHECKING:
    import types
    from contextvars import ContextVar

    from django.http import HttpRequest, HttpResponse

    from .lane.current import AnyLane

    #: A middleware chain, or an async layer of it: awaited, the response.
    _Chain = Callable[[HttpRequest], Coroutine[Any, Any, Any]]
    #: A hook with the mode it runs in (hooks.mode_of).
    _HookWithMode = Tuple[types.MethodType, HookMode]

logger = logging.getLogger("django.request")

_R = TypeVar("_R")

# current_lane as the pipeline reads it: its code runs only inside a request,
# whose entry point set the request's lane first.
_request_lane = cast("ContextVar[AnyLane]", current_lane)


# Looked up in Django's modules at each call, as Django's own code does, so
# that an agent's patch of them applies here too (see .entry_points).
def response_for_exception(request: "HttpRequest", exc: Exception) -> "HttpResponse":
    return django_exception.response_for_exception(request, exc)


def import_string(dotted_path: str) -> Any:
    return django_base.import_string(dotted_path)  # type: ignore[attr-defined]  # Django's module imports it; its stubs omit it


CancelledError = asyncio.CancelledError  # an Exception subclass on Python 3.7


class Stop(enum.Enum):
    """Where a phase of the middleware chain stopped (AsyncBaseHandler._request_phase)."""

    #: Every request hook passed: the view is next.
    VIEW = "view"
    #: ``value`` is the response; the response phase goes on from ``index``.
    ANSWER = "answer"
    #: The hook at ``index`` must run on the thread (only when not already there).
    LANE = "lane"
    #: ``value`` is the exception the inline hook at ``index`` raised, to convert on the thread.
    FAILED = "failed"
    #: Layer ``index`` is async-capable middleware: awaited on the loop.
    ASYNC = "async"


class PhaseEnd(NamedTuple):
    """What a phase returns: the layer it stopped at, a response or exception, and why."""

    layer: int  # the index in settings.MIDDLEWARE (tuple.index is taken)
    value: Any
    state: Stop


_VIEW, _ANSWER, _LANE, _FAILED, _ASYNC = Stop.VIEW, Stop.ANSWER, Stop.LANE, Stop.FAILED, Stop.ASYNC


# {response class: render_on_loop}: render_on_loop(response) renders it on the
# loop and returns True, or returns False (nothing done) when rendering it may
# block; then it renders on the lane. async_legacy.rest_framework registers DRF's
# Response (its JSON needs no I/O for plain data).
_loop_renderers: Dict[type, Callable[[Any], bool]] = {}


def render_on_loop_for(cls: Type[_R], render_on_loop: Callable[[_R], bool]) -> None:
    """Let responses of ``cls`` render on the loop when ``render_on_loop`` can."""
    _loop_renderers[cls] = render_on_loop


async def _render(lane: "AnyLane", response: Any) -> Any:
    if iscoroutinefunction(response.render):  # awaited, as Django >= 3.1 does
        return await response.render()
    for cls, render_on_loop in _loop_renderers.items():
        if isinstance(response, cls) and render_on_loop(response):
            return response
    return await lane.run(response.render)


def splittable(factory: Any) -> bool:
    """True for a MiddlewareMixin class keeping its __call__: run as split hooks."""
    return (
        isinstance(factory, type)
        and issubclass(factory, MiddlewareMixin)
        and (factory.__call__ is MiddlewareMixin.__call__)
    )


def _flags(factory: Any, path: str) -> Tuple[bool, bool]:
    """Django 3.1's (can_sync, can_async) for a middleware factory."""
    can_sync = getattr(factory, "sync_capable", True)
    can_async = getattr(factory, "async_capable", False)
    if not can_sync and not can_async:
        raise RuntimeError("Middleware %s must have at least one of sync_capable/async_capable set to True." % path)
    return can_sync, can_async


class _Layer:
    """One middleware of settings.MIDDLEWARE, outermost first."""

    __slots__ = (
        "instance",
        "opaque",
        "is_async",
        "call",
        "request_hook",
        "request_mode",
        "response_hook",
        "response_mode",
    )

    call: "Optional[_Chain]"
    request_hook: Optional[Callable[..., Any]]
    request_mode: HookMode
    response_hook: Optional[Callable[..., Any]]
    response_mode: HookMode

    def __init__(self, instance: Any, is_async: bool = False) -> None:
        self.instance = instance
        self.is_async = is_async
        self.call = None  # async layers: the middleware awaited with exception conversion
        self.opaque = (
            is_async
            or not isinstance(instance, MiddlewareMixin)
            or (type(instance).__call__ is not MiddlewareMixin.__call__)
        )
        self.request_hook = self.response_hook = None
        self.request_mode = self.response_mode = LANE
        if not self.opaque:
            self.request_hook = getattr(instance, "process_request", None)
            self.response_hook = getattr(instance, "process_response", None)
            if self.request_hook is not None:
                self.request_mode = _sync_mode(self.request_hook)
            if self.response_hook is not None:
                self.response_mode = _sync_mode(self.response_hook)


def _sync_mode(hook: Callable[..., Any]) -> HookMode:
    # MiddlewareMixin calls process_request/process_response synchronously on
    # every Django: an ``async def`` one returns a coroutine there as here.
    mode = hooks.mode_of(hook)
    return LANE if mode is AWAIT else mode


class _RestOfChain:
    """``get_response`` handed to middleware: the layers inside it.

    Only opaque middleware calls it, from its lane thread (split middleware
    never calls its ``get_response``): the inner layers' hooks run there, as
    in Django's sync handler, and only the view goes back to the loop.
    """

    def __init__(self, handler: "AsyncBaseHandler") -> None:
        self.handler = handler
        self.index: Optional[int] = None  # set once every layer is built

    def __call__(self, request: "HttpRequest") -> Any:
        return self.handler._run_layers_on_thread(cast(int, self.index), request)


def _async_rest(handler: "AsyncBaseHandler", rest: _RestOfChain, inner: Optional[_Layer]) -> "_Chain":
    """The async ``get_response`` an async-capable middleware gets: the inner layers, awaited.

    When the next layer is async too it is awaited directly (with its
    exception conversion), without the phase machinery.
    """
    if inner is not None and inner.is_async:
        return cast("_Chain", inner.call)  # set: built before the layers around it
    if inner is None:
        return handler._get_response_converted  # the innermost middleware: the view is next

    async def get_response(request: "HttpRequest") -> Any:
        return await handler._run_layers(cast(int, rest.index), request)  # set once every layer is built

    return get_response


def _converting(handler: "AsyncBaseHandler", middleware: Any) -> "_Chain":
    """Await an async middleware; its exception becomes its response (convert_exception_to_response)."""

    async def call(request: "HttpRequest") -> Any:
        try:
            return await middleware(request)
        except CancelledError:
            raise
        except Exception as exc:
            return await handler._response_for_exception(_request_lane.get(), request, exc)

    return call


def _call_opaque(middleware: Callable[["HttpRequest"], Any], request: "HttpRequest") -> Any:
    try:
        return middleware(request)
    except CancelledError:  # an Exception on Python 3.7: the request was cancelled, no error
        raise
    except Exception as exc:
        return response_for_exception(request, exc)


def _close(awaitable: object) -> None:
    """Close a coroutine that will never be awaited (no 'never awaited' warning)."""
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()


def _with_modes(bound_hooks: "Sequence[types.MethodType]") -> "List[_HookWithMode]":
    return [(hook, hooks.mode_of(hook)) for hook in bound_hooks]


def _current(with_modes: "List[_HookWithMode]", bound_hooks: "Sequence[types.MethodType]") -> "List[_HookWithMode]":
    """``with_modes`` after a change of Django's hook list (Django reads it per
    request; Django's own tests insert hooks after load_middleware)."""
    if len(with_modes) != len(bound_hooks):
        with_modes[:] = _with_modes(bound_hooks)
    return with_modes


async def _run_on_lane(chain: Callable[["HttpRequest"], Any], request: "HttpRequest") -> Any:
    return await _request_lane.get().run(chain, request)


async def _run_hook(lane: "AnyLane", mode: HookMode, hook: Callable[..., Any], *args: Any) -> Any:
    if mode is AWAIT:
        return await hook(*args)
    if not needs_lane(mode, *args):
        return hook(*args)
    return await lane.run(hook, *args)


class AsyncBaseHandler(BaseHandler):
    """BaseHandler whose ``get_response_async`` awaits coroutine views."""

    _layers: Sequence[_Layer] = ()
    # Set by load_middleware: what get_response_async awaits, and what a sync
    # caller on the request's thread awaits (_sync_chain_called).
    _run_chain: Any = None
    _entry_chain: Any = None
    # Django's hook lists (its load_middleware fills them, or _load_layers).
    _request_middleware: "List[types.MethodType]"
    _response_middleware: "List[types.MethodType]"
    _view_middleware: "List[types.MethodType]"
    _template_response_middleware: "List[types.MethodType]"
    _exception_middleware: "List[types.MethodType]"
    #: Django's own chain serves (an agent patched load_middleware).
    _through_django = False
    #: Await what a sync view returns when it is awaitable (a plain decorator
    #: around an ``async def`` on old Django). Django >= 3.1 refuses it.
    awaits_sync_view_results = True

    def load_middleware(self) -> None:  # type: ignore[override]  # Django < 3.1's: no is_async
        compat.install_legacy_shims()
        compat.install_thread_shims()
        self._atomic_requests = views.any_atomic_requests()
        self._through_django = False
        if compat.uses_legacy_middleware_classes(settings):
            super().load_middleware()  # Django fills the five hook lists
            self._request_hooks = _with_modes(self._request_middleware)
            self._response_hooks = _with_modes(self._response_middleware)
            self._run_chain = self._run_legacy_classes
            # Django 1.11's get_response runs the response hooks itself.
            self._entry_chain = self._run_legacy_request_side
        elif entry_points.load_middleware_patched():
            self._load_through_django()
        else:
            self._load_layers()
            if self._layers and self._layers[0].is_async:
                self._run_chain = self._layers[0].call  # one await less
            else:
                self._run_chain = functools.partial(self._run_layers, 0)
            self._entry_chain = self._run_chain
        self._view_hooks = _with_modes(self._view_middleware)
        self._async_exception_hooks = any(iscoroutinefunction(h) for h in self._exception_middleware)
        self._template_response_hooks = _with_modes(self._template_response_middleware)
        if not self._through_django:  # else Django's own chain, which its get_response calls
            self._middleware_chain = self._sync_chain_called

    def _load_through_django(self) -> None:
        """Django's own load_middleware, which an agent has patched to wrap
        each middleware as it loads (see .entry_points): its chain, with the
        agent's wrappers, runs on the request's thread as under Django's sync
        handler; only the view path (``_get_response``) is awaited on the loop.
        """
        self._through_django = True
        # The innermost handler Django's chain calls, for the load only (the
        # chain keeps it; the class's async _get_response is the pipeline's).
        self._get_response = self._get_response_from_thread  # type: ignore[method-assign]  # for the load only
        try:
            BaseHandler.load_middleware(self)
        finally:
            del self._get_response
        chain = self._middleware_chain  # Django's (sync): what its get_response calls on the thread
        self._run_chain = self._entry_chain = functools.partial(_run_on_lane, chain)

    def _get_response_from_thread(self, request: "HttpRequest") -> Any:
        return _request_lane.get().call_async(self._get_response, request)

    def _load_layers(self) -> None:
        """Django's load_middleware, keeping the instances as layers."""
        # Django 1.11's get_response runs these (MIDDLEWARE_CLASSES) lists: empty, as its loader leaves them.
        self._request_middleware = []
        self._response_middleware = []
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        layers: List[Tuple[_Layer, _RestOfChain]] = []
        for middleware_path in reversed(settings.MIDDLEWARE):
            middleware = import_string(middleware_path)
            # Django 3.1+ in async mode: async whenever the factory can be. A
            # MiddlewareMixin keeping its sync __call__ stays split (legacy
            # MiddlewareMixin has no __acall__), whatever its flags say.
            is_async = _flags(middleware, middleware_path)[1] and not splittable(middleware)
            rest = _RestOfChain(self)
            try:
                inner = layers[0][0] if layers else None
                mw_instance = middleware(_async_rest(self, rest, inner) if is_async else rest)
            except MiddlewareNotUsed as exc:
                if settings.DEBUG:
                    if str(exc):
                        logger.debug("MiddlewareNotUsed(%r): %s", middleware_path, exc)
                    else:
                        logger.debug("MiddlewareNotUsed: %r", middleware_path)
                continue
            if mw_instance is None:
                raise ImproperlyConfigured("Middleware factory %s returned None." % middleware_path)
            if hasattr(mw_instance, "process_view"):
                self._view_middleware.insert(0, mw_instance.process_view)
            if hasattr(mw_instance, "process_template_response"):
                self._template_response_middleware.append(mw_instance.process_template_response)
            if hasattr(mw_instance, "process_exception"):
                self._exception_middleware.append(mw_instance.process_exception)
            layer = _Layer(mw_instance, is_async)
            if is_async:
                layer.call = _converting(self, mw_instance)
            layers.insert(0, (layer, rest))
        for index, (_, rest) in enumerate(layers):
            rest.index = index + 1
        self._layers = [layer for layer, _ in layers]

    def _sync_chain_called(self, request: "HttpRequest") -> Any:
        # Django's own get_response (an agent patched it, see .entry_points)
        # calls the chain on the request's thread: await it on the loop.
        lane = current_lane.get()
        if lane is not None and lane.serving_here():
            return lane.call_async(self._entry_chain, request)
        raise ImproperlyConfigured(
            "%s serves requests with get_response_async(); it was called "
            "synchronously. Serve it with a coroutine-WSGI server (gunicorn's "
            "gaiohttp worker) or an ASGI server." % type(self).__name__
        )

    async def get_response_async(self, request: "HttpRequest") -> Any:
        """Return an HttpResponse for the request (the async get_response)."""
        set_urlconf(settings.ROOT_URLCONF)
        response = await self._run_chain(request)
        compat.add_response_closer(response, request)
        if compat.log_response is not None:
            if response.status_code >= 400:
                compat.log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
        else:  # Django 1.11
            if not getattr(response, "is_rendered", True) and callable(getattr(response, "render", None)):
                response = await _render(_request_lane.get(), response)
            if response.status_code == 404:
                logger.warning("Not Found: %s", request.path, extra={"status_code": 404, "request": request})
        return response

    async def _run_layers(self, start: int, request: "HttpRequest") -> Any:
        """settings.MIDDLEWARE from layer ``start`` inwards, then the view.

        Each phase runs inline until a hook needs the thread; from there the
        rest of the phase runs on the lane in ONE trip (I/O-free hooks are as
        happy on the thread), so consecutive blocking hooks cost one trip.
        """
        lane = _request_lane.get()
        if start < len(self._layers) and self._layers[start].is_async:
            return await cast("_Chain", self._layers[start].call)(request)  # set: the layer is async
        index, value, state = self._request_phase(start, request, False)
        if state is _LANE:
            index, value, state = await lane.run(self._request_phase, index, request, True)
        if state is _FAILED:
            value = await self._response_for_exception(lane, request, value)
            index -= 1  # this layer's process_response is skipped
        elif state is _ASYNC:
            value = await cast("_Chain", self._layers[index].call)(request)  # set: the layer is async
            index -= 1  # the middleware did its own response phase
        elif state is _VIEW:
            value = await self._get_response_converted(request)
            index = len(self._layers) - 1
        while True:
            index, value, state = self._response_phase(start, index, request, value, False)
            if state is _LANE:
                index, value, state = await lane.run(self._response_phase, start, index, request, value, True)
            if state is _FAILED:
                value = await self._response_for_exception(lane, request, value)
                index -= 1
                continue
            return value

    def _run_layers_on_thread(self, start: int, request: "HttpRequest") -> Any:
        """What :meth:`_run_layers` does, on the request's thread: the inner
        chain of a middleware that called its ``get_response`` there. The
        hooks run in place (no trip to the loop and back per layer); the view,
        or an async-capable middleware, is awaited on the loop meanwhile."""
        lane = _request_lane.get()
        index, value, state = self._request_phase(start, request, True)
        if state is _ASYNC:
            value = lane.call_async(cast("_Chain", self._layers[index].call), request)  # set: the layer is async
            index -= 1  # the middleware did its own response phase
        elif state is _VIEW:
            value = lane.call_async(self._get_response_converted, request)
            index = len(self._layers) - 1
        return self._response_phase(start, index, request, value, True)[1]

    def _request_phase(self, index: int, request: "HttpRequest", on_thread: bool) -> PhaseEnd:
        """Request hooks from layer ``index`` inwards, Django's rules.

        Returns a :class:`PhaseEnd`; its :class:`Stop` says what ``layer``
        and ``value`` are.
        """
        layers = self._layers
        while index < len(layers):
            layer = layers[index]
            if layer.is_async:
                return PhaseEnd(index, None, _ASYNC)
            if layer.opaque:
                if not on_thread:
                    return PhaseEnd(index, None, _LANE)
                return PhaseEnd(index - 1, _call_opaque(layer.instance, request), _ANSWER)
            hook = layer.request_hook
            if hook is not None:
                mode = layer.request_mode
                if not on_thread and needs_lane(mode, request):
                    return PhaseEnd(index, None, _LANE)
                try:
                    response = hook(request)
                except Exception as exc:
                    if not on_thread:
                        return PhaseEnd(index, exc, _FAILED)
                    # this layer's process_response is skipped
                    return PhaseEnd(index - 1, response_for_exception(request, exc), _ANSWER)
                if response:
                    return PhaseEnd(index, response, _ANSWER)
            index += 1
        return PhaseEnd(index, None, _VIEW)

    def _response_phase(
        self, start: int, index: int, request: "HttpRequest", response: Any, on_thread: bool
    ) -> PhaseEnd:
        """Response hooks from layer ``index`` out to ``start``: a :class:`PhaseEnd`, as _request_phase."""
        layers = self._layers
        while index >= start:
            layer = layers[index]
            hook = layer.response_hook
            if hook is not None:
                mode = layer.response_mode
                if not on_thread and needs_lane(mode, request, response):
                    return PhaseEnd(index, response, _LANE)
                try:
                    response = hook(request, response)
                except Exception as exc:
                    if not on_thread:
                        return PhaseEnd(index, exc, _FAILED)
                    response = response_for_exception(request, exc)
            index -= 1
        return PhaseEnd(index, response, _ANSWER)

    async def _run_legacy_request_side(self, request: "HttpRequest") -> Any:
        """Django 1.11's ``_legacy_get_response``: request hooks, then the view."""
        lane = _request_lane.get()
        try:
            response = None
            for hook, mode in _current(self._request_hooks, self._request_middleware):
                response = await _run_hook(lane, mode, hook, request)
                if response:
                    break
            if response is None:
                response = await self._get_response(request)
        except CancelledError:
            raise
        except Exception as exc:
            response = await self._response_for_exception(lane, request, exc)
        return response

    async def _run_legacy_classes(self, request: "HttpRequest") -> Any:
        """Django 1.11's MIDDLEWARE_CLASSES: flat hook lists."""
        lane = _request_lane.get()
        response = await self._run_legacy_request_side(request)
        try:
            for hook, mode in _current(self._response_hooks, self._response_middleware):
                response = await _run_hook(lane, mode, hook, request, response)
                if response is None:
                    raise ValueError(
                        "%s.process_response didn't return an HttpResponse object. It "
                        "returned None instead." % hook.__self__.__class__.__name__
                    )
        except CancelledError:
            raise
        except Exception as exc:
            response = await lane.run_handling(exc, self._legacy_uncaught_exception, request)
        return response

    def _legacy_uncaught_exception(self, request: "HttpRequest") -> Any:
        signals.got_request_exception.send(sender=self.__class__, request=request)
        # Django 1.11's BaseHandler method (MIDDLEWARE_CLASSES is 1.11's only).
        return self.handle_uncaught_exception(request, get_resolver(get_urlconf()), sys.exc_info())  # type: ignore[attr-defined]

    async def _response_for_exception(self, lane: "AnyLane", request: "HttpRequest", exc: Exception) -> "HttpResponse":
        return await lane.run_handling(exc, response_for_exception, request, exc)

    async def _get_response_converted(self, request: "HttpRequest") -> Any:
        try:
            return await self._get_response(request)
        except CancelledError:
            raise
        except Exception as exc:
            return await self._response_for_exception(_request_lane.get(), request, exc)

    async def _get_response(self, request: "HttpRequest") -> Any:
        """Resolve and call the view, with view/exception/template-response hooks."""
        lane = _request_lane.get()
        response = None
        if hasattr(request, "urlconf"):
            urlconf = request.urlconf
            set_urlconf(urlconf)
            resolver = get_resolver(urlconf)
        else:
            resolver = get_resolver()
        resolver_match = resolver.resolve(request.path_info)
        callback, callback_args, callback_kwargs = resolver_match
        request.resolver_match = resolver_match

        for hook, mode in _current(self._view_hooks, self._view_middleware):
            response = await _run_hook(lane, mode, hook, request, callback, callback_args, callback_kwargs)
            if response:
                break

        if response is None:
            try:
                response = await self._call_view(lane, callback, request, callback_args, callback_kwargs)
            except CancelledError:
                raise
            except Exception as exc:
                response = await self._process_exception(lane, exc, request)

        views.check_response(response, callback)
        if not hasattr(response, "render") or not callable(response.render):
            return response
        for hook, mode in _current(self._template_response_hooks, self._template_response_middleware):
            response = await _run_hook(lane, mode, hook, request, response)
            if response is None:
                raise ValueError(
                    "%s.process_template_response didn't return an HttpResponse object. "
                    "It returned None instead." % hook.__self__.__class__.__name__
                )
        try:
            response = await _render(lane, response)
        except CancelledError:
            raise
        except Exception as exc:
            response = await self._process_exception(lane, exc, request)
        return response

    async def _call_view(
        self,
        lane: "AnyLane",
        callback: Callable[..., Any],
        request: "HttpRequest",
        args: Tuple[Any, ...],
        kwargs: Dict[str, Any],
    ) -> Any:
        # A request being served has its method.
        if views.kind_of(callback, cast(str, request.method)) is views.INLINE:
            aliases = self._atomic_requests and views.atomic_aliases(callback)
            if aliases:
                raise views.atomic_error(callback, aliases)
            if entry_points.make_view_atomic_patched():
                # An agent wraps views there (a span around the view), as
                # Django >= 3.1 calls it for coroutine views too.
                callback = self.make_view_atomic(callback)
            response = callback(request, *args, **kwargs)
        else:
            wrapped = self.make_view_atomic(callback)
            response = await lane.run(wrapped, request, *args, **kwargs)
            if not inspect.isawaitable(response) or not self.awaits_sync_view_results:
                return response
            if wrapped is not callback or views.wrapped_in_atomic(callback):
                _close(response)
                raise views.atomic_error(callback, views.atomic_aliases(callback))
        if not inspect.isawaitable(response):
            return response  # e.g. an async CBV answering 405 synchronously
        # The body stays unparsed, as in Django: the view may still set
        # request.upload_handlers, and `await load_body(request)` parses it on the lane.
        if lane.used and lane.pool_contended:
            lane.release()  # others wait for a thread: do not keep it through the view
        return await response  # else a thread held so far goes back once the view leaves it idle

    async def _process_exception(self, lane: "AnyLane", exc: Exception, request: "HttpRequest") -> Any:
        if not self._exception_middleware:
            raise exc
        if not self._async_exception_hooks:
            return await lane.run_handling(exc, self.process_exception_by_middleware, exc, request)
        # Django's process_exception_by_middleware, awaiting coroutine hooks
        # on the loop; sync ones run on the lane.
        for hook in self._exception_middleware:
            if iscoroutinefunction(hook):
                response = await hook(request, exc)
            else:
                response = await lane.run_handling(exc, hook, request, exc)
            if response:
                return response
        raise exc
