"""async_legacy.db.atomic on a real PostgreSQL server, served by gunicorn.

The client goes away while a block waits: the transaction is rolled back and
no backend is left "idle in transaction". Legacy path on Django < 3.1 (the
lane), Django's ASGIHandler on 3.1+. Marked heavy (a real server).
"""

import socket
import time
import uuid
from urllib.parse import urlparse

import pytest
from support.gunicorn_helpers import gunicorn
from support.postgres import migrate

pytestmark = pytest.mark.heavy


def _until(predicate, timeout=10):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value or time.time() > deadline:
            return value
        time.sleep(0.1)


def test_client_gone_inside_a_block_rolls_back(postgres):
    app_name = "atomic_pg"
    env = postgres.environ("atomic_pg", application_name=app_name)
    migrate(env)
    user = "gone-%s" % uuid.uuid4().hex[:8]

    def rows():
        return int(postgres.sql("SELECT count(*) FROM auth_user WHERE username = '%s'" % user, database="atomic_pg"))

    with gunicorn("testproject.served:application", env=env) as server:
        url = urlparse(server.base)
        client = socket.create_connection((url.hostname, url.port), timeout=10)
        # The block sleeps an hour: it ends only by being cancelled.
        client.sendall(("GET /db/atomic/?name=%s&mode=sleep&s=3600 HTTP/1.1\r\nHost: test\r\n\r\n" % user).encode())
        # The block holds its transaction open across the awaits (nothing committed yet).
        assert _until(lambda: postgres.idle_in_transaction(application_name=app_name)), server.log()
        assert rows() == 0
        client.close()
        # Rolled back on cancellation (the guard of 30 s is far short of the hour).
        assert _until(lambda: not postgres.idle_in_transaction(application_name=app_name), 30), server.log()
        assert rows() == 0
        # The worker goes on serving, and a block that ends normally commits.
        client = socket.create_connection((url.hostname, url.port), timeout=10)
        client.sendall(("GET /db/atomic/?name=%s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n" % user).encode())
        answer = client.makefile("rb").read()
        client.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer[:500]
        assert rows() == 1
        assert postgres.idle_in_transaction(application_name=app_name) == []
