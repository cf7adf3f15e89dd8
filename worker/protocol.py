"""aiohttp's request handler with gunicorn's request rules, enforced on the raw bytes.

aiohttp's parser (llhttp) lets through what gunicorn refuses, and the
releases Python 3.7 gets (3.8.6) more so: a request line or header block
sent in several TCP segments escapes the size limits, the header count is
not capped, duplicated Host/Content-Length headers are merged, chunked
bodies in HTTP/1.0, Host in trailers, HTTP/2.0 request lines are served,
pipelined requests queue without bound and there is no timer before the
first request. So this protocol frames each request itself before llhttp
sees it: it measures the request line, each header line, the header count
and the whole head across segments, finds where each body ends
(Content-Length, or chunked with its trailers), and feeds llhttp one
message at a time. llhttp still decides what is valid; this layer only
refuses more, answers with gunicorn's status codes, and logs a refused
request in one line as gunicorn does.
"""

import asyncio
import collections
import logging
import re
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Match, Optional, Tuple, Union, cast

from aiohttp import __version__ as aiohttp_version
from aiohttp import web, web_protocol
from aiohttp.streams import EMPTY_PAYLOAD

from .proxy import HeaderReader, ProxyRefused
from .websocket import FrameCheck, wants_websocket

if TYPE_CHECKING:
    from aiohttp.http_parser import RawRequestMessage
    from aiohttp.streams import StreamReader
    from aiohttp.web_server import Server

    from .environ import Facts
    from .options import Options
    from .proxy import AllowList

    #: aiohttp's queue item: a parsed head (or why it failed) and the body's stream.
    _Message = Tuple[Union[RawRequestMessage, web_protocol._ErrInfo], StreamReader]
    # Generic for type checkers only (collections.deque[...] fails on Python < 3.9).
    _ChunkSplits = collections.deque[int]
    _MessageQueue = List[_Message]
else:
    _ChunkSplits = collections.deque
    _MessageQueue = list

# Where llhttp is left alone: what follows the head is framed by it.
_HEAD, _BODY, _CHUNK_SIZE, _TRAILERS, _PASSTHROUGH = range(5)

#: Requests parsed ahead of the one being answered, per connection; beyond
#: it the connection stops being read until the app catches up.
MAX_PIPELINED = 16
#: A chunk-size line longer than this is not a chunk size (400).
MAX_CHUNK_SIZE_LINE = 1024

_FOLD_OR_CTL = re.compile(rb"\n[ \t]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]").search
#: Every byte but the control characters a head may not hold (translate() deletes them: quicker than a regex).
_NOT_CTL = bytes(b for b in range(256) if b in (9, 10, 13) or 32 <= b < 127 or b > 127)
_CHUNK_SIZE_DIGITS = re.compile(rb"[0-9A-Fa-f]{1,16}").fullmatch
_ABSOLUTE = re.compile(r"https?://", re.I).match
#: Fields with a single value (RFC 9110 5.3): a second one makes the request ambiguous.
SINGLETONS = ("Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Authorization")
_AIOHTTP = tuple(int(p) for p in re.findall(r"\d+", aiohttp_version)[:3])
# What llhttp refuses itself on newer aiohttp needs no second look on the hot path:
# duplicated singletons from 3.13.4 (all but Authorization), obs-fold from 3.9.4.
_DUPLICATES_TO_CHECK = ("Authorization",) if _AIOHTTP >= (3, 13, 4) else SINGLETONS
_CHECK_FOLD = _AIOHTTP < (3, 9, 4)
#: Fields a trailer may not carry (RFC 9110 6.5.1; gunicorn's list).
FORBIDDEN_TRAILERS = frozenset((b"HOST", b"CONTENT-LENGTH", b"TRANSFER-ENCODING", b"TRAILER", b"AUTHORIZATION", b"TE"))
_VERSIONS = ((1, 0), (1, 1))
_LOG = logging.getLogger("gunicorn.error")


