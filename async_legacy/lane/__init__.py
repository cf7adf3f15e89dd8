"""The thread lane: every sync <-> async hop of a request goes through here.

A request that needs blocking work (a sync view, a middleware hook that may do
I/O, template rendering, the ORM, ``sync_to_async``) takes ONE thread from a
pool the first time it needs one, and all of its blocking work runs on that
thread. Django's per-thread database connection is opened, reused and closed
where it lives: ``close_old_connections`` runs there when the request takes the
thread and when it gives it back (CONN_MAX_AGE is honoured), and a request never
uses two threads at once.

Thread affinity (``ASYNC_LEGACY_THREAD_AFFINITY = True``, the default): the
request keeps its thread until it ends, parked while the request awaits, as
Django >= 4.0's handler keeps one per request (its ``ThreadSensitiveContext``).
So every sync step of one request - middleware hooks of any style,
``sync_to_async``, the async ORM names, template rendering, signal receivers -
sees the same ``threading.local`` state, as in Django's sync handler (audit-log
and history packages keep the request there), and no other request's. A
request holding a thread never waits for another one, so no request can wait
for a thread that its own later steps hold: no nested-pool deadlock at any
``ASYNC_LEGACY_THREADS``. A parked thread costs no CPU and a few tens of kB of
the worker's memory (1000 in flight on the bench's realistic stack: 119 MB of
RSS; on its typical stack, whose requests hold none: 93 MB; a bare parked
thread: 20 kB);
threads beyond ``KEEP_THREADS`` that stay unused for ``RETIRE_AFTER``
seconds close their database connections and exit.

Without affinity (``ASYNC_LEGACY_THREAD_AFFINITY = False``, opt-in) the thread
goes back to the pool once the request has left it idle for
``ASYNC_LEGACY_THREAD_IDLE`` seconds (default 0.005), so a coroutine view that
reads the database and then long-polls holds no thread while it waits. What
breaks then: thread-locals set by one step of a request may be gone, or another
request's, at its next step. When other requests wait for a thread, the grace
shrinks: a thread holding no database connection goes back as soon as it is
idle, and one holding a connection goes back as soon as its request is
suspended on something new (a timer, a socket: it has left its burst), or
after the loop passes of a burst otherwise. A thread is never given back while
a job of its request runs on it (a middleware frame waiting for the rest of the
chain), so that request's later steps never wait for a thread either.

Every job of one request runs in ONE ``contextvars.Context``, the request's,
brought up to date with the caller's context before the job and copied back
after it: a contextvar set in ``process_request`` can be reset with its token
in ``process_response``, as in Django's sync handler.

asgiref's thread-sensitive ``sync_to_async`` (the default, also behind
``async_legacy.sync_to_async`` and Channels' ``database_sync_to_async``) runs
on the request's lane too: the lane registers itself as the request's
per-context executor, the mechanism asgiref's ``ThreadSensitiveContext`` (and
Django >= 4.0's handler) use. asgiref's own executor for it would be a new
thread per request, whose persistent connections die with it.

Threads are long-lived: the pool creates them on demand up to its size and
keeps them, so persistent connections are not leaked by threads that die.

While the requests of late use ``admission.HEAVY_CPU`` or more of CPU on their
thread, a request is let in (:meth:`Lane.admitted`) only while fewer than
``ASYNC_LEGACY_ADMIT_WHILE_BUSY`` (2) requests in flight are running, on their
thread or on the loop; requests waiting on a timer, a socket or blocking I/O do
not count (``admission.py`` says why: the garbage collector).

Short jobs are waited for in place. Handing a job to a thread and being woken
by it through the loop costs several thread switches, and under load each is a
fight for the GIL between the loop and every busy lane thread. A middleware
phase or a quick ORM step is over in tens of microseconds, while the GIL is
held by the lane thread anyway, so the loop waits for it without returning to
its queue: up to ``_IN_PLACE`` seconds, then it goes back to serving others
and the job wakes the task as usual. A kind of job (its function) that
outlasted that wait is awaited the usual way for its next few runs, so the
loop does not idle beside a database query or a slow upstream call.

A job may call back into the event loop (:meth:`Lane.call_async`, used by
middleware that cannot be split into hooks); while it waits, its thread keeps
serving the lane's queue, so the coroutine it awaits can hop back onto the
same thread without deadlocking - the same idea as asgiref's
``CurrentThreadExecutor``.
"""

from .current import active_lane, current_lane, request_thread, run_sync
from .jobs import _handling
from .pool import KEEP_THREADS, RETIRE_AFTER, LanePool
from .request import Lane
from .testing import ThreadSensitiveLane

__all__ = [
    "KEEP_THREADS",
    "RETIRE_AFTER",
    "Lane",
    "LanePool",
    "ThreadSensitiveLane",
    "active_lane",
    "current_lane",
    "request_thread",
    "run_sync",
    "_handling",
]
