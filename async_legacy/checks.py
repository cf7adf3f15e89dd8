"""System checks (``manage.py check``) for projects with coroutine views.

Registered when ``"async_legacy"`` is in INSTALLED_APPS. Each message names
the view, setting or middleware and the fix.
"""

import inspect
from typing import TYPE_CHECKING, Any, Callable, Container, Iterator, List, Optional, Sequence, Tuple, Union, cast

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from .compat import NATIVE_ASYNC, iscoroutinefunction
from .views import wrapped_in_atomic

if TYPE_CHECKING:
    from django.apps import AppConfig

TAG = "async_legacy"
_HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")


def _name(func: Any) -> str:
    func = getattr(func, "view_class", func)  # as_view() copies the class's name only before 4.0
    return "%s.%s" % (getattr(func, "__module__", "?"), getattr(func, "__qualname__", repr(func)))


def _url_views(patterns: Optional[Sequence[Any]] = None, prefix: str = "") -> Iterator[Tuple[str, Any]]:
    """(route, callback) for every view of the project's URLconf."""
    if patterns is None:
        from django.urls import get_resolver

        patterns = get_resolver().url_patterns
    for entry in patterns:
        pattern = getattr(entry, "pattern", None)  # Django 2.0+
        route = prefix + (str(pattern) if pattern is not None else entry.regex.pattern)
        if hasattr(entry, "url_patterns"):
            yield from _url_views(entry.url_patterns, route)
        elif getattr(entry, "callback", None) is not None:
            yield route, entry.callback


def _async_handlers(view_class: Any) -> List[str]:
    return [m for m in _HTTP_METHODS if iscoroutinefunction(getattr(view_class, m, None))]


def is_coroutine_view(callback: Any) -> bool:
    """True for ``async def`` views and class-based views with async handlers."""
    if iscoroutinefunction(callback):
        return True
    view_class = getattr(callback, "view_class", None)
    return view_class is not None and bool(_async_handlers(view_class))


def _hidden_coroutine(callback: Any) -> Optional[Callable[..., Any]]:
    """The ``async def`` a plain-function decorator hides, or None."""
    if iscoroutinefunction(callback) or getattr(callback, "view_class", None) is not None:
        return None
    inner: Optional[Callable[..., Any]] = getattr(callback, "__wrapped__", None)
    while inner is not None:
        if iscoroutinefunction(inner):
            return inner
        inner = getattr(inner, "__wrapped__", None)
    return None


def _wrapper_site(callback: Any) -> str:
    code = getattr(callback, "__code__", None)
    if code is None:
        return type(callback).__name__
    return "%s() in %s" % (code.co_name, code.co_filename)


@checks.register(TAG, checks.Tags.urls)
def check_views(app_configs: "Optional[Sequence[AppConfig]]" = None, **kwargs: Any) -> List[checks.CheckMessage]:
    errors: List[checks.CheckMessage] = []
    atomic = [alias for alias, db in settings.DATABASES.items() if db.get("ATOMIC_REQUESTS")]
    coroutine_views = []
    for route, callback in _url_views():
        hidden = _hidden_coroutine(callback)
        if hidden is not None and wrapped_in_atomic(callback):
            errors.append(
                checks.Error(
                    "The view %s (route %r) is an async def decorated with transaction.atomic: a "
                    "transaction cannot span a coroutine view, so every request to it fails." % (_name(hidden), route),
                    hint="Remove @transaction.atomic from the view; put the database work in a sync function "
                    "decorated with transaction.atomic and call it with await sync_to_async(func)(...).",
                    obj=_name(hidden),
                    id="async_legacy.E001",
                )
            )
            coroutine_views.append(callback)
            continue
        if hidden is not None:
            errors.append(
                checks.Warning(
                    "The view %s (route %r) is an async def wrapped by a decorator whose wrapper is a plain "
                    "function (%s). Django's ASGIHandler (3.1+) then runs it in a thread and gets an "
                    "unawaited coroutine back, and decorators that edit the response fail on it."
                    % (_name(hidden), route, _wrapper_site(callback)),
                    hint="Import the decorator from async_legacy.decorators (same names as Django's, "
                    "async-aware), or make its wrapper an async def.",
                    obj=_name(hidden),
                    id="async_legacy.W002",
                )
            )
            coroutine_views.append(callback)
            continue
        if not is_coroutine_view(callback):
            continue
        coroutine_views.append(callback)
        exempt: Container[str] = getattr(callback, "_non_atomic_requests", set())
        for alias in atomic:
            if alias not in exempt:
                errors.append(
                    checks.Error(
                        "The coroutine view %s (route %r) runs under ATOMIC_REQUESTS of database %r: "
                        "a transaction cannot span an async view, so every request to it fails."
                        % (_name(callback), route, alias),
                        hint="Decorate the view with django.db.transaction.non_atomic_requests(using=%r), "
                        "or set DATABASES[%r]['ATOMIC_REQUESTS'] = False and use transaction.atomic "
                        "inside sync code." % (alias, alias),
                        obj=_name(callback),
                        id="async_legacy.E001",
                    )
                )
    if coroutine_views:
        errors.extend(_check_wsgi_application(coroutine_views))
    return errors


