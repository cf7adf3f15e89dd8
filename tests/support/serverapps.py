"""Tiny apps of each kind for the worker tests (no Django)."""

import asyncio
import gc
import json
import os
import time

STATE_DIR = os.environ.get("SERVERAPPS_STATE", "/tmp")
_active = {"now": 0, "peak": 0}


def _note(name, text):
    with open(os.path.join(STATE_DIR, name), "a") as f:
        f.write(text + "\n")


async def _until_noted(name, seconds=30.0):
    """Until the test wrote ``name`` in the state directory (Gunicorn.note)."""
    path = os.path.join(STATE_DIR, name)
    for _ in range(int(seconds / 0.02)):
        if os.path.exists(path):
            return
        await asyncio.sleep(0.02)


def wsgi_app(environ, start_response):
    """Plain WSGI: echoes what the server told it."""
    body = environ["wsgi.input"].read()
    payload = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "scheme": environ["wsgi.url_scheme"],
        "remote_port": environ.get("REMOTE_PORT"),
        "body_length": len(body),
        "x_test": environ.get("HTTP_X_TEST"),
        "gc_frozen": gc.get_freeze_count(),
    }
    data = json.dumps(payload).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


async def _asgi_body(receive):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def asgi_app(scope, receive, send):
    """ASGI 3 with lifespan: echoes method/path/body."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _note("lifespan", "startup")
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                _note("lifespan", "shutdown")
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = await _asgi_body(receive)
    echo = {"method": scope["method"], "path": scope["path"], "body_length": len(body)}
    if scope["path"].startswith("/scope/"):
        echo.update(scheme=scope["scheme"], client=scope["client"], server=scope["server"])
    data = json.dumps(echo).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": data})


async def asgi_disconnect_app(scope, receive, send):
    """ASGI: /listen waits for http.disconnect; /stubborn ignores it and sleeps.
    Notes "<path> <event> <time>" in asgi-ended (event: disconnect or cancelled)."""
    if scope["type"] != "http":
        return
    import time

    path = scope["path"]
    await _asgi_body(receive)
    _note("asgi-started", path)
    try:
        if path == "/listen":
            message = await receive()
            _note("asgi-ended", "%s %s %.3f" % (path, message["type"].split(".")[-1], time.time()))
        else:
            await asyncio.sleep(30)
    except asyncio.CancelledError:
        _note("asgi-ended", "%s cancelled %.3f" % (path, time.time()))
        raise


class SlowCoroutineApp:
    """Coroutine WSGI: sleeps ?s= seconds; records starts, cancellations and peak concurrency."""

    coroutine_wsgi = (1, 0)

    def __call__(self, environ, start_response):
        return self._serve(environ, start_response)

    async def _serve(self, environ, start_response):
        seconds = float(environ["QUERY_STRING"].partition("s=")[2] or 0)
        _note("started", environ["PATH_INFO"])
        _active["now"] += 1
        _active["peak"] = max(_active["peak"], _active["now"])
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            _note("cancelled", environ["PATH_INFO"])
            raise
        finally:
            _active["now"] -= 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"done peak=%d" % _active["peak"]]


slow_app = SlowCoroutineApp()


class BlockingApp(SlowCoroutineApp):
    """Coroutine WSGI that (wrongly) blocks the event loop for ?s= seconds."""

    async def _serve(self, environ, start_response):
        import time

        time.sleep(float(environ["QUERY_STRING"].partition("s=")[2] or 0))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"blocked"]


blocking_app = BlockingApp()


async def upstream_reset_app(environ, start_response):
    """Coroutine WSGI whose own upstream connection was reset."""
    raise ConnectionResetError("upstream API reset the connection")


upstream_reset_app.coroutine_wsgi = (1, 0)


async def loop_app(scope, receive, send):
    """ASGI: names the event loop class serving it (uvloop or asyncio)."""
    if scope["type"] != "http":
        return
    loop = asyncio.get_event_loop()
    data = ("%s.%s" % (type(loop).__module__, type(loop).__name__)).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": data})


def _aiohttp_app():
    from aiohttp import web

    async def hello(request):
        return web.Response(text="hello %s from %s" % (request.match_info["name"], type(request).__name__))

    async def on_startup(app):
        _note("aiohttp", "startup")

    async def on_cleanup(app):
        _note("aiohttp", "cleanup")

    app = web.Application()
    app.router.add_get("/hello/{name}", hello)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


aiohttp_app = _aiohttp_app()


async def late_stream(environ, start_response):
    """Coroutine WSGI streaming its first chunk only once the test says "go"
    (a line in the state file ``go``; 30 s at most)."""
    start_response("200 OK", [("Content-Type", "text/plain")])

    async def chunks():
        await _until_noted("go")
        yield b"late"

    return chunks()


late_stream.coroutine_wsgi = (1, 0)


def _echo_environ(environ, body):
    return {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "raw_uri": environ.get("RAW_URI"),
        "protocol": environ["SERVER_PROTOCOL"],
        "headers": {
            k: v for k, v in environ.items() if k.startswith("HTTP_") or k in ("CONTENT_TYPE", "CONTENT_LENGTH")
        },
        "body": body.decode("latin-1"),
    }


def echo_wsgi(environ, start_response):
    """Plain WSGI: what the server made of the request, as JSON."""
    data = json.dumps(_echo_environ(environ, environ["wsgi.input"].read())).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


async def echo_coroutine(environ, start_response):
    """Coroutine WSGI: the same echo."""
    data = json.dumps(_echo_environ(environ, environ["wsgi.input"].read())).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


echo_coroutine.coroutine_wsgi = (1, 0)


async def echo_asgi(scope, receive, send):
    """ASGI: the scope (raw headers in order) and body, as JSON."""
    if scope["type"] != "http":
        return
    body = await _asgi_body(receive)
    data = json.dumps(
        {
            "method": scope["method"],
            "path": scope["path"],
            "raw_path": scope["raw_path"].decode("latin-1"),
            "query": scope["query_string"].decode("latin-1"),
            "protocol": "HTTP/" + scope["http_version"],
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
            "body": body.decode("latin-1"),
        }
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def bad_status_wsgi(environ, start_response):
    """Plain WSGI that puts CR/LF (or NUL) into its status line or a header."""
    where = environ["QUERY_STRING"]
    if where == "status":
        start_response("200 OK\r\nX-Injected: 1", [("Content-Type", "text/plain")])
    elif where == "nul":
        start_response("200 OK", [("X-Evil", "a\x00b")])
    else:
        start_response("200 OK", [("X-Evil", "a\r\nX-Injected: 1")])
    return [b"split"]


async def bad_header_asgi(scope, receive, send):
    """ASGI that puts CR/LF into a response header."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-evil", b"a\r\nx-injected: 1")]})
    await send({"type": "http.response.body", "body": b"split"})


