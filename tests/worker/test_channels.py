"""Django Channels consumers (tests/channelsproject) served by the gaiohttp
worker and by daphne, uvicorn and hypercorn: the same ASGI application, and
the same observable results from every server. Then what only the worker
does with Channels behind it: graceful shutdown with sockets open, and the
bad input tests/worker/test_websocket.py sends a raw ASGI app."""

import asyncio
import contextlib
import os
import signal
import struct
import subprocess
import sys
import time

import aiohttp
import django
import pytest
from support import rawhttp
from support.clients import address
from support.gunicorn_helpers import TESTS, asgi_server, gunicorn
from support.websocket import close_code, frame, handshake, read_frames, upgrade_request

if django.VERSION < (2, 2):
    pytest.skip(
        "Channels 3.0 and 4.x need Django >= 2.2 (2.x, the last for 1.11, is not tested)", allow_module_level=True
    )
try:
    import channels
except ImportError:
    pytest.skip("channels is not installed for this pair (scripts/matrix.py venv_for)", allow_module_level=True)

APP = "channelsproject.asgi:application"
SERVERS = ["gaiohttp", "daphne", "uvicorn", "hypercorn"]
MIB = 1024 * 1024
# Where the servers differ, each for a reason of its own, not the worker's:
# - Channels before 4.2 reads a websocket.receive by the presence of its
#   "text" key (django/channels#2097); hypercorn sends both keys, the unused
#   one None, as the ASGI spec allows: every binary message then reaches
#   receive() as text_data=None, and the consumer fails.
CHANNELS_READS_TEXT_KEY = tuple(int(part) for part in channels.__version__.split(".")[:2]) < (4, 2)
# - daphne does not send an empty message (its handle_reply tests the text
#   and bytes for truth, not for None).
# - hypercorn tells the app 1006 for every close the client starts, whatever
#   its code (pgjones/hypercorn#127: it reports only 1000 or 1006).


def seen_by_consumer(server, code):
    """The code the consumer's disconnect() gets when the client closes with ``code``."""
    return 1006 if server.kind == "hypercorn" else code


def run(coro, timeout=60):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def session():
    # No connection limit: every WebSocket holds its connection.
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("channels") / "db.sqlite3")
    env = {"TEST_SQLITE_PATH": path, "DJANGO_SETTINGS_MODULE": "channelsproject.settings"}
    code = "import django; django.setup(); from django.core.management import call_command; call_command('migrate', verbosity=0)"
    subprocess.check_call([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=TESTS, **env), cwd=TESTS)
    return path


@contextlib.contextmanager
def serving(kind, database, notes, env=None, settings=None):
    """``kind`` serving channelsproject's ASGI application; its consumers
    write what they saw to the file ``notes``."""
    environ = {"TEST_SQLITE_PATH": database, "DJANGO_SETTINGS_MODULE": "channelsproject.settings"}
    environ["CHANNELS_NOTES"] = notes
    environ.update(env or {})
    if kind == "gaiohttp":
        server = gunicorn(APP, env=environ, settings=settings)
    else:
        server = asgi_server(kind, APP, env=environ)
    with server as served:
        served.kind = kind
        served.notes = notes
        yield served


def notes(server, line, timeout=10.0):
    """Whether the consumers noted ``line``, waiting up to ``timeout`` seconds."""
    deadline = time.time() + timeout
    while True:
        if os.path.exists(server.notes):
            with open(server.notes) as f:
                if line in f.read().splitlines():
                    return True
        if time.time() > deadline:
            return False
        time.sleep(0.05)


@pytest.fixture(scope="module", params=SERVERS)
def served(request, database, tmp_path_factory):
    with serving(request.param, database, str(tmp_path_factory.mktemp("notes") / "notes")) as server:
        yield server


# -- the same results from every server ----------------------------------------
async def echoes(ws, messages):
    """Sends ``messages``, then "end"; what came back until "end" came back."""
    for message in messages:
        await (ws.send_bytes(message) if isinstance(message, bytes) else ws.send_str(message))
    await ws.send_str("end")
    got = []
    while True:
        message = await ws.receive()
        if message.data == "end" or message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            return got + ([] if message.data == "end" else [(message.type, message.data)])
        got.append((message.type, message.data))


def test_echo_text(served):
    async def go():
        async with session() as s:
            async with s.ws_connect(served.base + "/ws/plain/") as ws:
                return await echoes(ws, ["héllo", "", "x" * 70000])

    text = aiohttp.WSMsgType.TEXT
    empty = [] if served.kind == "daphne" else [(text, "")]
    assert run(go()) == [(text, "héllo")] + empty + [(text, "x" * 70000)]
    assert notes(served, "/ws/plain/ %d" % seen_by_consumer(served, 1000))  # the client's close


def test_echo_binary(served, request):
    if served.kind == "hypercorn" and CHANNELS_READS_TEXT_KEY:
        reason = "Channels %s reads binary messages from hypercorn as text_data=None" % channels.__version__
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))

    async def go():
        async with session() as s:
            async with s.ws_connect(served.base + "/ws/plain/") as ws:
                return await echoes(ws, [b"\x00\xff" * 10, b"", b"\x80" * 70000])

    binary = aiohttp.WSMsgType.BINARY
    empty = [] if served.kind == "daphne" else [(binary, b"")]
    assert run(go()) == [(binary, b"\x00\xff" * 10)] + empty + [(binary, b"\x80" * 70000)]


