"""A lane over asgiref's thread-sensitive mode, for the test client."""

import contextvars

from .current import _thread_sensitive
from .jobs import _in_request_context, _restore_context
from .threads import _noop


def _in_copied_context(ctx, exc, func, args, kwargs):
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

    def __init__(self, pool=None):
        self.used = False
        self.closed = False
        self._ctx = None  # the request's context, as Lane's

    async def run(self, func, *args, **kwargs):
        return await self._run(None, func, args, kwargs)

    async def run_handling(self, exc, func, *args, **kwargs):
        return await self._run(exc, func, args, kwargs)

    def _run(self, exc, func, args, kwargs):
        self.used = True
        if self._ctx is None:
            self._ctx = contextvars.copy_context()
        return _thread_sensitive(_in_copied_context, self._ctx, exc, func, args, kwargs)

    def enter(self):
        pass

    def release(self):
        pass

    # asgiref's thread-sensitive mode keeps one thread for the context anyway.
    pinned = False

    def pin(self):
        pass

    def unpin(self):
        pass

    def close_now(self):
        self.closed = True

    def cancel_calls(self):
        pass

    def serving_here(self):
        # The test clients never serve a request through Django's WSGI entry
        # points (see AsyncDjangoApplication.serve_wrapped), and a sync caller
        # outside any request must not be taken for one.
        return False

    def call_async(self, coro_func, *args, **kwargs):
        from asgiref.sync import async_to_sync

        return async_to_sync(coro_func)(*args, **kwargs)

    async def close(self, func=None, *args):
        self.closed = True
        return await self.run(func or _noop, *args)