def big_wsgi(environ, start_response):
    """Plain WSGI streaming ?mb= megabytes (for slow readers)."""
    megabytes = int(environ["QUERY_STRING"].partition("mb=")[2] or 1)
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    block = b"x" * (1024 * 1024)
    return (block for _ in range(megabytes))


def rss_wsgi(environ, start_response):
    """Plain WSGI: the worker's resident memory in kB."""
    with open("/proc/self/status") as f:
        rss = [line.split()[1] for line in f if line.startswith("VmRSS:")][0]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [rss.encode()]


def probe_wsgi(environ, start_response):
    """Plain WSGI for the protocol probes: /rss, /big?mb=N, else the echo."""
    path = environ["PATH_INFO"]
    if path == "/rss":
        return rss_wsgi(environ, start_response)
    if path == "/big":
        return big_wsgi(environ, start_response)
    return echo_wsgi(environ, start_response)


def _plain_aiohttp_echo():
    """The echo as a plain aiohttp app (aiohttp's own gunicorn worker serves it)."""
    from aiohttp import web

    async def echo(request):
        body = await request.read()
        headers = {}
        for name, value in request.headers.items():
            key = {"CONTENT-TYPE": "CONTENT_TYPE", "CONTENT-LENGTH": "CONTENT_LENGTH"}.get(
                name.upper(), "HTTP_" + name.upper().replace("-", "_")
            )
            headers[key] = headers[key] + "," + value if key in headers else value
        return web.json_response(
            {
                "method": request.method,
                "path": request.path,
                "query": request.query_string,
                "protocol": "HTTP/%d.%d" % request.version,
                "headers": headers,
                "body": body.decode("latin-1"),
            }
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


plain_aiohttp_echo = _plain_aiohttp_echo()


def affinity_wsgi(environ, start_response):
    """The CPUs each thread of this worker may run on (this one serves from the thread pool)."""
    pid = os.getpid()
    threads = {tid: sorted(os.sched_getaffinity(int(tid))) for tid in os.listdir("/proc/%d/task" % pid)}
    data = json.dumps({"pid": pid, "threads": threads}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


_cpu_steps = {"done": 0}


async def burst_coroutine(environ, start_response):
    """Coroutine WSGI: /cpu/ spends 5 ms of CPU before answering (a heavy
    first step, as middleware and a view's code before its first await);
    /tick/ sleeps 0.3 s and answers (a request in flight, waiting on I/O).
    X-Gc says whether the cyclic collector was on when its first step ran;
    X-Cpu-Steps how many /cpu/ steps the process had run when it answered."""
    collecting = "on" if gc.isenabled() else "off"
    if environ["PATH_INFO"] == "/tick/":
        await asyncio.sleep(0.3)
    else:
        end = time.perf_counter() + 0.005
        while time.perf_counter() < end:
            pass
        _cpu_steps["done"] += 1
    headers = [("Content-Type", "text/plain"), ("Content-Length", "2"), ("X-Gc", collecting)]
    start_response("200 OK", headers + [("X-Cpu-Steps", str(_cpu_steps["done"]))])
    return [b"ok"]


burst_coroutine.coroutine_wsgi = (1, 0)


class Asgi2App:
    """ASGI 2, class style: Asgi2App(scope), then await instance(receive, send).
    Echoes method/path/body and the scope's ASGI version; notes lifespan in asgi2-lifespan."""

    def __init__(self, scope):
        self.scope = scope

    async def __call__(self, receive, send):
        scope = self.scope
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                event = message["type"].split(".")[-1]
                _note("asgi2-lifespan", event)
                await send({"type": "lifespan.%s.complete" % event})
                if event == "shutdown":
                    return
        body = await _asgi_body(receive)
        echo = {"method": scope["method"], "path": scope["path"], "body_length": len(body)}
        echo["asgi"] = scope["asgi"]["version"]
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(echo).encode()})


