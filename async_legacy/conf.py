"""Every setting of async_legacy and of its gunicorn worker, defined and checked once.

``ASYNC_LEGACY_*`` are Django settings (``settings.py``); ``GAIOHTTP_*`` are
read from the worker's environment (gunicorn's ``raw_env`` / ``-e`` put them
there before workers fork). Each is one :class:`Setting` in ``SETTINGS``: its
name, default, what it accepts and what it means. ``get()`` and ``env()``
return a checked value; a refused one raises :class:`InvalidSetting`, whose
message names the setting, the value and what to write instead. The settings
reference in the docs is generated from this table (scripts/settings_doc.py).
"""

import os
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

#: Where a setting is read from.
DJANGO = "Django setting"
ENVIRONMENT = "environment variable"


class InvalidSetting(ImproperlyConfigured, ValueError):
    """A setting's value was refused. An ImproperlyConfigured for Django's
    checks and startup, and a ValueError for code that expects one."""

    def __init__(self, name: str, value: Any, expected: str) -> None:
        super().__init__("%s must be %s; got %r." % (name, expected, value))
        self.name = name
        self.value = value


class Setting:
    """One setting: ``parse(value)`` returns the value to use or raises ValueError."""

    __slots__ = ("name", "default", "parse", "expected", "meaning", "source", "default_doc")

    def __init__(
        self,
        name: str,
        default: Any,
        parse: Callable[[Any], Any],
        expected: str,
        meaning: str,
        source: str = DJANGO,
        default_doc: Optional[str] = None,
    ) -> None:
        self.name = name
        #: The value when unset, or a callable computing it from Django's settings.
        self.default = default
        self.parse = parse
        #: What it accepts, as the error message and the docs say it.
        self.expected = expected
        self.meaning = meaning
        self.source = source
        self.default_doc = default_doc if default_doc is not None else repr(default)

    def check(self, value: Any) -> Any:
        try:
            return self.parse(value)
        except (TypeError, ValueError):
            raise InvalidSetting(self.name, value, self.expected) from None


# -- what the settings accept ------------------------------------------------
def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError
    return value


def _positive_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError
    return value


def _non_negative_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError
    return value


def _seconds_up_to(limit: float) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= limit:
            raise ValueError
        return value

    return parse


def _optional_positive_seconds(value: Any) -> Optional[float]:
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise ValueError
    return float(value)


def _dotted_paths(value: Any) -> Tuple[str, ...]:
    # A bare string would be read letter by letter.
    if isinstance(value, str) or not all(isinstance(path, str) for path in value):
        raise ValueError
    return tuple(value)


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _env_flag(raw: str) -> bool:
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError


