"""Version shims: everything that differs between Django/Python releases lives here.

Delete a branch when the release that needs it is dropped.
"""

import asyncio
import contextvars
import inspect
import types
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    cast,
)

import django

if TYPE_CHECKING:
    from django.core.handlers.asgi import ASGIHandler
    from django.dispatch import Signal
    from django.http.response import HttpResponseBase

    from ._typing import Scope, Send

_T = TypeVar("_T")
_R = TypeVar("_R")

DJANGO_VERSION = django.VERSION[:2]

#: Django >= 3.1 has its own async request path (ASGIHandler); ours steps aside.
NATIVE_ASYNC = DJANGO_VERSION >= (3, 1)

#: Django 1.11 still accepts MIDDLEWARE_CLASSES (selected when MIDDLEWARE is None).
HAS_MIDDLEWARE_CLASSES = DJANGO_VERSION < (2, 0)

#: Django 1.11's get_response renders late templates and logs only 404s;
#: 2.0+ logs every response >= 400 with log_response().
if DJANGO_VERSION >= (2, 0):
    from django.utils.log import log_response as log_response
else:
    log_response = None  # type: ignore[assignment]


def asgi_handle(
    asgi_handler_class: "Type[ASGIHandler]",
    handler: "ASGIHandler",
    scope: "Scope",
    receive: Callable[[], Awaitable[Mapping[str, Any]]],
    send: "Send",
) -> "Awaitable[Optional[HttpResponseBase]]":
    """Serve one request with Django's ASGIHandler code, without its thread context.

    4.0+: ``handle()`` (``__call__`` only adds the scope check and a
    ThreadSensitiveContext). 3.1/3.2: ``__call__`` of Django's class is the
    whole request and opens no context.
    """
    # A dict from any ASGI server, and a send that takes Django's (the stubs' types).
    scope_dict = cast("Dict[str, Any]", scope)
    django_send = cast("Callable[[Mapping[str, Any]], Awaitable[None]]", send)
    if DJANGO_VERSION >= (4, 0):
        return asgi_handler_class.handle(handler, scope_dict, receive, django_send)
    return asgi_handler_class.__call__(handler, scope_dict, receive, django_send)


#: Django < 5.0's ASGIHandler.send_response() ends with response.close() (5.0+: handle() calls it).
CLOSES_IN_SEND_RESPONSE = DJANGO_VERSION < (5, 0)


def send_response_needs_threads(response: "HttpResponseBase") -> bool:
    """True when Django's send_response() hands work to sync_to_async before the
    close: 4.2-4.x read a sync streaming iterator with sync_to_async(list)."""
    return (4, 2) <= DJANGO_VERSION < (5, 0) and response.streaming and not getattr(response, "is_async", False)


def live_receivers(signal: "Signal", sender: Any) -> List[Callable[..., Any]]:
    """The receivers ``signal`` would call for ``sender``, sync and async alike
    (Django 5.0+ returns them as two lists)."""
    found: Any = signal._live_receivers(sender)  # a plain list before 5.0
    if DJANGO_VERSION >= (5, 0):
        return list(found[0]) + list(found[1])
    return cast(List[Callable[..., Any]], found)


def iscoroutinefunction(func: Any) -> bool:
    """True for ``async def`` callables, bound methods and partials of them."""
    while hasattr(func, "func") and hasattr(func, "args"):  # functools.partial
        func = func.func
    return asyncio.iscoroutinefunction(func) or inspect.iscoroutinefunction(getattr(func, "__func__", func))


def uses_legacy_middleware_classes(settings: Any) -> bool:
    return HAS_MIDDLEWARE_CLASSES and settings.MIDDLEWARE is None


def add_response_closer(response: Any, obj: Any) -> None:
    """Make ``response.close()`` close ``obj`` (the attribute moved in 3.0)."""
    if hasattr(response, "_resource_closers"):
        response._resource_closers.append(obj.close)
    else:
        response._closable_objects.append(obj)


