"""Gates and meetings: views that wait for each other or for the test, so that
tests assert what happened at once by the order of events, not by a clock.

In process (the test and the views share one event loop): a view awaits
``wait(key)`` and counts as arrived; the test awaits ``arrived(key, n)``,
looks at whatever must hold while they all wait there, then ``release(key)``.

Across processes (a view served by gunicorn): ``meet_sync`` and
``meet_async`` answer "met" once ``?n=`` requests of the same ``?key=`` were
inside the view at the same time, and "alone" if they never were within
``?timeout=`` seconds (a guard: a passing run never waits that long).
"""

import asyncio
import threading

from django.http import HttpResponse

#: Waits longer than a passing run ever needs; only a failing one ends there.
GUARD = 30.0


class _Gate:
    def __init__(self):
        self.arrived = 0
        self.opened = None  # the event, made on the loop that first waits

    def event(self):
        if self.opened is None:
            self.opened = asyncio.Event()
        return self.opened


_gates = {}
_lock = threading.Lock()


def _gate(key):
    with _lock:
        return _gates.setdefault(key, _Gate())


async def wait(key):
    """In a view: arrive at the gate, and wait until the test opens it."""
    gate = _gate(key)
    gate.arrived += 1
    await gate.event().wait()


async def arrived(key, n, guard=GUARD):
    """In a test: until ``n`` views wait at the gate (AssertionError after ``guard`` s)."""
    gate = _gate(key)
    gate.event()
    loop = asyncio.get_event_loop()
    deadline = loop.time() + guard
    while gate.arrived < n:
        if loop.time() > deadline:
            raise AssertionError("%d of %d arrived at gate %r" % (gate.arrived, n, key))
        await asyncio.sleep(0.005)


async def until(predicate, what, guard=GUARD):
    """In a test: until ``predicate()`` holds (AssertionError naming ``what`` after ``guard`` s)."""
    loop = asyncio.get_event_loop()
    deadline = loop.time() + guard
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("never: %s" % what)
        await asyncio.sleep(0.005)


def release(key):
    """In a test: open the gate; the views waiting there go on."""
    _gate(key).event().set()
    with _lock:
        _gates.pop(key, None)


async def gated(request):
    """Waits at the gate ``?key=``, then answers "hello"."""
    await wait(request.GET["key"])
    return HttpResponse("hello")


# -- meetings (across processes) -------------------------------------------------------------
_barriers = {}
_meetings = {}


def _params(request):
    return request.GET["key"], int(request.GET["n"]), float(request.GET.get("timeout", GUARD))


def meet_sync(request):
    """A sync view (on a thread): "met" once ``n`` were in it at once."""
    key, n, timeout = _params(request)
    with _lock:
        barrier = _barriers.setdefault(key, threading.Barrier(n))
    try:
        barrier.wait(timeout)
    except threading.BrokenBarrierError:
        return HttpResponse("alone")
    return HttpResponse("met")


async def meet_async(request):
    """A coroutine view: "met" once ``n`` were in it at once."""
    key, n, timeout = _params(request)
    with _lock:
        meeting = _meetings.setdefault(key, {"in": 0, "all": asyncio.Event()})
    meeting["in"] += 1
    if meeting["in"] >= n:
        meeting["all"].set()
    try:
        await asyncio.wait_for(meeting["all"].wait(), timeout)
    except asyncio.TimeoutError:
        return HttpResponse("alone")
    return HttpResponse("met")