def sentry_asgi(asgi_version=3):
    """sentry-sdk's SentryAsgiMiddleware around asgi_app (ASGI 3) or Asgi2App
    (gunicorn's "support.serverapps:sentry_asgi(2)"); /boom raises. Sentry's events
    go to the state file sentry-events (JSON lines), never to the network."""
    import sentry_sdk
    from sentry_sdk.integrations.asgi import SentryAsgiMiddleware
    from sentry_sdk.transport import Transport

    class FileTransport(Transport):
        def capture_event(self, event):  # sentry-sdk 1.x sends error events here
            _note("sentry-events", json.dumps(event, default=str))

        def capture_envelope(self, envelope):  # 2.x sends every event in an envelope
            event = envelope.get_event()
            if event is not None:
                self.capture_event(event)

    sentry_sdk.init(dsn="http://public@127.0.0.1:1/1", transport=FileTransport())

    async def asgi3(scope, receive, send):
        if scope.get("path") == "/boom":
            raise ZeroDivisionError("boom from the app")
        await asgi_app(scope, receive, send)

    def asgi2(scope):
        if scope.get("path") == "/boom":
            raise ZeroDivisionError("boom from the app")
        return Asgi2App(scope)

    return SentryAsgiMiddleware(asgi3 if asgi_version == 3 else asgi2)


