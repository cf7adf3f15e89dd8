"""``python -m affinityproject.setup_db N``: migrate the SQLite file named by
AFFINITY_DB, create N users each with a stored logged-in session, and print
``{username: session key}`` as JSON (the session cookie's values)."""

import json
import sys

import django


def main(count):
    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
    sessions = {}
    for index in range(count):
        user = User.objects.create_user("user%02d" % index, password="not-secret")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        sessions[user.username] = session.session_key
    print(json.dumps(sessions))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
