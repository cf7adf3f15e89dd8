"""gunicorn's settings, translated into what the server needs (nothing else)."""

import os
import ssl
from typing import Any, Dict, FrozenSet, Union

from async_legacy import conf

from .proxy import AllowList, mode_of

#: Names kept for the modules that log them (their definitions: async_legacy/conf.py).
CPU_AFFINITY_ENV = "GAIOHTTP_CPU_AFFINITY"


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
        self.max_body: int = conf.env("GAIOHTTP_MAX_BODY_SIZE")
        self.gc_freeze: bool = conf.env("GAIOHTTP_GC_FREEZE")
        self.cpu_affinity: bool = conf.env(CPU_AFFINITY_ENV)
        self.head_timeout: float = conf.env("GAIOHTTP_HEAD_TIMEOUT")
        self.body_timeout: float = conf.env("GAIOHTTP_BODY_TIMEOUT")
        self.ws_max_size: int = conf.env("GAIOHTTP_WS_MAX_SIZE")
        self.ws_ping_interval: float = conf.env("GAIOHTTP_WS_PING_INTERVAL")
        self.ws_ping_timeout: float = conf.env("GAIOHTTP_WS_PING_TIMEOUT")
        self.ws_deflate: bool = conf.env("GAIOHTTP_WS_PER_MESSAGE_DEFLATE")
        self.lifespan: str = conf.env("GAIOHTTP_LIFESPAN")
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


def make_ssl_context(cfg: Any) -> ssl.SSLContext:
    """The SSL context gunicorn itself builds (honours its ssl_context hook)."""
    from gunicorn import sock

    context: ssl.SSLContext = sock.ssl_context(cfg)
    return context