def test_one_mib_message(served):
    async def go():
        async with session() as s:
            async with s.ws_connect(served.base + "/ws/plain/", max_msg_size=0) as ws:
                await ws.send_str("é" * (MIB // 2))  # 1 MiB of UTF-8
                message = await ws.receive()
                return message.type, message.data == "é" * (MIB // 2)

    assert run(go()) == (aiohttp.WSMsgType.TEXT, True)


def test_200_concurrent_sockets(served):
    async def one(s, i):
        async with s.ws_connect(served.base + "/ws/plain/") as ws:
            await ws.send_str("n%d" % i)
            first = (await ws.receive()).data
            await asyncio.sleep(0.5)  # all open at once
            await ws.send_str("m%d" % i)
            return first, (await ws.receive()).data

    async def go():
        async with session() as s:
            return await asyncio.gather(*[one(s, i) for i in range(200)])

    assert run(go(), timeout=90) == [("n%d" % i, "m%d" % i) for i in range(200)]


def test_user_from_the_session_cookie(served):
    async def go():
        async with session() as s:
            async with s.post(served.base + "/login/?user=ada") as response:
                assert response.status == 200, await response.text()
                cookie = response.headers["Set-Cookie"].split(";")[0]
            async with s.ws_connect(served.base + "/ws/user/", headers={"Cookie": cookie}) as ws:
                user = (await ws.receive()).json()
            async with s.ws_connect(served.base + "/ws/echo/", headers={"Cookie": cookie}) as ws:
                await ws.send_str("hi")
                echo = (await ws.receive()).json()
        async with session() as s:  # a fresh client: no session cookie
            async with s.ws_connect(served.base + "/ws/user/") as ws:
                anonymous = (await ws.receive()).json()
        return user, echo, anonymous

    assert run(go()) == ({"user": "ada"}, {"echo": "hi", "user": "ada", "path": "/ws/echo/"}, {"user": ""})


def test_close_codes_both_ways(served):
    async def go():
        async with session() as s:
            async with s.ws_connect(served.base + "/ws/close/4002/") as ws:
                await ws.send_str("close, please")
                message = await ws.receive()
                closed = (message.type, message.data)
            ws = await s.ws_connect(served.base + "/ws/plain/")
            await ws.close(code=4001, message=b"client done")
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:  # closed before accept
                await s.ws_connect(served.base + "/ws/close/0/")
            return closed, info.value.status

    assert run(go()) == ((aiohttp.WSMsgType.CLOSE, 4002), 403)
    assert notes(served, "/ws/plain/ %d" % seen_by_consumer(served, 4001))


# -- the worker alone ------------------------------------------------------------
def test_graceful_shutdown_closes_open_consumers_1001(database, tmp_path):
    graceful = 10
    with serving("gaiohttp", database, str(tmp_path / "notes"), settings={"graceful_timeout": graceful}) as server:

        async def go():
            async with session() as s:
                sockets = [await s.ws_connect(server.base + "/ws/plain/") for _ in range(3)]
                user = await s.ws_connect(server.base + "/ws/user/")
                assert (await user.receive()).json() == {"user": ""}
                sockets.append(user)
                server.proc.send_signal(signal.SIGTERM)
                return [(await ws.receive()) for ws in sockets]

        started = time.time()
        messages = run(go())
        assert [(m.type, m.data) for m in messages] == [(aiohttp.WSMsgType.CLOSE, 1001)] * 4
        assert time.time() - started < graceful
        assert server.proc.wait(graceful) == 0
        with open(server.notes) as f:
            assert f.read().splitlines() == ["/ws/plain/ 1001"] * 3


def next_data_frame(sock):
    """The next frame from the server that is not a ping, as (opcode, payload)."""

    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            assert chunk, "the server closed"
            data += chunk
        return data

    sock.settimeout(10)
    while True:
        head = exactly(2)
        length = head[1] & 0x7F
        if length == 126:
            length = struct.unpack("!H", exactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", exactly(8))[0]
        payload = exactly(length)
        if head[0] & 0x0F != 0x9:
            return head[0] & 0x0F, payload


def test_bad_input_with_channels_behind(database, tmp_path):
    env = {"GAIOHTTP_WS_PING_INTERVAL": "0.5", "GAIOHTTP_WS_PING_TIMEOUT": "1.5"}
    with serving("gaiohttp", database, str(tmp_path / "notes"), env=env) as server:
        # A malformed handshake: 400 before the consumer is called.
        result = rawhttp.exchange(address(server), upgrade_request("/ws/plain/", key="short"), want_close=True)
        assert result.statuses == [400], result
        assert "Invalid WebSocket handshake from ip=127.0.0.1: Invalid Sec-WebSocket-Key" in server.log()
        # A frame declaring 4 GiB: 1009 from its header.
        sock = handshake(address(server), "/ws/plain/")
        sock.sendall(frame(0x2, b"", declared=1 << 32)[:14] + b"abcd")
        assert close_code(read_frames(sock))[0] == 1009
        sock.close()
        assert notes(server, "/ws/plain/ 1009")
        # An unmasked frame after a masked one (echoed): 1002.
        sock = handshake(address(server), "/ws/plain/")
        sock.sendall(frame(0x1, b"masked"))
        assert next_data_frame(sock) == (0x1, b"masked")
        sock.sendall(frame(0x1, b"unmasked", mask=False))
        assert close_code(read_frames(sock)) == (1002, "unmasked frame from the client")
        sock.close()
        assert notes(server, "/ws/plain/ 1002")
        # A client that never answers pings: dropped, and the consumer told.
        sock = handshake(address(server), "/ws/plain/")
        started = time.time()
        frames = read_frames(sock, timeout=10)
        assert time.time() - started < 8
        assert [opcode for opcode, _ in frames if opcode == 0x9], frames  # it was pinged
        sock.close()
        assert notes(server, "/ws/plain/ 1006")
