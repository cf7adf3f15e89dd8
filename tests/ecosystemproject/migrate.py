"""``python -m ecosystemproject.migrate``: migrate the SQLite file named by
ECOSYSTEM_DB (with ECOSYSTEM_PACKAGE=migrate: every app that has models)."""

import django

if __name__ == "__main__":
    django.setup()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
