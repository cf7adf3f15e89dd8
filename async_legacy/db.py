"""Transactions around async code: ``async with atomic():``.

Django has no async ``atomic`` on any release, and ``transaction.atomic``
around awaits is wrong: it opens the transaction on the calling thread's
connection (the event loop's), while the ORM work runs on another thread. ::

    from async_legacy import db

    async with db.atomic():
        order = await Order.objects.acreate(...)
        await sync_to_async(charge)(order)
        await db.on_commit(send_receipt)

Every ORM call awaited inside the block (the async ORM names of
:mod:`async_legacy.orm` or Django's, ``sync_to_async``, ``run_sync``) runs on
ONE thread, so on one connection, in one transaction: committed when the block
ends normally, rolled back on an exception or cancellation (the client went
away), a savepoint when nested. Django's own ``Atomic.__enter__``/``__exit__``
run on that thread, so everything Django does there holds (``on_commit``
callbacks after the commit, ``durable``, savepoint rules).

Which thread: inside a request of the legacy pipeline, the request's lane,
pinned for the block (it is otherwise given back when idle); elsewhere -
Django >= 3.1's handler (a ThreadSensitiveContext per request), tests driven
by ``async_to_sync``, scripts - asgiref's thread-sensitive executor of the
current context, the one ``sync_to_async`` uses. In a TestCase the block is a
savepoint inside the test's transaction and sees its data.

Do not share one block between concurrent tasks that run other ORM work
outside it: they would use the same connection.
"""

import asyncio
import functools
from typing import Any, Callable, Dict, List, Optional, Tuple

from django.db import transaction

from ._typing import FuncT
from .compat import iscoroutinefunction
from .lane import Lane, active_lane, run_sync

__all__ = ["atomic", "on_commit"]


class atomic:  # noqa: N801 - Django's name
    """``async with atomic(using=None, savepoint=True, durable=False):`` (see the module).

    Also decorates an ``async def``: each call runs in its own block.
    """

    def __init__(self, using: Optional[str] = None, savepoint: bool = True, durable: bool = False) -> None:
        if callable(using):  # @atomic without parentheses
            raise TypeError("async_legacy.db.atomic is used as @atomic() (with parentheses) on %r." % (using,))
        self.using = using
        self.savepoint = savepoint
        self.durable = durable
        self._blocks: List[Tuple[Any, Optional[Lane]]] = []  # (Django's Atomic, pinned lane) per entered block

    def _django_atomic(self) -> Any:
        kwargs: Dict[str, Any] = {"using": self.using, "savepoint": self.savepoint}
        if self.durable:
            kwargs["durable"] = True  # Django >= 3.2; older ones reject it by name
        return transaction.atomic(**kwargs)

    async def __aenter__(self) -> "atomic":
        block = self._django_atomic()
        lane = active_lane()
        if not isinstance(lane, Lane):
            lane = None  # asgiref's thread-sensitive executor: one thread per context anyway
        if lane is not None:
            lane.pin()  # before the first job: the thread it takes stays until __aexit__
        try:
            await run_sync(block.__enter__)
        except BaseException:
            if lane is not None:
                lane.unpin()
            raise
        self._blocks.append((block, lane))
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        block, lane = self._blocks.pop()
        # Queued on the same thread behind any query still running there (a
        # cancelled await does not stop it), and finished even if this task
        # is cancelled again meanwhile: no connection is left in a transaction.
        if lane is not None and lane.used:
            # Queued now, not when a new task first runs: a close of the lane
            # that follows (the request ending) queues its release after it.
            exiting = asyncio.wrap_future(lane.submit(block.__exit__, exc_type, exc, tb))
        else:
            exiting = asyncio.ensure_future(run_sync(block.__exit__, exc_type, exc, tb))
        try:
            await asyncio.shield(exiting)
        except asyncio.CancelledError:
            if not exiting.done():
                exiting.add_done_callback(functools.partial(_unpin_after, lane))
                raise
            if lane is not None:
                lane.unpin()
            raise
        if lane is not None:
            lane.unpin()
        return False  # Atomic.__exit__ never swallows an exception

    def __call__(self, func: FuncT) -> FuncT:
        if not iscoroutinefunction(func):
            raise TypeError(
                "async_legacy.db.atomic() decorates async def functions; %r is not one. "
                "Use django.db.transaction.atomic for sync code." % (func,)
            )

        @functools.wraps(func)
        async def inner(*args: Any, **kwargs: Any) -> Any:
            async with atomic(self.using, self.savepoint, self.durable):
                return await func(*args, **kwargs)

        return inner  # type: ignore[return-value]  # same signature, as functools.wraps says


def _unpin_after(lane: Optional[Lane], future: "asyncio.Future[Any]") -> None:
    if not future.cancelled():
        future.exception()  # retrieved: an error here was already raised to nobody
    if lane is not None and lane.pinned:
        lane.unpin()


async def on_commit(func: Callable[[], Any], using: Optional[str] = None) -> None:
    """``transaction.on_commit(func)`` on the block's connection.

    Django's ``on_commit`` called on the loop would register on the loop
    thread's connection, outside the block (and run ``func`` at once).
    ``func`` then runs on the block's thread right after the commit, and
    never if the transaction is rolled back.
    """
    await run_sync(transaction.on_commit, func, using)
