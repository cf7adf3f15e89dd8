"""A lane over asgiref's thread-sensitive mode, for the test client."""

import contextvars
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Coroutine, Dict, Optional, Tuple, TypeVar

from .current import _thread_sensitive
from .jobs import _in_request_context, _restore_context
from .threads import _noop

if TYPE_CHECKING:
    from .pool import LanePool

_T = TypeVar("_T")


def _in_copied_context(
    ctx: contextvars.Context,
    exc: Optional[BaseException],
    func: Callable[..., _T],
    args: Tuple[Any, ...],
    kwargs: Dict[str, Any],
) -> _T:
    # In asgiref's copy of the caller's context: the job runs in the request's
    # context ``ctx``, whose changes go to the copy, which asgiref copies back.
    try:
        return _in_request_context(ctx, contextvars.copy_context(), exc, func, args, kwargs)
    finally:
        _restore_context(ctx)


class ThreadSensitiveLane:
    """A lane over asgiref's thread-sensitive mode, for the test client.

    Under ``async_to_sync`` (how tests drive async code) blocking work then
    runs in the test's own thread, where the TestCase's transaction and DB
    connection live, so views see the test's data as they do with Django's
    own test client. Same interface as :class:`Lane`.
    """

    __slots__ = ("used", "closed", "_ctx")
    pool_contended = False

    def __init__(self, pool: "Optional[LanePool]" = None) -> None:
        self.used = False
        self.closed = False
        self._ctx: Optional[contextvars.Context] = None  # the request's context, as Lane's

    async def run(self, func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        return await self._run(None, func, args, kwargs)

    async def run_handling(self, exc: BaseException, func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        return await self._run(exc, func, args, kwargs)

    def _run(
        self, exc: Optional[BaseException], func: Callable[..., _T], args: Tuple[Any, ...], kwargs: Dict[str, Any]
    ) -> Awaitable[_T]:
        self.used = True
        if self._ctx is None:
            self._ctx = contextvars.copy_context()
        return _thread_sensitive(_in_copied_context, self._ctx, exc, func, args, kwargs)

    def enter(self) -> None:
        pass

    async def admitted(self) -> None:
        pass  # the test client's requests are let in at once

    def release(self) -> None:
        pass

    # asgiref's thread-sensitive mode keeps one thread for the context anyway.
    pinned = False

    def pin(self) -> None:
        pass

    def unpin(self) -> None:
        pass

    def close_now(self) -> None:
        self.closed = True

    def cancel_calls(self) -> None:
        pass

    def serving_here(self) -> bool:
        # The test clients never serve a request through Django's WSGI entry
        # points (see AsyncDjangoApplication.serve_wrapped), and a sync caller
        # outside any request must not be taken for one.
        return False

    def call_async(self, coro_func: Callable[..., Coroutine[Any, Any, _T]], *args: Any, **kwargs: Any) -> _T:
        from asgiref.sync import async_to_sync

        call: Callable[..., _T] = async_to_sync(coro_func)
        return call(*args, **kwargs)

    async def close(self, func: Optional[Callable[..., Any]] = None, *args: Any) -> Any:
        self.closed = True
        return await self.run(func or _noop, *args)