def _check_wsgi_application(coroutine_views: List[Any]) -> List[checks.CheckMessage]:
    path = getattr(settings, "WSGI_APPLICATION", None)
    if not path:
        return []
    try:
        app = import_string(path)
    except Exception:  # Django's runserver reports a broken WSGI_APPLICATION itself
        return []
    from django.core.handlers.wsgi import WSGIHandler

    app = getattr(app, "application", app)  # WhiteNoise and similar wrappers
    if not isinstance(app, WSGIHandler) or getattr(app, "coroutine_wsgi", None):
        return []
    return [
        checks.Warning(
            "WSGI_APPLICATION %r is Django's plain WSGIHandler, but %d view(s) are coroutines (%s, ...). "
            "Under it they %s."
            % (
                path,
                len(coroutine_views),
                _name(coroutine_views[0]),
                "each run to completion in a thread of their own: no request waits concurrently"
                if NATIVE_ASYNC
                else "fail ('didn't return an HttpResponse object')",
            ),
            hint="In wsgi.py: from async_legacy import get_application; application = get_application(); "
            "and serve it with gunicorn's gaiohttp worker (import async_legacy.worker, worker_class = 'gaiohttp').",
            obj=path,
            id="async_legacy.W003",
        )
    ]


def _middleware_paths() -> Sequence[str]:
    if settings.MIDDLEWARE is not None:
        return cast(Sequence[str], settings.MIDDLEWARE)
    return cast(Sequence[str], getattr(settings, "MIDDLEWARE_CLASSES", ()))


def _middleware_factories() -> Iterator[Tuple[str, Any]]:
    """(dotted path, factory) for every importable entry of MIDDLEWARE."""
    for path in _middleware_paths():
        try:
            yield path, import_string(path)
        except ImportError:
            continue  # Django's own checks and startup report it


def _pipeline_serves() -> bool:
    """True when async_legacy's pipeline (and its thread lane) serves requests:
    Django < 3.1, or ASYNC_LEGACY_PIPELINE = True."""
    if not NATIVE_ASYNC:
        return True
    from django.core.exceptions import ImproperlyConfigured

    from . import conf

    try:
        return conf.pipeline()
    except ImproperlyConfigured:
        return False  # get_application() refuses the value, naming the setting


