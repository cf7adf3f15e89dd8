"""Where each middleware hook runs: inline on the event loop, or on the lane.

A hook runs inline only when it is known not to block: Django's own I/O-free
hooks, and hooks their authors declare (``async_legacy_inline = True`` on the
class, or its dotted path in ``ASYNC_LEGACY_INLINE_MIDDLEWARE``). Some of
Django's hooks do I/O only in some requests (a session save happens only when
the session was modified); those get a predicate that decides per request.
Everything else - unknown code may query the database - runs on the lane.
"""

import enum
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Set, Tuple, Union, cast

import django
from django.conf import settings
from django.utils.module_loading import import_string

from . import conf
from .compat import iscoroutinefunction

if TYPE_CHECKING:
    from typing import Literal

    from django.http import HttpRequest
    from django.http.response import HttpResponseBase


class Mode(enum.Enum):
    """Where a hook (or a view: views.kind_of) runs. A hook's mode may also be a
    predicate ``(request, *hook_args) -> needs the lane``, decided per request."""

    #: On the loop: known not to block.
    INLINE = "inline"
    #: On the request's lane (its thread): it may block.
    LANE = "lane"
    #: A coroutine function: awaited on the loop (as Django 3.1+ does).
    AWAIT = "await"


# Literal types: ``mode is INLINE`` narrows a HookMode as ``Mode.INLINE`` would.
INLINE: "Literal[Mode.INLINE]" = Mode.INLINE
LANE: "Literal[Mode.LANE]" = Mode.LANE
AWAIT: "Literal[Mode.AWAIT]" = Mode.AWAIT

#: A hook's mode: a Mode, or a predicate ``(request, *hook_args) -> needs the lane``.
HookMode = Union[Mode, Callable[..., bool]]

#: A request body at least this large is parsed on the lane, not the loop.
HEAVY_BODY = 64 * 1024


def body_is_heavy(request: "HttpRequest") -> bool:
    """True when parsing ``request.POST`` could block (large body or uploads)."""
    if hasattr(request, "_post") or request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return False
    meta = request.META
    if meta.get("CONTENT_TYPE", "").startswith("multipart/"):
        return True
    try:
        return int(meta.get("CONTENT_LENGTH") or 0) >= HEAVY_BODY
    except ValueError:
        return False


#: Session engines whose load() and save() do no I/O.
_IO_FREE_SESSIONS = ("django.contrib.sessions.backends.signed_cookies",)


def _session_saves(request: "HttpRequest", response: "HttpResponseBase") -> bool:
    session = getattr(request, "session", None)
    return (
        session is not None
        and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST)
        and type(session).__module__ not in _IO_FREE_SESSIONS
    )


#: get_language_from_request() reads the session on Django 1.11 and 2.2 only.
_LANGUAGE_IN_SESSION = django.VERSION < (3, 0)


def _session_load_blocks(request: "HttpRequest", *args: Any) -> bool:
    # Loading the session does I/O only for a session cookie of a
    # storage-backed engine: without a key, SessionStore.load() is never called.
    session = getattr(request, "session", None)
    return (
        _LANGUAGE_IN_SESSION
        and session is not None
        and not hasattr(session, "_session_cache")
        and session.session_key is not None
        and type(session).__module__ not in _IO_FREE_SESSIONS
    )


def _messages_stored(request: "HttpRequest", response: "HttpResponseBase") -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and (storage.used or storage.added_new)


def _csrf_in_session(request: "HttpRequest", *args: Any) -> bool:
    return cast(bool, settings.CSRF_USE_SESSIONS)


def _csrf_view(request: "HttpRequest", *args: Any) -> bool:
    return settings.CSRF_USE_SESSIONS or body_is_heavy(request)


def _all_inline(*names: str) -> Dict[str, HookMode]:
    return dict.fromkeys(names, INLINE)


