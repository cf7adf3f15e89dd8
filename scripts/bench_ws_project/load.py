"""The WebSocket benchmark's load generator (scripts/bench_servers.py --ws).

Raw sockets on asyncio protocols (uvloop's loop when installed): no client
library, no task per connection, and each reply compared with the frame
expected, so one process drives a server at its limit with CPU to spare.

  load.py echo HOST PORT PATH CLIENTS WARMUP SECONDS
      CLIENTS WebSockets, each sending a small text message and waiting for
      its echo, in a loop; after WARMUP seconds the echoes of the next
      SECONDS are counted. Prints a JSON line when counting starts, and one
      when it ends: messages/s, the client's CPU seconds per second, errors.
  load.py idle HOST PORT PATH COUNT
      Opens COUNT WebSockets and prints one JSON line when they are all open;
      holds them until a line arrives on stdin (or 300 s pass), then closes
      them and prints a second line.

Source addresses go round 127.0.0.2 to 127.0.0.9 (each has its own
ephemeral ports towards the server), so 10,000 sockets and the TIME_WAIT
left by earlier runs do not run out of ports.
"""

import asyncio
import base64
import json
import os
import resource
import sys
import time

SOURCES = ["127.0.0.%d" % i for i in range(2, 10)]
#: Handshakes under way at once (the servers' listen backlogs differ: daphne's is 50).
OPENING = 64
MESSAGE = b"hello, websocket"
#: The server's echo of MESSAGE: an unmasked text frame.
ECHO = bytes([0x81, len(MESSAGE)]) + MESSAGE


def masked_text(payload):
    """A client's text frame (masked, RFC 6455 5.3)."""
    mask = os.urandom(4)
    return bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


CLOSE = bytes([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8])  # close 1000, masked with zeros


class Stats:
    def __init__(self):
        self.counting = False
        self.count = 0
        self.errors = 0


class Client(asyncio.Protocol):
    def __init__(self, request, stats, opened):
        self.request = request
        self.stats = stats
        self.opened = opened
        self.transport = None
        self.upgraded = False
        self.buffer = b""
        self.frame = masked_text(MESSAGE)
        self.echoing = False

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def start(self):
        self.echoing = True
        self.transport.write(self.frame)

    def data_received(self, data):
        if self.upgraded and data == ECHO and not self.buffer:
            # The hot path: exactly one echo.
            if self.stats.counting:
                self.stats.count += 1
            if self.echoing:
                self.transport.write(self.frame)
            return
        buffer = self.buffer + data
        if not self.upgraded:
            head, sep, rest = buffer.partition(b"\r\n\r\n")
            if not sep:
                self.buffer = buffer
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self.fail(head.split(b"\r\n", 1)[0])
                return
            self.upgraded = True
            if not self.opened.done():
                self.opened.set_result(self)
            buffer = rest
        while len(buffer) >= 2:
            length, at = buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    break
                length, at = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    break
                length, at = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < at + length:
                break
            opcode, payload, buffer = buffer[0] & 0x0F, buffer[at : at + length], buffer[at + length :]
            if opcode in (1, 2):
                if payload != MESSAGE:
                    self.stats.errors += 1
                elif self.stats.counting:
                    self.stats.count += 1
                if self.echoing:
                    self.transport.write(self.frame)
            elif opcode == 9:  # ping: pong with its payload
                mask = b"\0\0\0\0"
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + mask + payload)
            elif opcode == 8:  # the server closes
                self.echoing = False
                self.transport.close()
                buffer = b""
        self.buffer = buffer

    def fail(self, why):
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(why))
        self.transport.close()

    def connection_lost(self, exc):
        self.echoing = False
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during the handshake: %r" % (exc,)))

    def close(self):
        self.echoing = False
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(CLOSE)
            self.transport.close()


def upgrade_request(host, port, path):
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, host, port, key)
    ).encode()


async def open_all(host, port, path, count, stats, deadline):
    """``count`` upgraded clients, OPENING handshakes at a time; failures counted."""
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(OPENING)
    clients = []

    async def one(index):
        async with gate:
            opened = loop.create_future()
            try:
                await asyncio.wait_for(
                    loop.create_connection(
                        lambda: Client(upgrade_request(host, port, path), stats, opened),
                        host,
                        port,
                        local_addr=(SOURCES[index % len(SOURCES)], 0),
                    ),
                    max(deadline - time.monotonic(), 0.1),
                )
                clients.append(await asyncio.wait_for(opened, max(deadline - time.monotonic(), 0.1)))
            except (OSError, asyncio.TimeoutError) as exc:
                stats.errors += 1
                if stats.errors <= 3:
                    print("connect failed: %r" % (exc,), file=sys.stderr)

    await asyncio.gather(*(one(i) for i in range(count)))
    return clients


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def echo(host, port, path, count, warmup, seconds):
    stats = Stats()
    started = time.monotonic()
    clients = await open_all(host, port, path, count, stats, started + 60)
    opening = time.monotonic() - started
    for client in clients:
        client.start()
    await asyncio.sleep(warmup)
    print(json.dumps({"counting": len(clients)}), flush=True)  # the caller samples the server from here
    stats.counting = True
    cpu, began = cpu_seconds(), time.monotonic()
    await asyncio.sleep(seconds)
    stats.counting = False
    elapsed, cpu = time.monotonic() - began, cpu_seconds() - cpu
    for client in clients:
        client.close()
    await asyncio.sleep(0.2)
    return {
        "clients": len(clients),
        "messages": stats.count,
        "rate": stats.count / elapsed,
        "client_cpu": cpu / elapsed,
        "errors": stats.errors,
        "opening": opening,
    }


async def idle(host, port, path, count):
    stats = Stats()
    started = time.monotonic()
    clients = await open_all(host, port, path, count, stats, started + 120)
    print(json.dumps({"open": len(clients), "errors": stats.errors, "opening": time.monotonic() - started}), flush=True)
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), 300)
    except asyncio.TimeoutError:
        pass
    still = sum(1 for c in clients if not c.transport.is_closing())
    for client in clients:
        client.close()
    await asyncio.sleep(0.5)
    return {"still_open": still, "errors": stats.errors}


def main(argv):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop
    except ImportError:
        uvloop = None
    mode, host, port, path = argv[0], argv[1], int(argv[2]), argv[3]
    if mode == "echo":
        coro = echo(host, port, path, int(argv[4]), float(argv[5]), float(argv[6]))
    elif mode == "idle":
        coro = idle(host, port, path, int(argv[4]))
    else:
        sys.exit(__doc__)
    result = uvloop.run(coro) if uvloop is not None else asyncio.run(coro)
    result["uvloop"] = uvloop is not None
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
