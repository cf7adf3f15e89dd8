"""gunicorn's settings, translated into what the server needs (nothing else)."""

import os
import ssl
from typing import Any, Callable, Dict, FrozenSet, Tuple, TypeVar, Union

from .proxy import AllowList, mode_of

_N = TypeVar("_N", int, float)

#: Request bodies larger than this get 413 (bytes; environment variable).
MAX_BODY_ENV = "GAIOHTTP_MAX_BODY_SIZE"
DEFAULT_MAX_BODY = 100 * 1024 * 1024
#: "0" keeps the app's startup objects under the cyclic GC (environment variable).
GC_FREEZE_ENV = "GAIOHTTP_GC_FREEZE"
#: "0" leaves the worker free to run on any CPU (environment variable; see affinity.py).
CPU_AFFINITY_ENV = "GAIOHTTP_CPU_AFFINITY"
#: Seconds a client has to send a whole request head (environment variable).
HEAD_TIMEOUT_ENV = "GAIOHTTP_HEAD_TIMEOUT"
DEFAULT_HEAD_TIMEOUT = 10.0
#: Seconds the app may wait for the next piece of a request body (environment variable).
BODY_TIMEOUT_ENV = "GAIOHTTP_BODY_TIMEOUT"
DEFAULT_BODY_TIMEOUT = 30.0
#: WebSocket messages larger than this close the socket with 1009 (bytes; environment variable).
WS_MAX_SIZE_ENV = "GAIOHTTP_WS_MAX_SIZE"
DEFAULT_WS_MAX_SIZE = 1024 * 1024  # uvicorn's --ws-max-size
#: Seconds of silence after which an open WebSocket is pinged (environment variable).
WS_PING_INTERVAL_ENV = "GAIOHTTP_WS_PING_INTERVAL"
DEFAULT_WS_PING_INTERVAL = 20.0  # uvicorn's --ws-ping-interval
#: Seconds a pinged client has to answer before it is dropped (environment variable).
WS_PING_TIMEOUT_ENV = "GAIOHTTP_WS_PING_TIMEOUT"
DEFAULT_WS_PING_TIMEOUT = 20.0  # uvicorn's --ws-ping-timeout
#: "1" offers per-message deflate to WebSocket clients that ask (environment variable).
WS_DEFLATE_ENV = "GAIOHTTP_WS_PER_MESSAGE_DEFLATE"
#: ASGI lifespan: "auto" (used if the app supports it), "on" (required), "off" (environment variable).
LIFESPAN_ENV = "GAIOHTTP_LIFESPAN"


class Options:
    """Plain values read once from gunicorn's ``cfg`` when the worker boots."""

    def __init__(self, cfg: Any, worker_max_requests: int) -> None:
        self.keepalive: float = cfg.keepalive
        self.graceful_timeout: float = cfg.graceful_timeout
        self.max_requests = worker_max_requests  # gunicorn added the jitter
        self.worker_connections: int = cfg.worker_connections
        self.limit_request_line: int = cfg.limit_request_line or 8190
        self.limit_request_fields: int = cfg.limit_request_fields or 32768
        self.limit_request_field_size: int = cfg.limit_request_field_size or 8190
        self.forwarded_allow_ips = _allow_list(cfg.forwarded_allow_ips)
        # PROXY protocol header at a connection's start: off, v1, v2 or auto (proxy.py).
        self.proxy_protocol = mode_of(getattr(cfg, "proxy_protocol", False))
        self.proxy_allow = AllowList.from_cfg(cfg) if self.proxy_protocol != "off" else None
        self.secure_scheme_headers: Dict[str, str] = {
            name.upper(): value for name, value in (cfg.secure_scheme_headers or {}).items()
        }
        # Threads for plain WSGI apps (gunicorn's `threads`, at least 10).
        self.threads: int = max(cfg.threads, 10)
        self.workers: int = cfg.workers
        self.ssl_context = make_ssl_context(cfg) if cfg.is_ssl else None
        self.max_body = _max_body()
        self.gc_freeze = _flag(GC_FREEZE_ENV, True)
        self.cpu_affinity = _flag(CPU_AFFINITY_ENV, True)
        self.head_timeout = _seconds(HEAD_TIMEOUT_ENV, DEFAULT_HEAD_TIMEOUT)
        self.body_timeout = _seconds(BODY_TIMEOUT_ENV, DEFAULT_BODY_TIMEOUT)
        self.ws_max_size = _number(WS_MAX_SIZE_ENV, DEFAULT_WS_MAX_SIZE, int, "bytes")
        self.ws_ping_interval = _seconds(WS_PING_INTERVAL_ENV, DEFAULT_WS_PING_INTERVAL)
        self.ws_ping_timeout = _seconds(WS_PING_TIMEOUT_ENV, DEFAULT_WS_PING_TIMEOUT)
        # Off by default: each compressing socket holds a zlib pair (about
        # 300 KiB at the default window) and compresses on the event loop.
        self.ws_deflate = _flag(WS_DEFLATE_ENV, False)
        self.lifespan = _choice(LIFESPAN_ENV, ("auto", "on", "off"))
        # gunicorn's sync worker: the app is mounted at SCRIPT_NAME (the
        # arbiter exports raw_env into os.environ before forking workers).
        self.script_name = os.environ.get("SCRIPT_NAME", "").rstrip("/")
        self.server_software = "gunicorn (gaiohttp)"
        # gunicorn's own test in Logger.access(): skip building atoms otherwise.
        self.access_log = bool(
            cfg.accesslog
            or cfg.logconfig
            or cfg.logconfig_dict
            or getattr(cfg, "logconfig_json", None)
            or (cfg.syslog and not cfg.disable_redirect_access_to_syslog)
        )


def _allow_list(value: Union[str, Any]) -> FrozenSet[str]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    return frozenset(value or ())


def _max_body() -> int:
    # gunicorn's arbiter exports raw_env into os.environ before forking workers.
    return _number(MAX_BODY_ENV, DEFAULT_MAX_BODY, int, "bytes")


def _seconds(name: str, default: float) -> float:
    return _number(name, default, float, "seconds")


def _number(name: str, default: _N, kind: Callable[[str], _N], unit: str) -> _N:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = kind(raw)
        if value < 0:
            raise ValueError
    except ValueError:
        raise ValueError("%s must be a number of %s (0 for no limit); got %r." % (name, unit, raw)) from None
    return value


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if raw.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("%s must be 1 or 0; got %r." % (name, raw))


def _choice(name: str, choices: Tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None:
        return choices[0]
    value = raw.strip().lower()
    if value not in choices:
        raise ValueError("%s must be one of %s; got %r." % (name, ", ".join(choices), raw))
    return value


def make_ssl_context(cfg: Any) -> ssl.SSLContext:
    """The SSL context gunicorn itself builds (honours its ssl_context hook)."""
    from gunicorn import sock

    context: ssl.SSLContext = sock.ssl_context(cfg)
    return context
