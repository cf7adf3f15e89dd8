"""Background work that outlives the response, tracked by the worker.

    from async_legacy.tasks import spawn

    async def order(request):
        spawn(smoke_meats(order_id), name="smoke-meats")
        return HttpResponse("Your order is in the smoker.")

* The coroutine runs on the worker's event loop, detached from the request
  (its cancellation does not cancel the task; its thread lane is not used).
* An exception is logged (logger ``async_legacy.tasks``) with the task's name.
* On graceful shutdown (SIGTERM, max_requests) the gaiohttp worker waits for
  pending tasks until graceful_timeout, then cancels what remains and logs
  each one it cancelled. Nothing is dropped silently. Under other servers,
  call ``await drain(timeout)`` from their shutdown hook (the legacy ASGI face
  does it on lifespan shutdown).
"""

import asyncio
import logging
from typing import Any, Coroutine, Dict, List, Optional, TypeVar

from .lane import current_lane

logger = logging.getLogger("async_legacy.tasks")

_T = TypeVar("_T")

_pending: "Dict[asyncio.Future[Any], str]" = {}  # task -> name


def spawn(coro: "Coroutine[Any, Any, _T]", name: Optional[str] = None) -> "asyncio.Future[_T]":
    """Run ``coro`` in the background; returns its asyncio Task."""
    if not asyncio.iscoroutine(coro):
        raise TypeError(
            "spawn() takes a coroutine object, got %r: call the async function, "
            "spawn(smoke_meats(order)), rather than passing it." % (coro,)
        )
    name = name or str(getattr(coro, "__qualname__", repr(coro)))
    task = asyncio.ensure_future(_detached(coro))
    _pending[task] = name
    task.add_done_callback(_finished)
    return task


async def _detached(coro: "Coroutine[Any, Any, _T]") -> _T:
    # Blocking work of the task must not queue on the (finishing) request's lane.
    current_lane.set(None)
    return await coro


def _finished(task: "asyncio.Future[Any]") -> None:
    name = _pending.pop(task, "?")
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        logger.error("Background task %r failed: %r", name, exc, exc_info=(type(exc), exc, exc.__traceback__))


def pending() -> List[str]:
    """Names of the background tasks still running."""
    return sorted(_pending.values())


async def drain(timeout: float) -> None:
    """Wait up to ``timeout`` seconds for pending tasks, then cancel (and log) the rest."""
    tasks = list(_pending)
    if not tasks:
        return
    logger.info("Waiting up to %.1f s for %d background task(s): %s", timeout, len(tasks), ", ".join(pending()))
    done, not_done = await asyncio.wait(tasks, timeout=max(timeout, 0))
    for task in not_done:
        logger.warning("Background task %r cancelled at shutdown (graceful timeout).", _pending.get(task, "?"))
        task.cancel()
    if not_done:
        await asyncio.wait(not_done, timeout=1.0)