async def ws_asgi(scope, receive, send):
    """ASGI with WebSockets (tests/worker/test_websocket.py), by path:
    /echo echoes text and bytes ("close:<code>:<reason>" makes it close),
    /deny closes before accepting, /http-response answers with the
    websocket.http.response extension, /raise-before and /raise-after raise,
    /scope sends its scope's path, root_path and state, /quiet accepts and
    only waits (/linger too, and takes a second to end after websocket.disconnect). Each websocket.disconnect is noted in ws-disconnect as
    "<path> <code> <reason>". HTTP: the scope's path, root_path and state."""
    kind = scope["type"]
    if kind == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                scope["state"]["db"] = "connected"
                scope["state"]["pid"] = os.getpid()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if kind == "http":
        await _asgi_body(receive)
        state = scope.get("state", {})
        state["touched"] = True  # a copy: the next request must not see it
        body = {"path": scope["path"], "root_path": scope["root_path"], "state": state}
        if scope["path"].endswith("/census"):
            body.update(_census())
        data = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": data})
        return
    assert kind == "websocket"
    path = scope["path"]
    if scope.get("root_path"):
        path = path[len(scope["root_path"]) :]
    message = await receive()
    assert message["type"] == "websocket.connect", message
    if path == "/deny":
        await send({"type": "websocket.close"})
        return
    if path == "/http-response":
        await send({"type": "websocket.http.response.start", "status": 401, "headers": [(b"x-reason", b"no-token")]})
        await send({"type": "websocket.http.response.body", "body": b"no ", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"token"})
        return
    if path == "/raise-before":
        raise RuntimeError("refused before accept")
    accept = {"type": "websocket.accept", "headers": [(b"x-extra", b"yes")]}
    if "chat" in scope["subprotocols"]:
        accept["subprotocol"] = "chat"
    await send(accept)
    if path == "/raise-after":
        raise RuntimeError("failed after accept")
    if path == "/scope":
        state = dict(scope.get("state", {}))
        await send(
            {
                "type": "websocket.send",
                "text": json.dumps(
                    {"path": scope["path"], "root_path": scope["root_path"], "state": state, "scheme": scope["scheme"]}
                ),
            }
        )
    if path == "/twice":
        await _receive_twice(receive, send)
        return
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            if path == "/linger":
                await asyncio.sleep(1.0)  # cleanup the worker waits for when it stops
            _note("ws-disconnect", "%s %s %s" % (path, message["code"], message.get("reason") or "-"))
            return
        if path in ("/quiet", "/linger"):
            continue
        text = message.get("text")
        if text is not None and text.startswith("close:"):
            _, code, reason = text.split(":", 2)
            await send({"type": "websocket.close", "code": int(code), "reason": reason})
            continue
        if text is not None:
            await send({"type": "websocket.send", "text": text})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


def _census():
    """What the worker holds now: its tasks, and its connections that still
    keep an HTTP parser (aiohttp's ``_parser``, ``_request_parser`` before 3.14)."""
    protocols = [o for o in gc.get_objects() if type(o).__name__ == "GuardedRequestHandler"]
    parsers = sum(1 for p in protocols if getattr(p, "_parser", None) or getattr(p, "_request_parser", None))
    return {"tasks": len(asyncio.all_tasks()), "protocols": len(protocols), "parsers": parsers}


async def _receive_twice(receive, send):
    """Two tasks of the app call receive() at once (ASGI allows it): each
    message reaches one of them, tagged with which, and both see the disconnect."""

    async def one(tag):
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                _note("ws-disconnect", "/twice %s %s" % (message["code"], tag))
                return
            await send({"type": "websocket.send", "text": "%s:%s" % (tag, message["text"])})

    await asyncio.gather(one("a"), one("b"))


async def lifespan_failed_asgi(scope, receive, send):
    """ASGI whose lifespan startup fails (the worker must not serve)."""
    if scope["type"] == "lifespan":
        await receive()
        _note("boots", str(os.getpid()))
        await send({"type": "lifespan.startup.failed", "message": "no database"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"served"})


async def lifespan_raises_asgi(scope, receive, send):
    """ASGI that raises during lifespan startup."""
    if scope["type"] == "lifespan":
        await receive()
        _note("boots", str(os.getpid()))
        raise RuntimeError("cannot start")
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"served"})


def script_name_wsgi(environ, start_response):
    """WSGI: its SCRIPT_NAME and PATH_INFO."""
    data = json.dumps({"script_name": environ["SCRIPT_NAME"], "path_info": environ["PATH_INFO"]}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [data]