class RequestRejected(Exception):
    """A request refused by this layer (status and reason go to the client)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Limits:
    """The per-connection rules, read once from the worker's options."""

    def __init__(self, options: "Options") -> None:
        self.line = options.limit_request_line
        self.field = options.limit_request_field_size
        self.fields = options.limit_request_fields
        # gunicorn's own budget for a whole head (its max_buffer_headers).
        self.head = self.fields * (self.field + 2) + 4 + self.line + 2
        # A head this small cannot break a line limit: one find() decides.
        self.quick = min(self.line, self.field)
        self.head_timeout = options.head_timeout
        self.body_timeout = options.body_timeout
        timeouts = [t for t in (self.head_timeout, self.body_timeout) if t]
        self.tick = max(min(timeouts) / 4.0, 0.05) if timeouts else None
        #: The app takes WebSockets: their frames are checked (websocket.py).
        self.websockets = False
        self.ws_max_size: int = getattr(options, "ws_max_size", 0)
        self.proxy_protocol: str = getattr(options, "proxy_protocol", "off")
        self.proxy_allow: Optional[AllowList] = getattr(options, "proxy_allow", None)


class _Splits(_ChunkSplits):
    """aiohttp < 3.13.3 keeps chunk ends in a list it empties with pop(0):
    O(n^2) for a body of many tiny chunks (CVE-2025-69229). A deque whose
    pop(0) is popleft() makes it linear."""

    def pop(self, index: int = -1) -> int:
        return self.popleft() if index == 0 else super().pop()


class _Queue(_MessageQueue):
    """aiohttp's queue of parsed requests, telling the protocol when one is taken.

    A list, not aiohttp's deque: one lives as long as its connection (an idle
    WebSocket's too), an empty list is 56 bytes and a deque over 600, and it
    holds a request or a few pipelined ones (aiohttp calls only append,
    popleft, len and bool on it)."""

    __slots__ = ("on_pop",)

    def __init__(self, on_pop: Callable[[], None]) -> None:
        super().__init__()
        self.on_pop = on_pop

    def popleft(self) -> "_Message":
        item = self.pop(0)
        self.on_pop()
        return item


