"""worker/pacing.py: a burst of new requests takes turns with the requests in flight."""

import asyncio
import gc
import socket
import time

from gunicorn_helpers import gunicorn

from async_legacy.worker import pacing
from async_legacy.worker.pacing import Pacer

BURST = 300  # x 5 ms of CPU each in serverapps.burst_coroutine: 1.5 s in one loop turn if unpaced


def _get(path):
    return ("GET %s HTTP/1.1\r\nHost: test\r\n\r\n" % path).encode()


def _answer(sock, seconds=30):
    """Reads one response to its end (Content-Length: 2); its status line, when it ended, all of it."""
    sock.settimeout(seconds)
    data = b""
    while not (b"\r\n\r\n" in data and data.endswith(b"ok")):
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError("connection closed after %r" % data)
        data += chunk
    return data.split(b"\r\n", 1)[0], time.monotonic(), data


def test_a_request_in_flight_is_answered_during_a_burst_of_new_ones():
    with gunicorn("serverapps:burst_coroutine") as server:
        address = ("127.0.0.1", int(server.base.rsplit(":", 1)[1]))
        tick = socket.create_connection(address)
        burst = [socket.create_connection(address) for _ in range(BURST)]
        try:
            tick.sendall(_get("/cpu/"))  # every connection accepted, the app warm
            assert _answer(tick)[0] == b"HTTP/1.1 200 OK"
            time.sleep(0.5)
            tick.sendall(_get("/tick/"))
            sent = time.monotonic()
            time.sleep(0.05)  # the tick is in flight: its timer fires at 0.3 s
            for sock in burst:
                sock.sendall(_get("/cpu/"))
            status, ended, _ = _answer(tick)
            assert status == b"HTTP/1.1 200 OK"
            # Unpaced, the tick's timer fires during one turn that runs every
            # first step of the burst, and it is answered at about 1.5 s.
            assert ended - sent < 0.3 + 0.35, "the tick took %.2f s" % (ended - sent)
            # Paced, none of the burst is lost or refused.
            answers = [_answer(sock) for sock in burst]
            assert [answer[0] for answer in answers] == [b"HTTP/1.1 200 OK"] * BURST
            # The collector was held while the burst waited its turns, and is
            # on again once it is over.
            assert any(b"X-Gc: off" in answer[2] for answer in answers)
            time.sleep(0.1)
            after = socket.create_connection(address)  # the tick's may be past its keep-alive by now
            try:
                after.sendall(_get("/cpu/"))
                assert b"X-Gc: on" in _answer(after)[2]
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


async def _request(pacer, name, admitted, cost):
    waited = pacer.admit()
    if waited is not None:
        await waited
        pacer.resumed()
    admitted.append(name)
    end = time.perf_counter() + cost
    while time.perf_counter() < end:  # its first step
        pass


def test_ready_io_is_handled_between_turns_and_the_order_is_kept():
    async def main():
        loop = asyncio.get_event_loop()
        pacer = Pacer(loop, 0.002)
        admitted = []
        reader, writer = socket.socketpair()
        seen_after = []
        loop.add_reader(
            reader.fileno(), lambda: (seen_after.append(len(admitted)), loop.remove_reader(reader.fileno()))
        )
        writer.send(b"x")  # ready I/O, like an upstream's reply
        # 40 requests of 1 ms each arrive in one turn, in this order.
        tasks = [loop.create_task(_request(pacer, n, admitted, 0.001)) for n in range(40)]
        await asyncio.gather(*tasks)
        reader.close()
        writer.close()
        return admitted, seen_after

    admitted, seen_after = _run(main())
    assert admitted == list(range(40))
    # The selector was polled after the first slice (2 ms: a few requests),
    # not after all 40 (40 ms in one turn).
    assert seen_after and seen_after[0] <= 8, seen_after


def test_light_requests_are_not_held():
    async def main():
        loop = asyncio.get_event_loop()
        pacer = Pacer(loop, 0.002)
        held = [pacer.admit() for _ in range(50)]  # first steps that cost ~nothing
        return held

    assert _run(main()) == [None] * 50


def test_a_cancelled_waiter_does_not_hold_up_the_others():
    async def main():
        loop = asyncio.get_event_loop()
        pacer = Pacer(loop, 0.002)
        admitted = []
        # One turn: the first one's 3 ms fill the slice, the others wait.
        first = loop.create_task(_request(pacer, "first", admitted, 0.003))
        waiting = [loop.create_task(_request(pacer, n, admitted, 0.0)) for n in range(3)]
        late = loop.create_task(_request(pacer, "late", admitted, 0.0))
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


def _burst(pacer, count, cost=0.001):
    async def main():
        seen = _NotingGC()
        loop = asyncio.get_event_loop()
        await asyncio.gather(*[loop.create_task(_request(pacer, n, seen, cost)) for n in range(count)])
        return [on for _, on in seen], gc.isenabled()

    return main()


def test_the_collector_is_held_while_a_burst_waits_and_on_again_after():
    async def main():
        pacer = Pacer(asyncio.get_event_loop(), 0.002)
        return await _burst(pacer, 40)

    assert gc.isenabled()
    seen, after = _run(main())
    assert seen[0] is True  # the first went on before anyone waited
    assert seen.count(False) >= 20, seen  # the ones woken from the queue
    assert after is True


def test_a_collector_the_application_turned_off_stays_off():
    async def main():
        pacer = Pacer(asyncio.get_event_loop(), 0.002)
        return await _burst(pacer, 20)

    gc.disable()
    try:
        seen, after = _run(main())
        assert seen == [False] * 20
        assert after is False
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_hold_is_bounded(monkeypatch):
    monkeypatch.setattr(pacing, "GC_HOLD", 0.01)

    async def main():
        pacer = Pacer(asyncio.get_event_loop(), 0.002)
        return await _burst(pacer, 60)  # ~60 ms of first steps: held for the first 10 ms only

    seen, after = _run(main())
    assert False in seen
    released = seen.index(False) + seen[seen.index(False) :].index(True)
    assert released <= 20, seen  # ~10 ms of 1 ms steps, not the whole burst
    assert all(seen[released:]), seen  # not held again within the burst
    assert after is True


def test_after_a_hold_the_collector_runs_at_least_as_long():
    async def main():
        pacer = Pacer(asyncio.get_event_loop(), 0.002)
        first = await _burst(pacer, 40)  # held for most of its ~40 ms
        right_after = await _burst(pacer, 10)  # starts within the ~40 ms owed to the collector
        await asyncio.sleep(0.1)
        later = await _burst(pacer, 10)
        return first, right_after, later

    first, right_after, later = _run(main())
    assert first[0].count(False) >= 20, first
    assert right_after == ([True] * 10, True)
    assert False in later[0] and later[1] is True
