"""worker/pacing.py: a burst of new requests takes turns with the requests in flight."""

import asyncio
import gc
import re
import socket
import time

import pytest
from support.gunicorn_helpers import gunicorn

from async_legacy.worker import pacing
from async_legacy.worker.pacing import Pacer

BURST = 300  # x 5 ms of CPU each in serverapps.burst_coroutine: 1.5 s in one loop turn if unpaced


def _get(path):
    return ("GET %s HTTP/1.1\r\nHost: test\r\n\r\n" % path).encode()


def _answer(sock, seconds=30):
    """Reads one response to its end (Content-Length: 2); its status line, all of it."""
    sock.settimeout(seconds)
    data = b""
    while not (b"\r\n\r\n" in data and data.endswith(b"ok")):
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError("connection closed after %r" % data)
        data += chunk
    return data.split(b"\r\n", 1)[0], data


def _cpu_steps(data):
    """How many /cpu/ first steps the worker had run when it answered (serverapps.burst_coroutine)."""
    return int(re.search(rb"X-Cpu-Steps: (\d+)", data).group(1))


def test_a_request_in_flight_is_answered_during_a_burst_of_new_ones():
    with gunicorn("support.serverapps:burst_coroutine") as server:
        address = ("127.0.0.1", int(server.base.rsplit(":", 1)[1]))
        tick = socket.create_connection(address)
        burst = [socket.create_connection(address) for _ in range(BURST)]
        try:
            tick.sendall(_get("/cpu/"))  # every connection accepted, the app warm
            status, warm = _answer(tick)
            assert status == b"HTTP/1.1 200 OK"
            time.sleep(0.5)
            tick.sendall(_get("/tick/"))
            time.sleep(0.05)  # the tick is in flight: its timer fires at 0.3 s
            for sock in burst:
                sock.sendall(_get("/cpu/"))
            status, answered = _answer(tick)
            assert status == b"HTTP/1.1 200 OK"
            # Counted in the worker, by the order of events: unpaced, the
            # tick's timer fires only after the one turn that runs every first
            # step of the burst (all 300 before it); paced, the burst takes
            # turns with it (0.3 s holds about 60 steps of 5 ms).
            during = _cpu_steps(answered) - _cpu_steps(warm)
            print("the tick was answered after %d of the burst's %d first steps" % (during, BURST))
            assert during < BURST // 2, "the tick was answered after %d of the burst's %d steps" % (during, BURST)
            # Paced, none of the burst is lost or refused.
            answers = [_answer(sock) for sock in burst]
            assert [answer[0] for answer in answers] == [b"HTTP/1.1 200 OK"] * BURST
            # The collector was held while the burst waited its turns, and is
            # on again once it is over.
            assert any(b"X-Gc: off" in answer[1] for answer in answers)
            time.sleep(0.1)
            after = socket.create_connection(address)  # the tick's may be past its keep-alive by now
            try:
                after.sendall(_get("/cpu/"))
                assert b"X-Gc: on" in _answer(after)[1]
            finally:
                after.close()
        finally:
            for sock in [tick] + burst:
                sock.close()


def _run(coro):
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


#: The fake clock's millisecond: a power of two, so that sums of steps and
#: slices stay exact (0.001 + 0.001 < 0.002 may hold in floating point).
MS = 2.0**-10


