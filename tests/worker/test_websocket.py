"""worker/websocket.py: ASGI WebSockets through real gunicorn masters with the
gaiohttp worker, with aiohttp's WebSocket client and raw sockets (for what a
client library will not send), and Django Channels where it is installed."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import aiohttp
import pytest
from support import rawhttp
from support.clients import address
from support.gunicorn_helpers import TESTS, gunicorn
from support.websocket import KEY, close_code, frame, handshake, read_frames, upgrade_request


def run(coro, timeout=30):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def session():
    # No connection limit: every WebSocket holds its connection.
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))


def wait_note(server, name, count=1, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        lines = _lines(server, name)
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    return _lines(server, name)


def has_note(server, name, text, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(text in line for line in _lines(server, name)):
            return True
        time.sleep(0.05)
    return False


def _lines(server, name):
    path = os.path.join(server.state_dir, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.read().splitlines()


@pytest.fixture(scope="module")
def server():
    with gunicorn("support.serverapps:ws_asgi") as server:
        yield server


# -- messages ----------------------------------------------------------------
def test_echo_text_and_binary_with_subprotocol_and_headers(server):
    async def go():
        async with session() as s:
            async with s.ws_connect(server.base + "/echo", protocols=("other", "chat")) as ws:
                assert ws.protocol == "chat"
                assert ws._response.headers["x-extra"] == "yes"
                await ws.send_str("héllo")
                assert (await ws.receive()).data == "héllo"
                await ws.send_bytes(b"\x00\xff" * 10)
                message = await ws.receive()
                assert message.type == aiohttp.WSMsgType.BINARY and message.data == b"\x00\xff" * 10
            async with s.ws_connect(server.base + "/echo") as ws:
                assert ws.protocol is None  # the app chose none

    run(go())


def test_one_mib_message_and_one_byte_more(server):
    async def go():
        async with session() as s:
            async with s.ws_connect(server.base + "/echo", max_msg_size=0) as ws:
                await ws.send_bytes(b"x" * (1024 * 1024))
                message = await ws.receive()
                assert len(message.data) == 1024 * 1024
                await ws.send_bytes(b"x" * (1024 * 1024 + 1))
                message = await ws.receive()
                assert message.type == aiohttp.WSMsgType.CLOSE and message.data == 1009, message

    run(go())
    assert has_note(server, "ws-disconnect", "/echo 1009")
    assert "closed with 1009: message larger than 1048576 bytes (GAIOHTTP_WS_MAX_SIZE)" in server.log()


def test_oversize_frame_refused_from_its_header(server):
    # A frame declaring 4 GiB: closed at once, without waiting for (or buffering) its payload.
    sock = handshake(address(server))
    sock.sendall(frame(0x2, b"", declared=1 << 32)[:14] + b"abcd")
    started = time.time()
    assert close_code(read_frames(sock))[0] == 1009
    assert time.time() - started < 5
    sock.close()


def test_200_concurrent_sockets(server):
    async def one(s, i):
        async with s.ws_connect(server.base + "/echo") as ws:
            await ws.send_str("n%d" % i)
            got = (await ws.receive()).data
            await asyncio.sleep(0.5)  # all open at once
            await ws.send_bytes(b"%d" % i)
            return got, (await ws.receive()).data

    async def go():
        async with session() as s:
            return await asyncio.gather(*[one(s, i) for i in range(200)])

    results = run(go(), timeout=60)
    assert results == [("n%d" % i, b"%d" % i) for i in range(200)]


def test_close_codes_both_ways(server):
    async def go():
        async with session() as s:
            async with s.ws_connect(server.base + "/echo") as ws:
                await ws.send_str("close:4002:server done")
                message = await ws.receive()
                assert (message.type, message.data, message.extra) == (aiohttp.WSMsgType.CLOSE, 4002, "server done")
            ws = await s.ws_connect(server.base + "/linger")
            await ws.close(code=4001, message=b"client done")

    run(go())
    assert has_note(server, "ws-disconnect", "/echo 4002 server done")
    assert has_note(server, "ws-disconnect", "/linger 4001 client done")


def test_dropped_connection_is_disconnect_1006(server):
    sock = handshake(address(server), "/linger")
    sock.sendall(frame(0x1, b"one"))
    sock.close()  # no close frame
    assert has_note(server, "ws-disconnect", "/linger 1006")


# -- the handshake -----------------------------------------------------------
def test_denial_before_accept_is_403(server):
    result = rawhttp.exchange(address(server), upgrade_request("/deny"), want_close=True)
    assert result.statuses == [403] and result.closed, result

    async def go():
        async with session() as s:
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await s.ws_connect(server.base + "/deny")
            assert info.value.status == 403

    run(go())


def test_websocket_http_response_extension(server):
    result = rawhttp.exchange(address(server), upgrade_request("/http-response"), want_close=True)
    assert result.statuses == [401], result
    response = result.responses[0]
    assert response.header("x-reason") == "no-token"
    assert response.body == b"no token"


@pytest.mark.parametrize(
    "key, version, reason",
    [
        ("short", "13", "Invalid Sec-WebSocket-Key"),
        ("", "13", "Invalid Sec-WebSocket-Key"),
        (KEY, "8", "Unsupported Sec-WebSocket-Version"),
        (KEY, "", "Unsupported Sec-WebSocket-Version"),
    ],
)
def test_malformed_handshake_is_400_and_logged(server, key, version, reason):
    result = rawhttp.exchange(address(server), upgrade_request("/echo", key=key, version=version), want_close=True)
    assert result.statuses == [400], result
    assert result.responses[0].header("sec-websocket-version") == "13"
    assert reason.encode() in result.responses[0].body
    assert "Invalid WebSocket handshake from ip=127.0.0.1: " + reason in server.log()


def test_app_raising_before_accept_is_500(server):
    result = rawhttp.exchange(address(server), upgrade_request("/raise-before"), want_close=True)
    assert result.statuses == [500], result
    assert "refused before accept" in server.log()


def test_app_raising_after_accept_closes_1011(server):
    async def go():
        async with session() as s:
            async with s.ws_connect(server.base + "/raise-after") as ws:
                message = await ws.receive()
                assert (message.type, message.data) == (aiohttp.WSMsgType.CLOSE, 1011)

    run(go())
    assert "Error in ASGI WebSocket app" in server.log()
    assert "failed after accept" in server.log()


def test_unmasked_client_frame_closes_1002(server):
    sock = handshake(address(server))
    sock.sendall(frame(0x1, b"masked", mask=True))
    sock.sendall(frame(0x1, b"unmasked", mask=False))
    frames = read_frames(sock)
    assert frames[0] == (0x1, b"masked")  # the frame before it was served
    assert close_code(frames) == (1002, "unmasked frame from the client")
    sock.close()
    assert "closed with 1002: unmasked frame from the client" in server.log()

    async def still_serving():
        async with session() as s:
            async with s.ws_connect(server.base + "/echo") as ws:
                await ws.send_str("after")
                assert (await ws.receive()).data == "after"

    run(still_serving())


def test_two_concurrent_receive_calls_share_the_messages(server):
    # The app's receive() reads from aiohttp itself on aiohttp >= 3.14, which
    # allows one reader at a time: a second caller waits its turn.
    async def go():
        async with session() as s:
            async with s.ws_connect(server.base + "/twice") as ws:
                sent = ["m%d" % i for i in range(20)]
                for text in sent:
                    await ws.send_str(text)
                got = [(await ws.receive()).data for _ in sent]
                await ws.close(code=4003)
        assert sorted(g.split(":", 1)[1] for g in got) == sorted(sent)
        assert {g.split(":", 1)[0] for g in got} <= {"a", "b"}

    run(go())
    # Both callers are told (the server's other sockets write this file too).
    assert has_note(server, "ws-disconnect", "/twice 4003 a")
    assert has_note(server, "ws-disconnect", "/twice 4003 b")


def test_idle_sockets_keep_no_reader_task_and_no_http_parser(server):
    # What an idle socket costs the worker: aiohttp's connection task and the
    # request's (where the app waits in receive()), and no HTTP parser. A
    # reader task per socket is only kept where aiohttp counts pongs only
    # when someone reads (< 3.14, pings on: worker/websocket.py).
    count = 40

    async def census(s):
        async with s.get(server.base + "/census") as response:
            return await response.json()

    async def go():
        async with session() as s:
            before = await census(s)
            sockets = [await s.ws_connect(server.base + "/quiet") for _ in range(count)]
            during = await census(s)
            for ws in sockets:
                await ws.close()
        return before, during

    before, during = run(go())
    per_socket = (during["tasks"] - before["tasks"]) / count
    assert per_socket == (3 if _reader_tasks() else 2), (before, during)
    assert during["protocols"] >= count
    assert during["parsers"] <= before["parsers"] + 1, (before, during)  # the census' own connection at most


def _reader_tasks():
    from async_legacy.worker.websocket import HEARTBEAT_ON_DATA

    return not HEARTBEAT_ON_DATA  # the test server runs with pings on (the default)


def test_upgrade_to_a_wsgi_app_stays_http():
    with gunicorn("support.serverapps:wsgi_app") as server:
        result = rawhttp.exchange(address(server), upgrade_request("/echo"), want_close=True)
        assert result.statuses == [200], result
        assert json.loads(result.responses[0].body)["path"] == "/echo"
        assert "Traceback" not in server.log()


# -- liveness and limits ----------------------------------------------------
def test_client_that_never_answers_ping_is_dropped():
    env = {"GAIOHTTP_WS_PING_INTERVAL": "0.5", "GAIOHTTP_WS_PING_TIMEOUT": "1.5"}
    with gunicorn("support.serverapps:ws_asgi", env=env) as server:
        sock = handshake(address(server), "/quiet")
        started = time.time()
        frames = read_frames(sock, timeout=10)  # never answered
        assert time.time() - started < 8
        assert [opcode for opcode, _ in frames if opcode == 0x9], frames  # it was pinged
        sock.close()
        assert wait_note(server, "ws-disconnect") == ["/quiet 1006 -"]
        assert "closed with 1006: no pong within 1.5s of a ping (GAIOHTTP_WS_PING_TIMEOUT)" in server.log()

        async def answering():  # aiohttp's client answers pings (while it reads): kept open
            async with session() as s:
                async with s.ws_connect(server.base + "/echo") as ws:
                    reading = asyncio.ensure_future(ws.receive())
                    await asyncio.sleep(3.0)  # six ping intervals, two ping timeouts
                    assert not reading.done()
                    await ws.send_str("alive")
                    assert (await reading).data == "alive"

        run(answering())


def test_worker_connections_counts_open_websockets():
    with gunicorn("support.serverapps:ws_asgi", settings={"worker_connections": 2}) as server:

        async def go():
            async with session() as s:
                first = await s.ws_connect(server.base + "/quiet")
                second = await s.ws_connect(server.base + "/quiet")
                loop = asyncio.get_event_loop()
                waiting = loop.run_in_executor(
                    None, lambda: rawhttp.exchange(address(server), b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n", timeout=6)
                )
                await asyncio.sleep(1.0)
                assert not waiting.done()  # two sockets open: not served
                await first.close()
                result = await waiting
                assert result.statuses == [200], result
                await second.close()

        run(go())


def test_per_message_deflate_is_off_unless_asked(server):
    async def negotiated(base):
        async with session() as s:
            async with s.ws_connect(base + "/echo", compress=15) as ws:
                await ws.send_str("z" * 10000)
                assert (await ws.receive()).data == "z" * 10000
                return ws._response.headers.get("Sec-WebSocket-Extensions")

    assert run(negotiated(server.base)) is None
    with gunicorn("support.serverapps:ws_asgi", env={"GAIOHTTP_WS_PER_MESSAGE_DEFLATE": "1"}) as deflating:
        assert "permessage-deflate" in run(negotiated(deflating.base))


# -- shutdown ----------------------------------------------------------------
def test_graceful_shutdown_closes_open_sockets_1001_and_waits():
    with gunicorn("support.serverapps:ws_asgi", settings={"graceful_timeout": 10}) as server:

        async def go():
            async with session() as s:
                sockets = [await s.ws_connect(server.base + path) for path in ("/quiet", "/linger", "/echo")]
                server.proc.send_signal(signal.SIGTERM)
                return [(await ws.receive()) for ws in sockets]

        started = time.time()
        messages = run(go())
        assert [(m.type, m.data) for m in messages] == [(aiohttp.WSMsgType.CLOSE, 1001)] * 3
        assert server.proc.wait(10) == 0
        assert time.time() - started < 8
        # /linger takes a second after websocket.disconnect: the worker waited for it.
        assert sorted(_lines(server, "ws-disconnect")) == [
            "/echo 1001 Server shutting down",
            "/linger 1001 Server shutting down",
            "/quiet 1001 Server shutting down",
        ]


def test_max_requests_restart_closes_1012():
    settings = {"max_requests": 3, "max_requests_jitter": 0}
    with gunicorn("support.serverapps:ws_asgi", settings=settings) as server:

        async def go():
            async with session() as s:
                ws = await s.ws_connect(server.base + "/linger")  # request 1
                for _ in range(2):  # requests 2 and 3: the worker restarts
                    async with s.get(server.base + "/x") as response:
                        assert response.status == 200
                message = await ws.receive()
                assert (message.type, message.data) == (aiohttp.WSMsgType.CLOSE, 1012)

        run(go())
        assert wait_note(server, "ws-disconnect") == ["/linger 1012 Server restarting"]


# -- Django Channels -----------------------------------------------------------
@pytest.fixture(scope="module")
def channels_env(tmp_path_factory):
    pytest.importorskip("channels")
    path = str(tmp_path_factory.mktemp("channels") / "db.sqlite3")
    env = {"TEST_SQLITE_PATH": path, "DJANGO_SETTINGS_MODULE": "channelsproject.settings"}
    code = "import django; django.setup(); from django.core.management import call_command; call_command('migrate', verbosity=0)"
    subprocess.check_call([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=TESTS, **env), cwd=TESTS)
    return env


def test_channels_consumer_with_auth_middleware_stack(channels_env):
    with gunicorn("channelsproject.asgi:application", env=channels_env) as server:

        async def go():
            async with session() as s:
                async with s.post(server.base + "/login/?user=ada") as response:
                    assert response.status == 200, await response.text()
                    cookie = response.headers["Set-Cookie"].split(";")[0]
                async with s.get(server.base + "/where/") as response:  # the HTTP side, beside Channels
                    assert (await response.json())["reverse"] == "/where/"
                async with s.ws_connect(server.base + "/ws/echo/", headers={"Cookie": cookie}) as ws:
                    await ws.send_str("hi")
                    assert json.loads((await ws.receive()).data) == {"echo": "hi", "user": "ada", "path": "/ws/echo/"}
                    await ws.send_bytes(b"\x01\x02")
                    assert (await ws.receive()).data == b"\x01\x02"
            async with session() as s:  # a fresh client: no session cookie
                async with s.ws_connect(server.base + "/ws/echo/") as ws:
                    await ws.send_str("anon")
                    assert json.loads((await ws.receive()).data)["user"] == ""
                with pytest.raises(aiohttp.WSServerHandshakeError) as info:  # no route: Channels raises
                    await s.ws_connect(server.base + "/ws/nowhere/")
                assert info.value.status == 500

        run(go())
        log = server.log()
        assert log.count("Traceback") == 1 and "No route found for path 'ws/nowhere/'" in log, log[-3000:]