class ContextLocal:
    """A ``threading.local`` replacement whose values follow the asyncio task.

    Values live in a ContextVar holding an immutable-by-convention dict (copied
    on every write), so two requests that started from the same parent context
    never see each other's writes. The request's thread lane runs blocking work
    in a copy of the task's context and copies changes back, so a value set by
    middleware on the lane (``translation.activate``) is seen by the coroutine
    view on the loop, and the other way round.

    asgiref's ``Local`` is not used for this: on Python 3.7 (asgiref 3.7) it is
    keyed by task/thread launch maps that our lane threads are not part of, and
    later releases mutate one shared dict in place.
    """

    __slots__ = ("_var",)
    _var: "contextvars.ContextVar[Dict[str, Any]]"

    def __init__(self, name: str = "async_legacy.local") -> None:
        object.__setattr__(self, "_var", contextvars.ContextVar(name))

    def __getattr__(self, key: str) -> Any:
        try:
            return self._var.get()[key]
        except (LookupError, KeyError):
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        data = dict(self._var.get({}))
        data[key] = value
        self._var.set(data)

    def __delattr__(self, key: str) -> None:
        data = dict(self._var.get({}))
        if key not in data:
            raise AttributeError(key)
        del data[key]
        self._var.set(data)


_installed = False


def install_legacy_shims() -> None:
    """Make Django < 3.1 safe for many requests per thread.

    * urlconf, script prefix, active translation and current timezone are
      thread-locals in 1.11/2.2 (asgiref Locals keyed by task in 3.0): replace
      them by :class:`ContextLocal` so every request task has its own.
    * ``StreamingHttpResponse`` accepts async iterators, as it does from 4.2.
    * Django 2.x's deprecated settings (DEFAULT_CONTENT_TYPE, FILE_CHARSET)
      decide whether to warn from the caller's frame alone.

    Idempotent; a no-op on Django >= 3.1.
    """
    global _installed
    if _installed or NATIVE_ASYNC:
        return
    from django.urls import base
    from django.utils import timezone as tz
    from django.utils.translation import trans_real

    # Their thread-locals are private, absent from the stubs (Django 5.2's).
    urls_base: Any = base
    timezone: Any = tz
    urls_base._prefixes = ContextLocal("django.urls._prefixes")
    urls_base._urlconfs = ContextLocal("django.urls._urlconfs")
    _keep_context_local(trans_real, "_active", "django.translation._active")
    timezone._active = ContextLocal("django.timezone._active")
    _patch_streaming_response()
    _patch_gzip_middleware()
    _patch_deprecated_settings()
    _installed = True


def _keep_context_local(module: types.ModuleType, attr: str, name: str) -> None:
    """Make ``module.attr`` a ContextLocal that stays one.

    Django's test receiver for LANGUAGE_CODE/LANGUAGES/LOCALE_PATHS assigns a
    new ``threading.local`` to ``trans_real._active``; after that the language
    activated on the loop is not the one templates render in on the lane. A
    property on the module's class turns any such assignment into a fresh
    ContextLocal (functions read the module's globals, i.e. its ``__dict__``).
    """

    def get(self: types.ModuleType) -> Any:
        return self.__dict__[attr]

    def set(self: types.ModuleType, value: Any) -> None:
        self.__dict__[attr] = value if isinstance(value, ContextLocal) else ContextLocal(name)

    guarded = type("ContextLocalModule", (type(module),), {attr: property(get, set)})
    module.__class__ = guarded
    setattr(module, attr, None)


_thread_shims_installed = False


def install_thread_shims() -> None:
    """Third-party code that files per-request state by thread, told the request's thread.

    django-debug-toolbar (< 4.0: its logging panel) keeps log records per
    ``threading.current_thread()``: a coroutine view logs on the loop's
    thread, so its records were filed under the loop, not under the thread
    its request's middleware runs on. Idempotent; a no-op without the toolbar.
    """
    global _thread_shims_installed
    if _thread_shims_installed:
        return
    _thread_shims_installed = True
    from django.conf import settings

    if "debug_toolbar" not in settings.INSTALLED_APPS:
        return
    try:
        from debug_toolbar.utils import ThreadCollector  # type: ignore[import-not-found]
    except ImportError:  # a release without it
        return
    from .lane import request_thread

    get_collection, clear_collection = ThreadCollector.get_collection, ThreadCollector.clear_collection

    def get(self: Any, thread: Any = None) -> Any:
        return get_collection(self, request_thread() if thread is None else thread)

    def clear(self: Any, thread: Any = None) -> Any:
        return clear_collection(self, request_thread() if thread is None else thread)

    ThreadCollector.get_collection, ThreadCollector.clear_collection = get, clear