#: Django's own middleware, hook by hook. Checked against the hook function
#: itself, so a subclass that overrides a hook falls back to LANE.
KNOWN: Dict[str, Dict[str, HookMode]] = {
    "django.middleware.security.SecurityMiddleware": _all_inline("process_request", "process_response"),
    "django.middleware.common.CommonMiddleware": _all_inline("process_request", "process_response"),
    "django.middleware.clickjacking.XFrameOptionsMiddleware": _all_inline("process_response"),
    "django.middleware.gzip.GZipMiddleware": _all_inline("process_response"),
    "django.middleware.http.ConditionalGetMiddleware": _all_inline("process_response"),
    "django.middleware.csrf.CsrfViewMiddleware": {
        "process_request": _csrf_in_session,
        "process_view": _csrf_view,
        "process_response": _csrf_in_session,
    },
    "django.contrib.sessions.middleware.SessionMiddleware": {
        "process_request": INLINE,
        "process_response": _session_saves,
    },
    "django.contrib.auth.middleware.AuthenticationMiddleware": _all_inline("process_request"),
    "django.contrib.messages.middleware.MessageMiddleware": {
        "process_request": INLINE,
        "process_response": _messages_stored,
    },
    "django.middleware.locale.LocaleMiddleware": {
        "process_request": _session_load_blocks,
        "process_response": INLINE,
    },
}

_known_functions: Optional[Dict[Callable[..., Any], HookMode]] = None


def _known() -> Dict[Callable[..., Any], HookMode]:
    """{hook function: mode} for the known middleware that are importable."""
    global _known_functions
    if _known_functions is None:
        table: Dict[Callable[..., Any], HookMode] = {}
        for path, modes in KNOWN.items():
            try:
                cls = import_string(path)
            except ImportError:  # an app not installed in this project
                continue
            for name, mode in modes.items():
                func = cls.__dict__.get(name)
                if func is not None:
                    table[func] = mode
        _known_functions = table
    return _known_functions


def declared_inline(middleware: Any) -> bool:
    """True when the middleware (a class or an instance) is declared never to block.

    ``async_legacy_inline = True`` on the class, or a dotted path in
    ASYNC_LEGACY_INLINE_MIDDLEWARE that imports to the class: the path it is
    defined at or one that re-exports it (the one settings.MIDDLEWARE names).
    The pipeline and the system check both ask here, so they agree.
    """
    cls = middleware if isinstance(middleware, type) else type(middleware)
    if getattr(cls, "async_legacy_inline", False):
        return True
    return cls in _listed_inline(conf.get("ASYNC_LEGACY_INLINE_MIDDLEWARE"))


_listed: Dict[Tuple[str, ...], Set[type]] = {}  # {ASYNC_LEGACY_INLINE_MIDDLEWARE: the classes it names}


def _listed_inline(paths: Tuple[str, ...]) -> Set[type]:
    found = _listed.get(paths)
    if found is None:
        found = set()
        for path in paths:
            try:
                found.add(import_string(path))
            except ImportError:
                continue  # settings.MIDDLEWARE's own import reports a wrong path
        _listed[paths] = found
    return found


#: class_hook_mode's answer when the class has no such hook.
ABSENT = object()

HOOK_NAMES = ("process_request", "process_view", "process_template_response", "process_exception", "process_response")


def class_hook_mode(cls: type, name: str) -> Union[HookMode, object]:
    """Where ``cls``'s hook ``name`` runs: INLINE, LANE, a predicate, or ABSENT."""
    for klass in cls.__mro__:
        func = klass.__dict__.get(name)
        if func is not None:
            if iscoroutinefunction(func):
                return AWAIT
            return _known().get(func, LANE)
    return ABSENT


def mode_of(bound_hook: Callable[..., Any]) -> HookMode:
    """INLINE, LANE, AWAIT or a predicate ``(request, *hook_args) -> needs lane``."""
    if iscoroutinefunction(bound_hook):
        return AWAIT
    owner = getattr(bound_hook, "__self__", None)
    if owner is None:
        return LANE
    if declared_inline(owner):
        return INLINE
    mode = class_hook_mode(type(owner), bound_hook.__name__)
    return LANE if mode is ABSENT else cast(HookMode, mode)


def needs_lane(mode: HookMode, *args: Any) -> bool:
    """Does a hook of this mode need the lane for these arguments? (The one place that says.)"""
    return mode is LANE or (mode is not INLINE and mode is not AWAIT and mode(*args))
