"""The gaiohttp worker's HTTP server in one process, without gunicorn's arbiter.

Used by ``manage.py runserver`` on the legacy path: the same server code,
configured from gunicorn's own defaults (plus an access log on stdout), on
an event loop in the thread Django's autoreloader gives it.
"""

import asyncio
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gunicorn.config import Config
from gunicorn.glogging import Logger

from .apps import bridge_for
from .options import Options
from .server import HTTPServer


class _Process:
    """What the server asks of a gunicorn worker, for a single dev process."""

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg
        self.log = Logger(cfg)

    def max_requests_reached(self) -> None:
        pass  # no max_requests in development


def _listen(addr: str, port: int, ipv6: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((addr, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    return sock


def serve(app: Any, addr: str, port: int, ipv6: bool = False, access_log_format: str = '"%(r)s" %(s)s %(b)s') -> None:
    """Serve ``app`` on ``addr:port`` until the process ends (blocks the thread)."""
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", access_log_format)
    process = _Process(cfg)
    sock = _listen(addr, port, ipv6)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(_serve(process, app, sock))
    finally:
        sock.close()


async def _serve(process: _Process, app: Any, sock: socket.socket) -> None:
    options = Options(process.cfg, sys.maxsize)
    options.script_name = ""  # as Django's runserver, which ignores SCRIPT_NAME
    bridge = bridge_for(app, options, ThreadPoolExecutor(options.threads, thread_name_prefix="runserver-wsgi"))
    if hasattr(bridge, "startup"):
        await bridge.startup()
    HTTPServer(process, bridge, options).start([sock])
    await asyncio.get_event_loop().create_future()  # until the process ends