def install_test_shims() -> None:
    """Django < 3.1's test decorators, async-aware as they are from 3.1.

    ``override_settings``, ``modify_settings``, ``ignore_warnings``,
    ``isolate_apps``... (every ``TestContextDecorator``) wrap an ``async def``
    in a plain function that returns the coroutine after leaving the context,
    and ``skipIfDBFeature``/``skipUnlessDBFeature`` hide the ``async def``. Here
    they return coroutine functions that await the test inside the context.
    """
    global _test_shims_installed
    if _test_shims_installed or NATIVE_ASYNC:
        return
    import functools

    from django.test import testcases as django_testcases
    from django.test import utils

    # Patched below: a method, and a private helper absent from the stubs (Django 5.2's).
    decorator_class: Any = utils.TestContextDecorator
    testcases: Any = django_testcases
    sync_decorate: Callable[[Any, Callable[..., Any]], Callable[..., Any]] = decorator_class.decorate_callable

    def decorate_callable(self: Any, func: Callable[..., Any]) -> Callable[..., Any]:
        if not iscoroutinefunction(func):
            return sync_decorate(self, func)

        @functools.wraps(func)
        async def inner(*args: Any, **kwargs: Any) -> Any:
            with self as context:
                if self.kwarg_name:
                    kwargs[self.kwarg_name] = context
                return await func(*args, **kwargs)

        return inner

    decorator_class.decorate_callable = decorate_callable

    sync_deferred_skip = testcases._deferredSkip

    def _deferredSkip(*args: Any) -> Callable[[Any], Any]:
        sync_decorator = sync_deferred_skip(*args)

        def decorator(test_func: Any) -> Any:
            checked = sync_decorator(test_func)
            if not iscoroutinefunction(test_func) or isinstance(checked, type):
                return checked

            @functools.wraps(test_func)
            async def skip_wrapper(*a: Any, **kw: Any) -> Any:
                return await checked(*a, **kw)  # raises SkipTest before the body

            return skip_wrapper

        return decorator

    testcases._deferredSkip = _deferredSkip
    _test_shims_installed = True


_test_shims_installed = False


def _patch_streaming_response() -> None:
    from django.http import StreamingHttpResponse as django_class

    # Patched below: private names, and a property the stubs type precisely.
    StreamingHttpResponse: Any = django_class

    sync_setter = StreamingHttpResponse._set_streaming_content
    sync_getter = StreamingHttpResponse.streaming_content.fget

    def _set_streaming_content(self: Any, value: Any) -> None:
        if hasattr(value, "__aiter__"):
            self.is_async = True
            self._iterator = value
        else:
            self.is_async = False
            sync_setter(self, value)

    def _get_streaming_content(self: Any) -> Any:
        if self.is_async:
            return _amap(self.make_bytes, self._iterator)
        return sync_getter(self)

    def _set(self: Any, value: Any) -> None:
        self._set_streaming_content(value)

    StreamingHttpResponse.is_async = False
    StreamingHttpResponse._set_streaming_content = _set_streaming_content
    StreamingHttpResponse.streaming_content = property(_get_streaming_content, _set)


#: Django 2.0-3.0 settings whose LazySettings property warns when read outside
#: Django: name -> (message attribute in django.conf, warning class name).
_DEPRECATED_SETTINGS = {
    "DEFAULT_CONTENT_TYPE": ("DEFAULT_CONTENT_TYPE_DEPRECATED_MSG", "RemovedInDjango30Warning"),
    "FILE_CHARSET": ("FILE_CHARSET_DEPRECATED_MSG", "RemovedInDjango31Warning"),
}


