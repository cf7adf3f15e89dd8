"""async_legacy.db.atomic: one thread, one connection, one transaction around awaits.

Requests go through async_legacy.get_asgi_application(): the legacy pipeline
(the request's lane) on Django < 3.1, Django's own ASGIHandler on 3.1+.
"""

import asyncio
import json
import threading
import uuid
import warnings

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from support.helpers import Peer, call_asgi, run, scope
from testproject import gates
from testproject.db_views import COMMITS, SLEEPING, _state

import async_legacy
from async_legacy import db
from async_legacy.compat import DJANGO_VERSION, NATIVE_ASYNC

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from async_legacy.test import TestCase


@pytest.fixture
def asgi():
    return async_legacy.get_asgi_application()


@pytest.fixture
def name():
    """A fresh username; its rows go after the test (other modules count users)."""
    name = "atomic-%s" % uuid.uuid4().hex[:12]
    yield name
    User.objects.filter(username__startswith=name).delete()


def _block(loop, app, name, mode="ok"):
    got = run(loop, call_asgi(app, "/db/atomic/", {"name": name, "mode": mode}))
    return got.status, json.loads(got.body.decode())["states"]


def test_block_runs_on_one_thread_and_connection_and_commits(asgi, loop, name):
    status, states = _block(loop, asgi, name)
    assert status == 200
    inside, after = states[:-1], states[-1]
    assert all(s["in_atomic"] for s in inside) and not after["in_atomic"]
    assert len({s["thread"] for s in inside}) == 1 and len({s["conn"] for s in inside}) == 1
    assert User.objects.filter(username=name).exists()
    # on_commit ran after the commit, on the block's thread.
    assert (name, inside[0]["thread"]) in COMMITS


def test_an_exception_rolls_back(asgi, loop, name):
    status, states = _block(loop, asgi, name, "fail")
    assert status == 409 and all(s["in_atomic"] for s in states)
    assert not User.objects.filter(username=name).exists()
    assert name not in [n for n, _ in COMMITS]


def test_a_nested_block_is_a_savepoint(asgi, loop, name):
    status, states = _block(loop, asgi, name, "nested")
    assert status == 200 and len({s["thread"] for s in states[:-1]}) == 1
    assert User.objects.filter(username=name).exists()
    assert not User.objects.filter(username=name + "-inner").exists()


def test_cancellation_rolls_back_and_frees_the_connection(asgi, loop, name):
    """The client goes away while the block waits: rolled back, no lock left."""
    query = ("name=%s&mode=sleep&s=10" % name).encode()

    def in_block():
        return name in SLEEPING  # the block's transaction is open, its sleep begun

    peer = Peer(disconnect_when=in_block)
    if NATIVE_ASYNC and DJANGO_VERSION < (5, 0):
        # Django < 5.0 does not cancel a view on disconnect: the server cancels the request.
        task = loop.create_task(asgi(scope("/db/atomic/", query=query), peer.receive, peer.send))
        loop.run_until_complete(gates.until(in_block, "the block reached its sleep"))
        task.cancel()
        loop.run_until_complete(asyncio.wait([task]))
    else:
        run(loop, asgi(scope("/db/atomic/", query=query), peer.receive, peer.send))
    # Cancelled, not slept out: a block that ended would have committed (and answered).
    assert not any(m["type"] == "http.response.start" and m["status"] == 200 for m in peer.sent)
    loop.run_until_complete(asyncio.sleep(0.2))  # the rollback is queued on the block's thread
    assert not User.objects.filter(username=name).exists()
    # SQLite: a transaction left open would hold the write lock (5 s timeout, then an error).
    User.objects.create(username=name + "-after")
    assert name not in [n for n, _ in COMMITS]


def test_decorator_and_misuse():
    with pytest.raises(TypeError, match="async def"):
        db.atomic()(lambda: None)
    with pytest.raises(TypeError, match="parentheses"):
        db.atomic(_state)


class AtomicInTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        User.objects.create(username="fixture-user")

    def setUp(self):
        self.test_thread = threading.get_ident()  # where the TestCase's transaction lives

    async def test_block_sees_the_testcase_data(self):
        @db.atomic()
        async def create(username):
            await User.objects.acreate(username=username)
            return await sync_to_async(_state)()

        async with db.atomic():
            assert await User.objects.filter(username="fixture-user").aexists()
            state = await create("in-block")
            assert state["in_atomic"] and state["thread"] == self.test_thread
        assert await User.objects.filter(username="in-block").aexists()
        with pytest.raises(ValueError):
            async with db.atomic():
                await User.objects.acreate(username="rolled-back")
                raise ValueError("roll it back")
        assert not await User.objects.filter(username="rolled-back").aexists()
        assert await User.objects.filter(username="in-block").aexists()
