"""The real-PostgreSQL fixture (tests/support/postgres.py) counts what it says it counts."""

import pytest

pytestmark = pytest.mark.heavy  # a real PostgreSQL server


def test_counts_backends_and_idle_transactions_and_survives_restart(postgres):
    import psycopg2

    settings = postgres.database("fixture_check")
    assert postgres.backends(datname="fixture_check") == 0
    conn = psycopg2.connect(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        dbname="fixture_check",
        application_name="fixture-check",
    )
    try:
        assert postgres.backends(datname="fixture_check") == 1
        assert postgres.backends(application_name="fixture-check") == 1
        assert postgres.backends(application_name="someone-else") == 0
        conn.cursor().execute("SELECT 1")  # psycopg2 opens a transaction
        idle = postgres.idle_in_transaction(datname="fixture_check")
        assert [(app, query) for _, app, query in idle] == [("fixture-check", "SELECT 1")]
        postgres.restart()
        assert postgres.backends(datname="fixture_check") == 0
        try:
            conn.cursor().execute("SELECT 1")
        except psycopg2.Error:
            pass
        else:
            raise AssertionError("a connection from before the restart still worked")
    finally:
        conn.close()
    assert postgres.backends(datname="fixture_check") == 0