class FakeClock:
    """pacing's perf_counter: time moves only when a test's first step "runs"."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(pacing, "perf_counter", fake)
    return fake


async def _request(pacer, name, admitted, cost, clock):
    waited = pacer.admit()
    if waited is not None:
        await waited
        pacer.resumed()
    admitted.append(name)
    clock.advance(cost)  # its first step


def test_ready_io_is_handled_between_turns_and_the_order_is_kept(clock):
    async def main():
        loop = asyncio.get_event_loop()
        pacer = Pacer(loop, 2 * MS)
        admitted = []
        reader, writer = socket.socketpair()
        seen_after = []
        loop.add_reader(
            reader.fileno(), lambda: (seen_after.append(len(admitted)), loop.remove_reader(reader.fileno()))
        )
        writer.send(b"x")  # ready I/O, like an upstream's reply
        # 40 requests of 1 ms each arrive in one turn, in this order.
        tasks = [loop.create_task(_request(pacer, n, admitted, MS, clock)) for n in range(40)]
        await asyncio.gather(*tasks)
        reader.close()
        writer.close()
        return admitted, seen_after

    admitted, seen_after = _run(main())
    assert admitted == list(range(40))
    # The selector was polled after the first slice (2 ms: two requests of
    # 1 ms), not after all 40 (40 ms in one turn).
    assert seen_after == [2], seen_after


def test_light_requests_are_not_held(clock):
    async def main():
        loop = asyncio.get_event_loop()
        pacer = Pacer(loop, 2 * MS)
        held = [pacer.admit() for _ in range(50)]  # first steps that cost nothing
        return held

    assert _run(main()) == [None] * 50


def test_a_cancelled_waiter_does_not_hold_up_the_others(clock):
    async def main():
        loop = asyncio.get_event_loop()
        pacer = Pacer(loop, 2 * MS)
        admitted = []
        # One turn: the first one's 3 ms fill the slice, the others wait.
        first = loop.create_task(_request(pacer, "first", admitted, 3 * MS, clock))
        waiting = [loop.create_task(_request(pacer, n, admitted, 0.0, clock)) for n in range(3)]
        late = loop.create_task(_request(pacer, "late", admitted, 0.0, clock))
        await asyncio.sleep(0)
        assert admitted == ["first"]
        waiting[1].cancel()  # its client went away
        await asyncio.wait_for(asyncio.gather(first, waiting[0], waiting[2], late), 5)
        return admitted, waiting[1].cancelled()

    admitted, cancelled = _run(main())
    assert cancelled
    assert admitted == ["first", 0, 2, "late"]


class _NotingGC(list):
    """What ``_request`` admits, noted with whether the collector was on."""

    def append(self, name):
        super().append((name, gc.isenabled()))


def _burst(pacer, count, clock, cost=MS):
    async def main():
        seen = _NotingGC()
        loop = asyncio.get_event_loop()
        await asyncio.gather(*[loop.create_task(_request(pacer, n, seen, cost, clock)) for n in range(count)])
        return [on for _, on in seen], gc.isenabled()

    return main()


def test_the_collector_is_held_while_a_burst_waits_and_on_again_after(clock):
    async def main():
        pacer = Pacer(asyncio.get_event_loop(), 2 * MS)
        return await _burst(pacer, 40, clock)

    assert gc.isenabled()
    seen, after = _run(main())
    # The two that fit in the first slice went on before anyone waited; the
    # collector was held for those woken while others still waited, and is
    # on again for the last batch (2 a turn: the slice's worth), when nobody does.
    assert seen == [True] * 2 + [False] * 36 + [True] * 2, seen
    assert after is True


def test_a_collector_the_application_turned_off_stays_off(clock):
    async def main():
        pacer = Pacer(asyncio.get_event_loop(), 2 * MS)
        return await _burst(pacer, 20, clock)

    gc.disable()
    try:
        seen, after = _run(main())
        assert seen == [False] * 20
        assert after is False
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_hold_is_bounded(monkeypatch, clock):
    monkeypatch.setattr(pacing, "GC_HOLD", 10 * MS)

    async def main():
        pacer = Pacer(asyncio.get_event_loop(), 2 * MS)
        return await _burst(pacer, 60, clock)  # 60 ms of first steps: held for the first 10 ms only

    seen, after = _run(main())
    assert False in seen
    released = seen.index(False) + seen[seen.index(False) :].index(True)
    # Held from the first that waited (2 ms in) for GC_HOLD (10 ms), not the whole burst.
    assert released == 12, seen
    assert all(seen[released:]), seen  # not held again within the burst
    assert after is True


def test_after_a_hold_the_collector_runs_at_least_as_long(clock):
    async def main():
        pacer = Pacer(asyncio.get_event_loop(), 2 * MS)
        first = await _burst(pacer, 40, clock)  # held for 36 of its 40 ms
        right_after = await _burst(pacer, 10, clock)  # within the 36 ms owed to the collector
        clock.advance(100 * MS)  # past them
        later = await _burst(pacer, 10, clock)
        return first, right_after, later

    first, right_after, later = _run(main())
    assert first[0].count(False) == 36, first
    assert right_after == ([True] * 10, True)
    assert False in later[0] and later[1] is True