@checks.register(TAG)
def check_middleware(app_configs: "Optional[Sequence[AppConfig]]" = None, **kwargs: Any) -> List[checks.CheckMessage]:
    """Info: middleware whose hooks run on the request's thread lane (the pipeline only)."""
    if not _pipeline_serves():
        return []
    from . import conf, hooks
    from .pipeline import splittable

    try:
        conf.get("ASYNC_LEGACY_INLINE_MIDDLEWARE")
    except conf.InvalidSetting:
        return []  # check_settings reports it

    messages: List[checks.CheckMessage] = []
    for path, factory in _middleware_factories():
        split = splittable(factory)
        on_lane: Union[List[str], bool]
        if getattr(factory, "async_capable", False) and settings.MIDDLEWARE is not None and not split:
            continue  # awaited on the loop: no trip
        if inspect.isclass(factory) and hooks.declared_inline(factory):
            continue
        if split:
            on_lane = [name for name in hooks.HOOK_NAMES if hooks.class_hook_mode(factory, name) is hooks.LANE]
            what = "its hooks %s run" % ", ".join(on_lane)
            hint = (
                "If they never block (no database, cache, file or network I/O), set "
                "async_legacy_inline = True on the class or list %r in ASYNC_LEGACY_INLINE_MIDDLEWARE; "
                "process_view/process_exception/process_template_response may also be async def "
                "(awaited on the loop)." % path
            )
        else:
            on_lane = True
            what = "it runs as a whole (a sync function, or a class with its own __call__)"
            hint = (
                "Write it as async middleware (a class with async_capable = True and async def __call__, "
                "or a function decorated with async_legacy.async_only_middleware / "
                "sync_and_async_middleware): it is then awaited on the loop, as on Django 3.1+."
            )
        if on_lane:
            messages.append(
                checks.Info(
                    "Middleware %s: %s on the request's thread lane: a trip to a thread in each "
                    "request phase where they run." % (path, what),
                    hint=hint,
                    obj=path,
                    id="async_legacy.I004",
                )
            )
    return messages


@checks.register(TAG)
def check_settings(app_configs: "Optional[Sequence[AppConfig]]" = None, **kwargs: Any) -> List[checks.CheckMessage]:
    """Error: an ASYNC_LEGACY_* setting whose value is refused (named, with what it accepts)."""
    from . import conf

    errors: List[checks.CheckMessage] = []
    for setting in conf.of_source(conf.DJANGO):
        try:
            conf.get(setting.name)
        except conf.InvalidSetting as exc:
            errors.append(
                checks.Error(
                    str(exc),
                    hint="Set %s to %s, or remove it (default: %s)."
                    % (setting.name, setting.expected, setting.default_doc),
                    obj=setting.name,
                    id="async_legacy.E009",
                )
            )
    return errors


@checks.register(TAG)
def check_thread_affinity(
    app_configs: "Optional[Sequence[AppConfig]]" = None, **kwargs: Any
) -> List[checks.CheckMessage]:
    """Warning: requests give their thread back while they await (the pipeline only)."""
    if not _pipeline_serves():
        return []
    from . import conf

    try:
        value = conf.get("ASYNC_LEGACY_THREAD_AFFINITY")
    except conf.InvalidSetting:
        return []  # check_settings reports it
    if value is not False:
        return []  # True; anything else is refused, naming the setting, when the application is made
    return [
        checks.Warning(
            "ASYNC_LEGACY_THREAD_AFFINITY is False: a request gives its thread back while it awaits, so its "
            "sync steps (middleware hooks, sync_to_async, templates, signal receivers) may run on different "
            "threads, and a threading.local set by one step may be gone, or another request's, at the next "
            "(django-simple-history's HistoryRequestMiddleware, audit-log and current-user middleware).",
            hint="Remove the setting (True, the default: one thread per request, as Django's sync handler) "
            "unless no middleware, receiver or view of the project keeps per-request state in a "
            "threading.local; for many waiting requests raise ASYNC_LEGACY_THREADS instead.",
            obj="ASYNC_LEGACY_THREAD_AFFINITY",
            id="async_legacy.W008",
        )
    ]


#: The code flag of an ``async def``.
_CO_COROUTINE = inspect.CO_COROUTINE


def _defines_async_function(func: Any) -> bool:
    """True when ``func``'s body defines an ``async def`` (it may return one)."""
    code = getattr(func, "__code__", None)
    return code is not None and any(
        inspect.iscode(const) and const.co_flags & _CO_COROUTINE for const in code.co_consts
    )


