"""Turning a status line and headers into an aiohttp response, and logging it."""

import datetime
import re
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Optional, Sequence, Tuple, Union, cast

from aiohttp import web
from multidict import CIMultiDict

if TYPE_CHECKING:
    import asyncio

#: CR, LF or NUL from an app would split the response (aiohttp < 3.13.4
#: checks neither the reason phrase nor NUL: CVE-2026-34519).
_UNSAFE = re.compile("[\r\n\0]").search


class UnsafeResponse(ValueError):
    pass


def make_response(status: Union[str, int], headers: Iterable[Tuple[Any, Any]], app: Any = None) -> web.StreamResponse:
    """An unprepared StreamResponse from WSGI-style ``status`` and ``headers``."""
    code: int
    reason: Optional[str]
    if isinstance(status, str):
        digits, _, reason = status.partition(" ")
        code = int(digits)
        if _UNSAFE(reason):
            raise UnsafeResponse(
                "The app %r returned a status line with CR, LF or NUL: %r. Remove them from the status." % (app, status)
            )
    else:
        code, reason = int(status), None
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in headers:
        if isinstance(name, bytes):
            name, value = name.decode("latin-1"), value.decode("latin-1")
        if _UNSAFE(name) or _UNSAFE(value):
            raise UnsafeResponse(
                "The app %r returned a response header with CR, LF or NUL: %r: %r. "
                "Remove them from the header." % (app, name, value)
            )
        # Strip as gunicorn does: Django's Set-Cookie values start with a space.
        out.add(name.strip(), value.strip())
    # No Content-Length: aiohttp chunks HTTP/1.1 bodies, closes HTTP/1.0 ones.
    return web.StreamResponse(status=code, reason=reason or None, headers=out)


def plain(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, headers={"Connection": "close"})


class Exchange:
    """What gunicorn's access logger reads about one request/response."""

    __slots__ = ("request", "start", "status", "headers", "sent", "environ", "close", "prepared", "response", "gone")

    def __init__(self, request: web.BaseRequest) -> None:
        self.request = request
        self.start = time.monotonic()
        self.status: Union[str, int, None] = None
        self.headers: Sequence[Tuple[Any, Any]] = ()
        self.sent = 0
        self.environ: Optional[Dict[str, Any]] = None
        self.close = False
        self.prepared = False
        self.response: Optional[web.StreamResponse] = None
        #: Called with the request's task when the client goes away, instead
        #: of cancelling the task (a bridge that tells its app first).
        self.gone: Optional[Callable[[asyncio.Task[Any]], None]] = None

    async def prepare(
        self,
        response: web.StreamResponse,
        status: Union[str, int, None],
        headers: Sequence[Tuple[Any, Any]],
        body_follows: bool = False,
    ) -> None:
        """Send the status line and headers (Connection: close if last).

        ``body_follows``: the caller writes body bytes (or the end) at once,
        so the head can go out with them in one send, as aiohttp's own
        web.Response does. aiohttp < 3.12 has no such switch: it sends the
        head now, and the attribute is ignored there."""
        self.status, self.headers = status, headers
        if self.close:
            response.force_close()
        self.prepared = True
        self.response = response
        if body_follows:
            response._send_headers_immediately = False
        await response.prepare(self.request)

    def log(self, log: Any) -> None:
        req = self.request
        environ = self.environ or {
            "REQUEST_METHOD": req.method,
            "RAW_URI": req.raw_path,
            "PATH_INFO": req.path,
            "QUERY_STRING": req.query_string,
            "SERVER_PROTOCOL": "HTTP/%d.%d" % req.version,
            "REMOTE_ADDR": _client_addr(req) or "-",
            "HTTP_REFERER": req.headers.get("Referer", "-"),
            "HTTP_USER_AGENT": req.headers.get("User-Agent", "-"),
        }
        elapsed = datetime.timedelta(seconds=time.monotonic() - self.start)
        log.access(_LoggedResponse(self), _LoggedRequest(req), environ, elapsed)


def _client_addr(request: web.BaseRequest) -> Optional[str]:
    # A PROXY header's client, as in a WSGI environ (gunicorn logs REMOTE_ADDR).
    info: Optional[Dict[str, Any]] = getattr(request.protocol, "proxy_info", None)
    if info is not None and info["client_addr"] is not None:
        return cast(str, info["client_addr"])
    return request.remote


class _LoggedResponse:
    def __init__(self, exchange: Exchange) -> None:
        self.status = exchange.status or 0
        self.headers = list(exchange.headers)
        self.sent = exchange.sent


class _LoggedRequest:
    def __init__(self, request: web.BaseRequest) -> None:
        self.headers = [(k.upper(), v) for k, v in request.headers.items()]