def _patch_deprecated_settings() -> None:
    """Django's property runs traceback.extract_stack() (every frame, with its
    source line) on each read: on every HttpResponse for DEFAULT_CONTENT_TYPE,
    a third of a hello request under a coroutine stack. Only the caller's file
    decides, so that is all this version looks at; same warning, same place."""
    import os
    import sys
    import warnings

    from django import conf
    from django.utils import deprecation

    django_dir = os.path.dirname(django.__file__)
    for name, (message_name, category_name) in _DEPRECATED_SETTINGS.items():
        message = getattr(conf, message_name, None)
        category = getattr(deprecation, category_name, None)
        if not isinstance(conf.LazySettings.__dict__.get(name), property) or message is None or category is None:
            continue

        def read(self: Any, name: str = name, message: Any = message, category: Any = category) -> Any:
            if not sys._getframe(1).f_code.co_filename.startswith(django_dir):
                warnings.warn(message, category, stacklevel=2)
            return self.__getattr__(name)

        setattr(conf.LazySettings, name, property(read))


def _patch_gzip_middleware() -> None:
    """GZipMiddleware compresses async streaming content too (Django 4.2 does)."""
    from django.middleware import gzip

    # The module's own import of compress_sequence, absent from the stubs.
    gzip_middleware: Any = gzip

    sync_compress = gzip_middleware.compress_sequence

    def compress_sequence(sequence: Any) -> Any:
        if hasattr(sequence, "__aiter__"):
            return _acompress_sequence(sequence)
        return sync_compress(sequence)

    gzip_middleware.compress_sequence = compress_sequence


async def _acompress_sequence(sequence: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    from gzip import GzipFile

    from django.utils.text import StreamingBuffer

    buf = StreamingBuffer()
    with GzipFile(mode="wb", compresslevel=6, fileobj=buf, mtime=0) as zfile:
        yield buf.read()  # the gzip header, sent at once
        async for item in sequence:
            zfile.write(item)
            data = buf.read()
            if data:
                yield data
    yield buf.read()


async def _amap(func: Callable[[_T], _R], aiterable: AsyncIterable[_T]) -> AsyncIterator[_R]:
    async for item in aiterable:
        yield func(item)


def superseded(name: str, replacement: str, since: Tuple[int, int]) -> None:
    """Warn that ``name`` of ours has a Django replacement on this release.

    Our name keeps working (it forwards to Django's); the warning tells the
    user what to import once they no longer need older Djangos.
    """
    import warnings

    warnings.warn(
        "async_legacy's %s: Django %s.%s+ has %s, which this call now uses; import that "
        "instead once the project no longer runs on older Django." % ((name,) + tuple(since) + (replacement,)),
        DeprecationWarning,
        stacklevel=3,
    )


def forwarding(
    module_name: str, ours: Dict[str, Any], django_module: str, since: Tuple[int, int]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` serving ``ours`` before ``since``, Django's names after.

    From ``since`` on each access returns ``django_module``'s object of the
    same name and warns (see ``superseded``).
    """
    import importlib

    def __getattr__(name: str) -> Any:
        if name not in ours:
            raise AttributeError("module %r has no attribute %r" % (module_name, name))
        if DJANGO_VERSION >= since:
            superseded(name, "%s.%s" % (django_module, name), since)
            return getattr(importlib.import_module(django_module), name)
        return ours[name]

    return __getattr__


#: CacheMiddleware's keyword for cache_page's timeout (renamed in 3.1).
CACHE_PAGE_TIMEOUT_ARG = "page_timeout" if DJANGO_VERSION >= (3, 1) else "cache_timeout"


def view_middleware(
    middleware_class: Callable[..., _R], view_func: Callable[..., Any], args: Sequence[Any], kwargs: Dict[str, Any]
) -> _R:
    """The middleware instance Django's make_middleware_decorator builds for a view.

    3.1+ pass the view as ``get_response`` (required from 4.0); before, none.
    """
    if DJANGO_VERSION >= (3, 1):
        return middleware_class(view_func, *args, **kwargs)
    return middleware_class(*args, **kwargs)