@checks.register(TAG)
def check_async_middleware_flags(
    app_configs: "Optional[Sequence[AppConfig]]" = None, **kwargs: Any
) -> List[checks.CheckMessage]:
    """Warning: async middleware Django's handler (and ours) would call as sync code."""
    if settings.MIDDLEWARE is None:
        return []  # MIDDLEWARE_CLASSES: old-style hooks only
    messages: List[checks.CheckMessage] = []
    for path, factory in _middleware_factories():
        can_async = getattr(factory, "async_capable", False)
        can_sync = getattr(factory, "sync_capable", True)
        if inspect.isclass(factory):
            if not iscoroutinefunction(getattr(factory, "__call__", None)):  # noqa: B004 - the method, to test it
                continue
            if not can_async:
                problem = "its __call__ is async def but the class is not async_capable"
            elif can_sync:
                problem = (
                    "its __call__ is async def but it is also sync_capable (the default): Django's "
                    "WSGIHandler (3.1+) would call it synchronously and get a coroutine back"
                )
            else:
                continue
            hint = (
                "On the class set async_capable = True and sync_capable = False, and in __init__ call "
                "asgiref.sync.markcoroutinefunction(self) when iscoroutinefunction(get_response)."
            )
        else:
            if can_async or not _defines_async_function(factory):
                continue
            problem = (
                "the function returns an async def middleware but is not async_capable, so it is "
                "built with a sync get_response and called as sync code"
            )
            hint = (
                "Decorate the factory with async_only_middleware (or sync_and_async_middleware if it "
                "also returns a sync function for a sync get_response), from async_legacy "
                "(Django's own on 3.1+)."
            )
        messages.append(
            checks.Warning(
                "Middleware %s: %s; its responses would be unawaited coroutines." % (path, problem),
                hint=hint,
                obj=path,
                id="async_legacy.W007",
            )
        )
    return messages


@checks.register(TAG)  # reads settings only: not a "database" check, which needs --database
def check_persistent_connections(
    app_configs: "Optional[Sequence[AppConfig]]" = None, **kwargs: Any
) -> List[checks.CheckMessage]:
    messages: List[checks.CheckMessage] = []
    lane = _pipeline_serves()
    for alias, db in settings.DATABASES.items():
        age = db.get("CONN_MAX_AGE", 0)
        if not lane and age != 0:
            messages.append(
                checks.Warning(
                    "DATABASES[%r]['CONN_MAX_AGE'] is %r and requests are served by Django's ASGIHandler: "
                    "each request's sync work runs on a thread of its own, so persistent connections are "
                    "never reused and stay open until garbage-collected (Django ticket #33497)." % (alias, age),
                    hint="Set CONN_MAX_AGE = 0 (Django's advice under ASGI), or use the backend's "
                    "connection pool (PostgreSQL on Django 5.1+: OPTIONS={'pool': True}) or pgbouncer.",
                    obj="DATABASES[%r]" % alias,
                    id="async_legacy.W005",
                )
            )
        elif lane and age is None:
            messages.append(
                checks.Warning(
                    "DATABASES[%r]['CONN_MAX_AGE'] is None: every thread that serves blocking work (up to "
                    "ASYNC_LEGACY_THREADS per worker process) keeps its connection for the life of the "
                    "process, also while idle." % alias,
                    hint="Use a finite CONN_MAX_AGE (for example 60): a lane thread closes an expired "
                    "connection when it next serves a request.",
                    obj="DATABASES[%r]" % alias,
                    id="async_legacy.W005",
                )
            )
    return messages


@checks.register(TAG)
def check_app_order(app_configs: "Optional[Sequence[AppConfig]]" = None, **kwargs: Any) -> List[checks.CheckMessage]:
    """Warning: staticfiles listed first takes ``runserver`` (legacy path only)."""
    if NATIVE_ASYNC:
        return []
    from django.apps import apps

    names = [config.name for config in apps.get_app_configs()]
    if "django.contrib.staticfiles" in names and names.index("django.contrib.staticfiles") < names.index(
        "async_legacy"
    ):
        return [
            checks.Warning(
                "django.contrib.staticfiles comes before async_legacy in INSTALLED_APPS, so manage.py "
                "runserver is staticfiles' (a threaded WSGI server: coroutine views fail there).",
                hint="List 'async_legacy' before 'django.contrib.staticfiles' in INSTALLED_APPS.",
                obj="INSTALLED_APPS",
                id="async_legacy.W006",
            )
        ]
    return []
