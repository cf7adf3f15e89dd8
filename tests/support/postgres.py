"""A real PostgreSQL server for the tests (Debian's package, a throw-away cluster).

Usage (the ``postgres`` fixture in conftest.py yields the same object, started
once per test session)::

    from support.postgres import PostgresServer
    pg = PostgresServer().start()      # installs Debian's postgresql if missing
    DATABASES = {"default": pg.settings}                # ENGINE, NAME, USER, HOST, PORT
    DATABASES = {"default": pg.database("other", CONN_MAX_AGE=60)}  # a fresh database
    os.environ.update(pg.environ("other"))              # for testproject.settings_pg
    pg.backends(datname="other")                        # connections to it right now
    pg.backends(application_name="worker-1")            # ... or by application_name
    pg.idle_in_transaction(datname="other")             # [(pid, application_name, query)]
    pg.restart()                                        # fast shutdown: clients are cut off
    pg.stop()

The cluster lives in a temporary directory, listens on a free loopback port
and on a unix socket in that directory, runs as the ``postgres`` user when the
tests run as root (PostgreSQL refuses root), trusts every local connection and
has fsync off. Counting uses ``psql`` and leaves its own connection out, so it
works whether or not psycopg2 is installed in the test's Python.
"""

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from support.debian import ensure
from support.gunicorn_helpers import TESTS, free_port, stop

#: The database :attr:`PostgresServer.settings` names (created at start).
DEFAULT_DB = "async_legacy_test"


class PostgresServer:
    def __init__(self):
        self.bin_dir = os.path.dirname(ensure("postgresql", "/usr/lib/postgresql/*/bin/postgres"))
        self.dir = None
        self.port = None
        self.proc = None
        self.user = "postgres"  # the superuser initdb creates

    # -- life cycle ------------------------------------------------------
    def start(self):
        """initdb into a temporary directory (first call) and start the server."""
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="pg-test-")
            self.port = free_port()
            self._chown(self.dir)
            self._run_as_owner(
                [
                    os.path.join(self.bin_dir, "initdb"),
                    "-D",
                    self.data,
                    "-U",
                    self.user,
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "--locale",
                    "C",
                ]
            )
        log = open(os.path.join(self.dir, "postgres.log"), "a")
        cmd = [
            os.path.join(self.bin_dir, "postgres"),
            "-D",
            self.data,
            "-p",
            str(self.port),
            "-k",
            self.dir,
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=300",
        ]
        # Started as the owner directly (no runuser in between), so signals reach it.
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, preexec_fn=self._become_owner)
        log.close()
        deadline = time.time() + 30
        while self.sql("SELECT 1", check=False) != "1":
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("PostgreSQL did not start; its log:\n" + self.log())
            time.sleep(0.1)
        if self.sql("SELECT 1 FROM pg_database WHERE datname = '%s'" % DEFAULT_DB) != "1":
            self.sql("CREATE DATABASE %s" % DEFAULT_DB)
        return self

    def stop(self):
        """Fast shutdown: open client connections are terminated."""
        if self.proc is not None:
            stop(self.proc, signal.SIGINT, 30)  # PostgreSQL's fast shutdown
        self.proc = None

    def restart(self):
        """Stop (cutting every client off) and start again on the same port."""
        self.stop()
        return self.start()

    def destroy(self):
        self.stop()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    # -- what tests use --------------------------------------------------
    @property
    def settings(self):
        """``DATABASES["default"]`` for the default test database."""
        return self.database(DEFAULT_DB)

    def database(self, name, create=True, **extra):
        """``DATABASES`` settings for database ``name`` (created empty if
        missing); ``extra`` adds keys such as CONN_MAX_AGE or OPTIONS."""
        if create and self.sql("SELECT 1 FROM pg_database WHERE datname = '%s'" % name) != "1":
            self.sql("CREATE DATABASE %s" % name)
        settings = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": self.user,
            "PASSWORD": "",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
        }
        settings.update(extra)
        return settings

    def environ(self, name=DEFAULT_DB, conn_max_age=0, application_name="async_legacy_test"):
        """Environment variables for ``testproject.settings_pg`` (a gunicorn
        process started by a test reads them)."""
        self.database(name)
        return {
            "DJANGO_SETTINGS_MODULE": "testproject.settings_pg",
            "PG_HOST": "127.0.0.1",
            "PG_PORT": str(self.port),
            "PG_USER": self.user,
            "PG_NAME": name,
            "PG_CONN_MAX_AGE": str(conn_max_age),
            "PG_APPLICATION_NAME": application_name,
        }

    def backends(self, datname=None, application_name=None):
        """How many client backends are connected (to ``datname`` and/or with
        ``application_name``), not counting the connection that asks."""
        return int(self.sql("SELECT count(*) FROM pg_stat_activity WHERE " + _where(datname, application_name)))

    def idle_in_transaction(self, datname=None, application_name=None):
        """``[(pid, application_name, last query)]`` of backends left "idle in transaction"."""
        out = self.sql(
            "SELECT pid, application_name, query FROM pg_stat_activity WHERE state LIKE "
            "'idle in transaction%' AND " + _where(datname, application_name)
        )
        return [tuple(line.split("|", 2)) for line in out.splitlines() if line]

    def sql(self, query, check=True, database="postgres"):
        """Run ``query`` with psql; its rows as ``a|b`` lines."""
        proc = subprocess.run(
            [
                os.path.join(self.bin_dir, "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                database,
                "-c",
                query,
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if proc.returncode and check:
            raise RuntimeError("psql %r failed: %s" % (query, proc.stderr.strip()))
        return proc.stdout.strip()

    def log(self):
        with open(os.path.join(self.dir, "postgres.log")) as f:
            return f.read()

    # -- running as the postgres user when we are root --------------------
    @property
    def data(self):
        return os.path.join(self.dir, "data")

    def _owner(self):
        return pwd.getpwnam("postgres") if os.geteuid() == 0 else None

    def _chown(self, path):
        owner = self._owner()
        if owner is not None:
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def _become_owner(self):
        owner = self._owner()
        if owner is not None:
            os.setgid(owner.pw_gid)
            os.initgroups("postgres", owner.pw_gid)
            os.setuid(owner.pw_uid)

    def _as_owner(self, cmd):
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--"] + cmd
        return cmd

    def _run_as_owner(self, cmd):
        proc = subprocess.run(
            self._as_owner(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120
        )
        if proc.returncode:
            raise RuntimeError("%s failed:\n%s" % (cmd[0], proc.stdout))


def _where(datname, application_name):
    clauses = ["backend_type = 'client backend'", "pid <> pg_backend_pid()"]
    if datname is not None:
        clauses.append("datname = '%s'" % datname.replace("'", "''"))
    if application_name is not None:
        clauses.append("application_name = '%s'" % application_name.replace("'", "''"))
    return " AND ".join(clauses)


def migrate(env):
    """testproject's migrations in a subprocess with ``env`` (``environ()``'s database)."""
    environ = dict(os.environ, PYTHONPATH=TESTS, **env)
    # call_command skips the system checks (the test project has views that fail them on purpose).
    code = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('migrate', verbosity=0, interactive=False)"
    )
    subprocess.check_call([sys.executable, "-c", code], env=environ, cwd=TESTS)