class GuardedRequestHandler(web_protocol.RequestHandler):
    # aiohttp annotates a deque; ours is a list with popleft (_Queue), which is all aiohttp uses.
    _messages: _Queue  # type: ignore[assignment]

    # aiohttp >= 3.9's RequestHandler has __slots__: without ours every
    # connection (an idle WebSocket's for its whole life) would carry a dict.
    __slots__ = (
        "_limits",
        "_log",
        "_state",
        "_line",
        "_lines",
        "_cr",
        "_head",
        "_head_start",
        "_held",
        "_leading",
        "_chunk_line",
        "_payload",
        "_remaining",
        "_rejected",
        "_now",
        "_ticker",
        "_waited_since",
        "_proxy",
        "proxy_info",
        "environ_facts",
        "ws_frames",
    )

    def __init__(
        self, manager: "Server", *, limits: Limits, log: Optional[logging.Logger] = None, **kwargs: Any
    ) -> None:
        super().__init__(manager, **kwargs)
        self._limits = limits
        self._log = log or _LOG
        self._messages = _Queue(self._taken)
        self._state = _HEAD
        self._line = 0  # bytes of the current (unfinished) line
        self._lines = 0  # lines of the current head, request line included
        self._head = 0  # bytes of the current head
        self._leading = 0  # empty lines before the request line
        self._cr = False  # the unfinished line ends in CR
        self._remaining = 0  # of the Content-Length body or the current chunk
        self._chunk_line = b""
        self._payload: Optional[StreamReader] = None
        self._held = b""  # read while held back (see _blocked)
        self._rejected = False
        self._now = 0.0
        self._head_start = 0.0
        self._waited_since: Optional[float] = None
        self._ticker: Optional[asyncio.TimerHandle] = None
        self.environ_facts: Optional[Facts] = None  # per-connection part of a WSGI environ (environ.py)
        self.ws_frames: Optional[FrameCheck] = None  # checks a WebSocket client's frames (websocket.py)
        self._proxy: Optional[HeaderReader] = None  # reads a PROXY header at the connection's start (proxy.py)
        self.proxy_info: Optional[Dict[str, Any]] = None  # what that header said (environ.py)

    # -- connection ------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        limits = self._limits
        if limits.proxy_protocol != "off":
            # Options sets proxy_allow whenever proxy_protocol is on.
            allow = cast("AllowList", limits.proxy_allow)
            self._proxy = HeaderReader(limits.proxy_protocol, allow, transport.get_extra_info("peername"))
        self._now = self._head_start = self._loop.time()
        self._arm()  # the first request's head is due within head_timeout

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        self._held = b""
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._rejected or self._force_close or self._close:
            return
        if not data:
            # aiohttp >= 3.12 resumes its paused parser this way (its own
            # buffered bytes, already framed here).
            try:
                self._parse(data)
            except RequestRejected as exc:
                self._reject(exc)
            return
        if self._proxy is not None:
            data = self._proxy_header(data)
            if not data:
                return
        if self._held or self._blocked():
            self._held += data
            self._pause_transport()
            return
        self._now = self._loop.time()
        try:
            self._frame(data)
        except RequestRejected as exc:
            self._reject(exc)
        if self._ticker is None and (self._state != _HEAD or self._head_started()):
            self._arm()

    def _proxy_header(self, data: bytes) -> bytes:
        """What follows the PROXY header (b"" while it is incomplete). Only
        the first bytes of a connection may hold one, as in gunicorn; its
        head_timeout runs from the connection's start."""
        reader = cast(HeaderReader, self._proxy)  # data_received calls this only with one
        try:
            rest = reader.feed(data)
        except ProxyRefused as exc:
            self._proxy = None
            self._reject(RequestRejected(exc.status, exc.reason))
            return b""
        if rest is not None:
            self._proxy = None
            self.proxy_info = reader.info
        return rest or b""

    # -- framing ---------------------------------------------------------
    def _frame(self, data: bytes) -> None:
        pos, size = 0, len(data)
        while pos < size and not self._rejected:
            if self._blocked():
                self._hold(data[pos:])
                return
            state = self._state
            if state == _HEAD:
                if not self._head and not self._lines:
                    self._head_start = self._now
                end = self._scan_head(data, pos)
                if end < 0:
                    self._parse(data[pos:] if pos else data)
                    return
                message = self._parse(data[pos:end])
                pos = end
                if message is None:
                    if not self._rejected:
                        # llhttp wants more than the head we framed: the two disagree.
                        raise RequestRejected(400, "Malformed request head")
                    return
                try:
                    self._check(message)
                except RequestRejected:
                    self._messages.pop()  # never served
                    raise
                self._start_body(message)
            elif state == _BODY:
                take = min(self._remaining, size - pos)
                self._parse(data[pos : pos + take])
                pos += take
                self._remaining -= take
                if not self._remaining:
                    self._state = _HEAD
            elif state == _PASSTHROUGH:
                piece = data[pos:] if pos else data
                if self.ws_frames is not None:
                    piece = self.ws_frames.feed(piece)
                    if not piece:
                        return
                self._parse(piece)
                return
            else:
                end = self._scan_chunked(data, pos)
                self._parse(data[pos : size if end < 0 else end])
                if end < 0:
                    return
                pos = end
                self._state = _HEAD

    def _parse(self, piece: bytes) -> "Optional[RawRequestMessage]":
        """Feed aiohttp's parser; the message it completed, if any."""
        count = self._request_count
        try:
            super().data_received(piece)
        except ValueError as exc:
            # aiohttp < 3.9 lets yarl's URL errors out of its parser (the
            # connection would drop with no answer): PUT s://]ufd/:
            raise RequestRejected(400, "Invalid request target (%s)" % exc) from None
        if self._request_count == count:
            return None
        message = self._messages[-1][0]
        if isinstance(message, web_protocol._ErrInfo):
            if self._state != _HEAD:
                # Bad bytes in the body of a request being served: its app
                # gets the refusal (a 400), instead of waiting for more.
                self._messages.pop()
                self._request_count -= 1
                raise RequestRejected(400, message.message or str(message.exc))
            self._rejected = True  # aiohttp answers 400 and closes
            return None
        return message

    def _scan_head(self, data: bytes, pos: int) -> int:
        """Index just past the blank line ending the head, or -1 (head goes on)."""
        limits = self._limits
        if not self._line and not self._lines and not self._leading:
            # Fast path: a whole, small head in this segment.
            end = data.find(b"\r\n\r\n", pos)
            if end > pos:
                end += 4
                if (
                    end - pos <= limits.quick
                    and data.count(b"\n", pos, end) - 2 <= limits.fields
                    and data[pos] not in b"\r\n"
                    and not data[pos:end].translate(None, _NOT_CTL)
                    and not (_CHECK_FOLD and (data.find(b"\n ", pos, end) >= 0 or data.find(b"\n\t", pos, end) >= 0))
                ):
                    return end
        while True:
            nl = data.find(b"\n", pos)
            if nl < 0:
                grown = len(data) - pos
                if grown and self._line == 0 and self._lines and data[pos] in b" \t":
                    raise RequestRejected(400, "Obsolete line folding in a header")
                self._line += grown
                self._head += grown
                self._cr = data[-1:] == b"\r"
                if _FOLD_OR_CTL(data, pos):
                    self._refuse_bytes(data, pos, len(data))
                if self._lines == 0:
                    if self._line > limits.line + 1:
                        raise RequestRejected(
                            414, "Request line longer than %d bytes (limit_request_line)" % limits.line
                        )
                elif self._line > limits.field:
                    raise RequestRejected(
                        431, "Header line longer than %d bytes (limit_request_field_size)" % limits.field
                    )
                if self._head > limits.head:
                    raise RequestRejected(431, "Request head larger than %d bytes" % limits.head)
                return -1
            if self._line == 0 and self._lines and data[pos] in b" \t":
                raise RequestRejected(400, "Obsolete line folding in a header")
            if _FOLD_OR_CTL(data, pos, nl + 1):
                self._refuse_bytes(data, pos, nl + 1)
            length = self._line + nl + 1 - pos
            empty = length == 1 or length == 2 and (data[nl - 1] == 13 if nl > pos else self._cr)
            self._head += nl + 1 - pos
            self._line = 0
            pos = nl + 1
            if empty:
                if self._lines == 0:
                    self._leading += 1
                    if self._leading > 1:
                        raise RequestRejected(400, "More than one empty line before the request line")
                    continue
                self._lines = self._head = self._leading = 0
                return pos
            self._lines += 1
            if self._lines == 1:
                if length - 2 > limits.line:
                    raise RequestRejected(414, "Request line longer than %d bytes (limit_request_line)" % limits.line)
            else:
                if length > limits.field:
                    raise RequestRejected(
                        431, "Header line longer than %d bytes (limit_request_field_size)" % limits.field
                    )
                if self._lines - 1 > limits.fields:
                    raise RequestRejected(431, "More than %d header fields (limit_request_fields)" % limits.fields)
            if self._head > limits.head:
                raise RequestRejected(431, "Request head larger than %d bytes" % limits.head)

    def _refuse_bytes(self, data: bytes, start: int, end: int) -> None:
        match = cast("Match[bytes]", _FOLD_OR_CTL(data, start, end))  # the caller found one
        if match.group().startswith(b"\n"):
            if self._lines > 0 or match.start() > start:
                raise RequestRejected(400, "Obsolete line folding in a header")
            return  # a leading empty line followed by a space: llhttp refuses it
        raise RequestRejected(400, "Control character %r in the request head" % match.group())

    def _check(self, message: "RawRequestMessage") -> None:
        """What llhttp accepts and gunicorn refuses, once the head is parsed."""
        if message.version not in _VERSIONS:
            raise RequestRejected(505, "HTTP version %d.%d not supported" % tuple(message.version))
        headers = message.headers
        for name in _DUPLICATES_TO_CHECK:
            if len(headers.getall(name, ())) > 1:
                raise RequestRejected(400, "Duplicate %s header" % name)
        if message.chunked and message.version == (1, 0):
            raise RequestRejected(400, "Transfer-Encoding in an HTTP/1.0 request")
        path = message.path
        if path[:1] != "/":
            method = message.method
            if not (path == "*" and method == "OPTIONS" or method == "CONNECT" or _ABSOLUTE(path)):
                raise RequestRejected(400, "Invalid request target %r for %s" % (path[:100], method))
        if not (path.isascii() and path.isprintable()) or " " in path:  # only \x21-\x7e
            raise RequestRejected(400, "Invalid character in the request target")

    def _start_body(self, message: "RawRequestMessage") -> None:
        payload = self._messages[-1][1]
        self._payload = payload
        self._waited_since = None
        if message.upgrade or message.method == "CONNECT":
            self._state = _PASSTHROUGH
            if self._limits.websockets and message.upgrade and wants_websocket(message):
                self.ws_frames = FrameCheck(self._limits.ws_max_size)
        elif payload is EMPTY_PAYLOAD or payload.is_eof():
            self._state = _HEAD
        elif message.chunked:
            self._state = _CHUNK_SIZE
            self._remaining = 0
            self._chunk_line = b""
            if isinstance(getattr(payload, "_http_chunk_splits", ()), (list, type(None))):
                payload._http_chunk_splits = _Splits()
        else:
            length = message.headers.get("Content-Length")
            if length is None:  # a body llhttp frames some other way: leave it to it
                self._state = _PASSTHROUGH
            else:
                self._state = _BODY
                self._remaining = int(length)

    def _scan_chunked(self, data: bytes, pos: int) -> int:
        """Index just past the end of a chunked body (trailers included), or -1."""
        size = len(data)
        while pos < size:
            if self._remaining:  # chunk data and its CRLF
                take = min(self._remaining, size - pos)
                self._remaining -= take
                pos += take
                continue
            nl = data.find(b"\n", pos)
            if nl < 0:
                self._chunk_line += data[pos:]
                if len(self._chunk_line) > MAX_CHUNK_SIZE_LINE:
                    raise RequestRejected(400, "Chunk-size line too long")
                return -1
            line = self._chunk_line + data[pos:nl]
            self._chunk_line = b""
            pos = nl + 1
            if len(line) > MAX_CHUNK_SIZE_LINE:
                raise RequestRejected(400, "Chunk-size or trailer line too long")
            if self._state == _TRAILERS:
                if line == b"\r":
                    return pos
                self._lines += 1
                if self._lines > self._limits.fields:
                    raise RequestRejected(431, "More than %d trailer fields" % self._limits.fields)
                name = line.partition(b":")[0].strip().upper()
                if name in FORBIDDEN_TRAILERS:
                    raise RequestRejected(400, "%s is not allowed in a trailer" % name.decode("latin-1"))
                continue
            if line[-1:] != b"\r" or b"\r" in line[:-1] or _FOLD_OR_CTL(line, 0, len(line) - 1):
                raise RequestRejected(400, "Invalid chunk-size line %r" % line[:40])
            digits, semicolon, _ = line[:-1].partition(b";")
            if semicolon:  # whitespace before an extension only (RFC 9112 7.1.1 BWS)
                digits = digits.rstrip(b" \t")
            if not _CHUNK_SIZE_DIGITS(digits):
                raise RequestRejected(400, "Invalid chunk size %r" % digits[:20])
            length = int(digits, 16)
            if length:
                self._remaining = length + 2
            else:
                self._state = _TRAILERS
                self._lines = 0
        return -1

    # -- holding back ----------------------------------------------------
    def _blocked(self) -> bool:
        # Enough requests queued, or aiohttp paused its parser for a body the
        # app has not read yet (aiohttp >= 3.12 keeps the rest in the parser,
        # where a head fed now would not come out): hold bytes here instead.
        return len(self._messages) >= MAX_PIPELINED or self._reading_paused

    def _pause_transport(self) -> None:
        if self.transport is not None:
            try:
                self.transport.pause_reading()
            except (AttributeError, NotImplementedError, RuntimeError):
                pass

    def _hold(self, rest: bytes) -> None:
        self._held = rest + self._held if self._held else rest
        self._pause_transport()

    def _release(self) -> None:
        if not self._held or self._blocked() or self._rejected or self._force_close:
            return
        held, self._held = self._held, b""
        self._now = self._loop.time()
        try:
            self._frame(held)
        except RequestRejected as exc:
            self._reject(exc)
        if self._ticker is None:
            self._arm()
        if not self._held and not self._reading_paused and self.transport is not None:
            try:
                self.transport.resume_reading()
            except (AttributeError, NotImplementedError, RuntimeError):
                pass

    def resume_reading(self, *args: Any, **kwargs: Any) -> None:
        super().resume_reading(*args, **kwargs)
        self._release()

    def became_websocket(self) -> None:
        """The handshake is done: the connection is a WebSocket for the rest of
        its life, and drops what only HTTP requests use (each idle socket would
        keep it). aiohttp reads frames with its WebSocket reader from here on;
        its HTTP parser (``_parser``, ``_request_parser`` before 3.14) is only
        used again after a declined upgrade or a closed connection, and every
        supported version checks it for None there."""
        self.environ_facts = None  # the cached part of a WSGI environ (environ.py)
        for name in ("_parser", "_request_parser"):
            if getattr(self, name, None) is not None:
                setattr(self, name, None)

    def _taken(self) -> None:
        if self._held and len(self._messages) < MAX_PIPELINED:
            self._release()

    # -- refusing --------------------------------------------------------
    def _reject(self, exc: RequestRejected) -> None:
        self._rejected = True
        self._messages.append((web_protocol._ErrInfo(status=exc.status, exc=exc, message=exc.reason), EMPTY_PAYLOAD))
        self._request_count += 1
        if self._state != _HEAD and self._payload is not None and not self._payload.is_eof():
            # The request is being served: its app reading the body gets the
            # refusal (HTTPServer answers it); the queued error otherwise.
            # No lingering read of the rest after the answer: close.
            self._lingering_time = 0.0
            self._payload.set_exception(exc)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: Optional[BaseException] = None,
        message: Optional[str] = None,
    ) -> web.StreamResponse:
        if status >= 500 and status != 505:
            return super().handle_error(request, status, exc, message)
        # gunicorn's line for a bad request: one line, no traceback.
        text = " ".join(str(message or exc or "Bad Request").split())[:300]
        self._log.warning("Invalid request from ip=%s: %s", self._peer(), text)
        if request.writer.output_size > 0:
            raise ConnectionError("Response already started; cannot send %d" % status)
        response = web.Response(status=status, text=text + "\n")
        response.force_close()
        return response

    def _peer(self) -> str:
        peer = self.transport.get_extra_info("peername") if self.transport is not None else None
        return peer[0] if isinstance(peer, tuple) else peer or ""

    # -- timeouts --------------------------------------------------------
    def _process_keepalive(self) -> None:
        # aiohttp's keep-alive timer closes a connection waiting for its next
        # request even while that request's head is arriving (keepalive made
        # a deadline for the head). A head in progress is GAIOHTTP_HEAD_TIMEOUT's.
        if self._state == _HEAD and self._head_started() and not self._force_close:
            self._keepalive_handle = self._loop.call_later(1.0, self._process_keepalive)
            return
        super()._process_keepalive()

    def _head_started(self) -> bool:
        """Bytes of a request head (or the empty lines or PROXY header before one) have come."""
        return bool(self._head or self._lines or self._leading or self._proxy is not None and self._proxy.buffer)

    def _head_awaited(self, started: bool) -> bool:
        """A head is due: one has started, or a new connection has sent nothing yet."""
        return started or (self._request_count == 0 and not self._messages)

    def _arm(self) -> None:
        """Start the timer that enforces head_timeout / body_timeout, when
        this connection needs it: a request head or body is on its way, or a
        new connection has sent nothing yet. Between requests (keep-alive)
        aiohttp's own timer governs, so a busy connection holds no timer of
        ours: no timer handle per request on the hot path."""
        tick = self._limits.tick
        if tick is None or self.transport is None or self._rejected:
            return
        state = self._state
        if state == _HEAD:
            if not self._head_awaited(self._head_started()):
                return
        elif state == _PASSTHROUGH:
            return
        self._ticker = self._loop.call_later(tick, self._tick)

    def _tick(self) -> None:
        self._ticker = None
        if self.transport is None or self._force_close:
            return
        limits = self._limits
        now = self._loop.time()
        state = self._state
        if state == _HEAD:
            started = self._head_started()
            if not self._head_awaited(started):
                return  # between requests; the next head's first bytes arm it again
            if not limits.head_timeout:
                return
            if (
                not self._held
                and self._current_request is None
                and not self._messages
                and now - self._head_start >= limits.head_timeout
            ):
                self._timed_out("request head", limits.head_timeout, "GAIOHTTP_HEAD_TIMEOUT", answer=bool(started))
                return
        elif state in (_BODY, _CHUNK_SIZE, _TRAILERS):
            if not limits.body_timeout:
                return
            # Only while the app waits for body bytes that do not come.
            if getattr(self._payload, "_waiter", None) is not None:
                since = max(self._now, self._waited_since or now)
                self._waited_since = self._waited_since or now
                if now - since >= limits.body_timeout:
                    self._timed_out("request body", limits.body_timeout, "GAIOHTTP_BODY_TIMEOUT", answer=True)
                    return
            else:
                self._waited_since = None
        else:
            return
        self._ticker = self._loop.call_later(cast(float, limits.tick), self._tick)  # armed only with a tick

    def _timed_out(self, what: str, seconds: float, setting: str, answer: bool) -> None:
        self._log.info(
            "Closing connection from ip=%s: %s not received within %ss (%s)", self._peer(), what, seconds, setting
        )
        self._rejected = True
        request = self._current_request
        writer = getattr(request, "_payload_writer", None)
        if answer and (writer is None or not writer.output_size) and self.transport is not None:
            body = b"Request Timeout: %s not received within %ss\n" % (what.encode(), str(seconds).encode())
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\n"
                b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
        self.force_close()
        if self.transport is not None:
            self.transport.close()
