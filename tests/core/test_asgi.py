"""async_legacy.asgi: the legacy pipeline behind an ASGI 3 face (Django < 3.1).

Real servers (uvicorn, daphne) serve example_montage through it in
integration/test_example_montage.py; here the translation itself is checked in process.
"""

import asyncio

import pytest
from django.core import signals
from support.helpers import Peer, lanes_idle, run, scope

from async_legacy.asgi import LegacyASGIHandler, environ_from_scope

#: The legacy pipeline's own code: deselected on Django >= 3.1, where Django's handler serves (tests/conftest.py).
pytestmark = pytest.mark.legacy_only


@pytest.fixture
def asgi_app(app):
    return LegacyASGIHandler(app)


def test_environ_translation():
    import io

    env = environ_from_scope(
        scope(
            "/shop/caf\u00e9/",
            query=b"a=1",
            root_path="/shop",
            headers=[
                (b"cookie", b"a=1"),
                (b"cookie", b"b=2"),
                (b"x-many", b"1"),
                (b"x-many", b"2"),
                (b"content-type", b"text/plain"),
                (b"transfer-encoding", b"chunked"),
            ],
        ),
        io.BytesIO(b"hello"),
    )
    assert env["SCRIPT_NAME"] == "/shop"
    assert env["PATH_INFO"] == "/caf\u00e9/".encode("utf-8").decode("latin-1")  # PEP 3333 strings
    assert env["QUERY_STRING"] == "a=1"
    assert env["HTTP_COOKIE"] == "a=1; b=2" and env["HTTP_X_MANY"] == "1,2"
    assert env["CONTENT_TYPE"] == "text/plain" and env["CONTENT_LENGTH"] == "5"  # chunked: length of the body read


def test_async_view_and_post_body_in_chunks(asgi_app, loop):
    peer = Peer()
    run(loop, asgi_app(scope("/hello/"), peer.receive, peer.send))
    assert (peer.status, peer.body) == (200, b"hello")
    peer = Peer([b"x=", b"42"])
    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    run(loop, asgi_app(scope("/post-only/", method="POST", headers=headers), peer.receive, peer.send))
    assert (peer.status, peer.body) == (200, b"posted 42")


def test_response_headers_and_cookies(asgi_app, loop):
    peer = Peer()
    run(loop, asgi_app(scope("/session/"), peer.receive, peer.send))
    headers = dict(peer.sent[0]["headers"])
    assert headers[b"x-frame-options"] in (b"DENY", b"SAMEORIGIN")
    assert b"sessionid=" in headers[b"set-cookie"]


def test_client_disconnect_cancels_the_view_and_finishes_the_request(app, asgi_app, loop, events):
    finished = []
    signals.request_finished.connect(lambda sender, **kw: finished.append(1), weak=False, dispatch_uid="t-asgi")
    try:
        peer = Peer(disconnect_when=lambda: "slow:started" in events)
        # Bounded well short of the view's 30 s: cancelled, not slept out.
        run(loop, asyncio.wait_for(asgi_app(scope("/slow/"), peer.receive, peer.send), 15))
    finally:
        signals.request_finished.disconnect(dispatch_uid="t-asgi")
    assert "slow:cancelled" in events
    assert finished == [1] and peer.sent == []
    run(loop, lanes_idle(app))
    assert app.lanes.busy == 0


def test_lifespan_and_websocket(asgi_app, loop):
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message["type"])

    run(loop, asgi_app({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    with pytest.raises(ValueError, match="Channels"):
        run(loop, asgi_app({"type": "websocket"}, receive, send))


def test_get_asgi_application_is_the_legacy_face():
    from async_legacy import get_asgi_application

    assert isinstance(get_asgi_application(), LegacyASGIHandler)
