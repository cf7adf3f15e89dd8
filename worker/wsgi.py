"""Bridges for WSGI callables: coroutine WSGI (awaited on the loop) and plain
WSGI (run on a bounded thread pool, streamed chunk by chunk)."""

import asyncio
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, NoReturn, Optional, Tuple, Type

from async_legacy.coroutine_wsgi import ENVIRON_KEY, VERSION, close_body, whole_body

from .environ import BodyTooLarge, build_environ, read_body
from .respond import make_response, plain

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from aiohttp import web

    from .options import Options
    from .respond import Exchange

_ExcInfo = Tuple[Type[BaseException], BaseException, Optional[TracebackType]]
#: A plain WSGI app's result: the iterable, its iterator and the first chunk (None: no more).
_Triple = Tuple[Iterable[bytes], Iterator[bytes], Optional[bytes]]


class _StartResponse:
    __slots__ = ("status", "headers")

    def __init__(self) -> None:
        # As the app gives them (WSGI: a status line and a list of str pairs).
        self.status: Any = None
        self.headers: Any = None

    def __call__(
        self, status: str, headers: List[Tuple[str, str]], exc_info: Optional[_ExcInfo] = None
    ) -> Callable[[bytes], NoReturn]:
        if exc_info and self.status is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status, self.headers = status, headers
        return _no_write


def _no_write(data: bytes) -> NoReturn:
    raise NotImplementedError("The gaiohttp worker does not support WSGI's write() callable; return the body instead.")


class _Bridge:
    def __init__(self, app: Callable[..., Any], options: "Options") -> None:
        self.app = app
        self.options = options

    @staticmethod
    def whole(body: Any) -> Optional[bytes]:
        return None  # plain WSGI: the first chunk comes from a thread

    if TYPE_CHECKING:  # each bridge's own: call the app, and what its result says

        async def call_app(self, environ: Dict[str, Any], start: _StartResponse) -> Any: ...

        @staticmethod
        def body_follows(result: Any) -> bool: ...

        async def send(self, result: Any, response: web.StreamResponse, exchange: Exchange) -> None: ...

        async def close(self, result: Any) -> None: ...

    async def _environ(self, request: "web.BaseRequest", exchange: "Exchange") -> Dict[str, Any]:
        body, size = await read_body(request, self.options.max_body)
        environ = build_environ(request, body, size, self.options)
        exchange.environ = environ
        return environ

    async def __call__(self, request: "web.BaseRequest", exchange: "Exchange") -> "web.StreamResponse":
        try:
            environ = await self._environ(request, exchange)
        except BodyTooLarge:
            return plain(413, "Request body larger than %s bytes.\n" % self.options.max_body)
        start = _StartResponse()
        result = await self.call_app(environ, start)
        try:
            response = make_response(start.status, start.headers, self.app)
            whole = self.whole(result)
            follows = whole is not None or self.body_follows(result)
            await exchange.prepare(response, start.status, start.headers, body_follows=follows)
            if request.method != "HEAD":
                if whole is None:
                    await self.send(result, response, exchange)
                else:  # all in memory: no iterating
                    exchange.sent += len(whole)
                    await response.write_eof(whole)
            await response.write_eof()
        finally:
            await self.close(result)
        return response


class CoroutineWSGIBridge(_Bridge):
    kind = "coroutine WSGI"

    async def call_app(self, environ: Dict[str, Any], start: _StartResponse) -> Any:
        environ[ENVIRON_KEY] = VERSION
        result = self.app(environ, start)
        if hasattr(result, "__await__"):
            result = await result
        return result

    whole = staticmethod(whole_body)

    @staticmethod
    def body_follows(body: Any) -> bool:
        # A plain iterable is read right away: the head goes out with its
        # first bytes, as PEP 3333 has it. An async one may wait before its
        # first chunk (server-sent events): the head goes out now.
        return not hasattr(body, "__aiter__")

    async def send(self, body: Any, response: "web.StreamResponse", exchange: "Exchange") -> None:
        if hasattr(body, "__aiter__"):
            async for chunk in body:
                if chunk:
                    exchange.sent += len(chunk)
                    await response.write(chunk)
        else:
            for chunk in body:
                if chunk:
                    exchange.sent += len(chunk)
                    await response.write(chunk)

    async def close(self, body: Any) -> None:
        await close_body(body)


class WSGIBridge(_Bridge):
    kind = "WSGI"

    def __init__(self, app: Callable[..., Any], options: "Options", executor: "Executor") -> None:
        super().__init__(app, options)
        self.executor = executor

    async def call_app(self, environ: Dict[str, Any], start: _StartResponse) -> _Triple:
        loop = asyncio.get_event_loop()
        return await loop.run_in_executor(self.executor, self._call, environ, start)

    def _call(self, environ: Dict[str, Any], start: _StartResponse) -> _Triple:
        result = self.app(environ, start)
        iterator = iter(result)
        first = next(iterator, None)  # start_response may be deferred to here
        return result, iterator, first

    @staticmethod
    def body_follows(triple: _Triple) -> bool:
        # The first chunk is here already: the head goes out with it.
        return bool(triple[2])

    async def send(self, triple: _Triple, response: "web.StreamResponse", exchange: "Exchange") -> None:
        loop = asyncio.get_event_loop()
        result, iterator, chunk = triple
        # A one-item list (PEP 3333's len() hint) has nothing more: skip the
        # thread hop that would only learn so.
        whole = isinstance(result, (list, tuple)) and len(result) == 1
        while chunk is not None:
            if chunk:
                exchange.sent += len(chunk)
                await response.write(chunk)
            if whole:
                break
            chunk = await loop.run_in_executor(self.executor, next, iterator, None)

    async def close(self, triple: _Triple) -> None:
        result = triple[0]
        if hasattr(result, "close"):
            await asyncio.get_event_loop().run_in_executor(self.executor, result.close)
