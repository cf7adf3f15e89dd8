"""worker/pacing.py: a burst of new requests takes turns with the requests in flight."""

import asyncio
import socket
import time

from gunicorn_helpers import gunicorn

from async_legacy.worker.pacing import Pacer

BURST = 300  # x 5 ms of CPU each in serverapps.burst_coroutine: 1.5 s in one loop turn if unpaced


def _get(path):
    return ("GET %s HTTP/1.1\r\nHost: test\r\n\r\n" % path).encode()


def _answer(sock, seconds=30):
    """Reads one response to its end (Content-Length: 2); its status line and when it ended."""
    sock.settimeout(seconds)
    data = b""
    while not (b"\r\n\r\n" in data and data.endswith(b"ok")):
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError("connection closed after %r" % data)
        data += chunk
    return data.split(b"\r\n", 1)[0], time.monotonic()


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
            status, ended = _answer(tick)
            assert status == b"HTTP/1.1 200 OK"
            # Unpaced, the tick's timer fires during one turn that runs every
            # first step of the burst, and it is answered at about 1.5 s.
            assert ended - sent < 0.3 + 0.35, "the tick took %.2f s" % (ended - sent)
            # Paced, none of the burst is lost or refused.
            assert [_answer(sock)[0] for sock in burst] == [b"HTTP/1.1 200 OK"] * BURST
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