def _env_number(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        value = kind(raw)
        if value < 0:
            raise ValueError
        return value

    return parse


def _env_choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        word = raw.strip().lower()
        if word not in choices:
            raise ValueError
        return word

    return parse


def _blocking_default() -> Optional[float]:
    return 0.1 if settings.DEBUG else None


# -- the table -----------------------------------------------------------------
SETTINGS: List[Setting] = [
    Setting(
        "ASYNC_LEGACY_THREADS",
        1000,
        _positive_int,
        "a positive integer (the number of threads a worker process may use for blocking work)",
        "Threads one worker process may use for blocking work (sync views, hooks that may do I/O, "
        "templates, the ORM): one per request in flight that has run sync code, so also the bound on "
        "its database connections. Created on demand; beyond 32, unused ones exit after 30 s. 1000 is "
        "gunicorn's default worker_connections, so requests never queue for a thread by default.",
    ),
    Setting(
        "ASYNC_LEGACY_THREAD_AFFINITY",
        True,
        _bool,
        "True (a request keeps its thread until it ends: thread-locals as in Django's sync handler) "
        "or False (a request gives its thread back while it awaits)",
        "True: a request keeps the thread it took until it ends, so all its sync code runs on one "
        "thread. False (opt-in): it gives the thread back while it awaits; thread-locals set before "
        "an await may be gone after it.",
    ),
    Setting(
        "ASYNC_LEGACY_THREAD_IDLE",
        0.005,
        _seconds_up_to(60),
        "a number of seconds from 0 to 60 (how long a request keeps an idle thread before giving it "
        "back; 0 gives it back at once)",
        "Without affinity: seconds a request keeps a lane thread it has left idle before giving it "
        "back. A burst of blocking steps keeps one thread and one database connection.",
    ),
    Setting(
        "ASYNC_LEGACY_ADMIT_WHILE_BUSY",
        2,
        _non_negative_int,
        "a whole number, 0 or more (0: no limit)",
        "While the requests of late use 1.5 ms or more of CPU each on their thread on average (an API "
        "of requests that mostly compute: a DRF list rendered from the database), a new request is "
        "let in only while fewer than this many requests in flight are running (on their thread or "
        "on the loop); the others wait their turn, in arrival order, before Django sees them, so "
        "their garbage stays out of the collector's old generation. Not counted: requests waiting on "
        "a timer or a socket, a thread blocked for 20 ms, requests in flight for 0.1 s or more. "
        "Lighter requests are never held. 0: every request is let in at once.",
    ),
    Setting(
        "ASYNC_LEGACY_INLINE_MIDDLEWARE",
        (),
        _dotted_paths,
        "a list of dotted paths of middleware classes, e.g. ['myapp.middleware.Timing']",
        "Middleware classes whose hooks never block (no database, cache, file or network I/O): "
        "their hooks run on the event loop, with no trip to a thread. A path counts when it imports "
        "to the class, so a re-export (the path settings.MIDDLEWARE names) does.",
    ),
    Setting(
        "ASYNC_LEGACY_PIPELINE",
        False,
        _bool,
        "True (Django >= 3.1 serves the middleware and views through async_legacy's pipeline) or "
        "False (Django's own ASGIHandler, the default)",
        "Django >= 3.1: serve the middleware and view path through async_legacy's pipeline instead "
        "of Django's ASGIHandler chain (on Django < 3.1 the pipeline always serves).",
    ),
    Setting(
        "ASYNC_LEGACY_BLOCKING_THRESHOLD",
        _blocking_default,
        _optional_positive_seconds,
        "a number of seconds > 0 (for example 0.1) or None to turn the blocking detector off",
        "Log a warning, with the stack that held it, when one step blocks the event loop longer than this.",
        default_doc="0.1 when DEBUG is on, else None (off)",
    ),
    Setting(
        "GAIOHTTP_MAX_BODY_SIZE",
        100 * 1024 * 1024,
        _env_number(int),
        "a number of bytes (0 for no limit)",
        "Request bodies larger than this get 413.",
        ENVIRONMENT,
        "104857600 (100 MiB)",
    ),
    Setting(
        "GAIOHTTP_HEAD_TIMEOUT",
        10.0,
        _env_number(float),
        "a number of seconds (0 for no limit)",
        "Seconds a client has to send a whole request head (and a PROXY header); then 408.",
        ENVIRONMENT,
    ),
    Setting(
        "GAIOHTTP_BODY_TIMEOUT",
        30.0,
        _env_number(float),
        "a number of seconds (0 for no limit)",
        "Seconds the application may wait for the next piece of a request body.",
        ENVIRONMENT,
    ),
    Setting(
        "GAIOHTTP_GC_FREEZE",
        True,
        _env_flag,
        "1 or 0",
        "1: once the application is loaded, its objects leave the cyclic garbage collector's reach "
        "(gc.freeze), so a full collection walks only the requests' objects.",
        ENVIRONMENT,
        "1",
    ),
    Setting(
        "GAIOHTTP_CPU_AFFINITY",
        True,
        _env_flag,
        "1 or 0",
        "1: with several workers, each is pinned to one CPU (worker/affinity.py); 0 leaves them free.",
        ENVIRONMENT,
        "1",
    ),
    Setting(
        "GAIOHTTP_LIFESPAN",
        "auto",
        _env_choice("auto", "on", "off"),
        "one of auto, on, off",
        "ASGI lifespan: auto (used if the application supports it), on (required: a failure stops gunicorn), off.",
        ENVIRONMENT,
        "auto",
    ),
    Setting(
        "GAIOHTTP_WS_MAX_SIZE",
        1024 * 1024,
        _env_number(int),
        "a number of bytes (0 for no limit)",
        "WebSocket messages larger than this close the socket with 1009 (uvicorn's --ws-max-size).",
        ENVIRONMENT,
        "1048576 (1 MiB)",
    ),
    Setting(
        "GAIOHTTP_WS_PING_INTERVAL",
        20.0,
        _env_number(float),
        "a number of seconds (0 for no limit)",
        "Seconds of silence after which an open WebSocket is pinged (uvicorn's --ws-ping-interval).",
        ENVIRONMENT,
    ),
    Setting(
        "GAIOHTTP_WS_PING_TIMEOUT",
        20.0,
        _env_number(float),
        "a number of seconds (0 for no limit)",
        "Seconds a pinged client has to answer before it is dropped (uvicorn's --ws-ping-timeout).",
        ENVIRONMENT,
    ),
    Setting(
        "GAIOHTTP_WS_PER_MESSAGE_DEFLATE",
        False,
        _env_flag,
        "1 or 0",
        "1: offer per-message deflate to WebSocket clients that ask. Off by default: each "
        "compressing socket holds a zlib pair (about 300 KiB) and compresses on the event loop.",
        ENVIRONMENT,
        "0",
    ),
    Setting(
        "GAIOHTTP_ALLOW_PY_PARSER",
        False,
        _env_flag,
        "1 or 0",
        "1: run the worker on aiohttp's pure-Python HTTP parser when its C parser is missing "
        "(otherwise the worker refuses to boot: the Python parser is slower and laxer).",
        ENVIRONMENT,
        "0",
    ),
]

BY_NAME: Dict[str, Setting] = {setting.name: setting for setting in SETTINGS}

#: The Django settings' defaults (computed ones excluded), for code that lists them.
DEFAULTS: Dict[str, Any] = {s.name: s.default for s in SETTINGS if s.source == DJANGO and not callable(s.default)}


def check(name: str, value: Any) -> Any:
    """``value`` for the setting ``name``, checked (InvalidSetting if refused)."""
    return BY_NAME[name].check(value)


def get(name: str) -> Any:
    """The Django setting ``name``, or its default; checked."""
    setting = BY_NAME[name]
    if hasattr(settings, name):
        return setting.check(getattr(settings, name))
    return setting.default() if callable(setting.default) else setting.default


def env(name: str, environ: Optional[Mapping[str, str]] = None) -> Any:
    """The environment setting ``name``, or its default; checked."""
    setting = BY_NAME[name]
    raw = (os.environ if environ is None else environ).get(name)
    if raw is None:
        return setting.default
    return setting.check(raw)


def pipeline() -> bool:
    """ASYNC_LEGACY_PIPELINE, checked (read once, when the application is created)."""
    value: bool = get("ASYNC_LEGACY_PIPELINE")
    return value


def of_source(source: str) -> Iterable[Setting]:
    return (setting for setting in SETTINGS if setting.source == source)
