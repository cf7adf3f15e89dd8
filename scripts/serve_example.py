#!/usr/bin/env python3
"""Serve example_montage under gunicorn with the gaiohttp worker.

Sets everything up on a fresh machine: a virtualenv (.venv-example) with
Python 3.8 and Django 2.2 (the legacy path), this package with its worker
extra, and a migrated SQLite database. Then http://127.0.0.1:8000/.
Environment: MONTAGE_BIND (default 127.0.0.1:8000), MONTAGE_WORKERS,
EXAMPLE_PYTHON (default 3.8), EXAMPLE_DJANGO (default 2.2).
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from matrix import ensure_venv  # noqa: E402


def main():
    python = os.environ.get("EXAMPLE_PYTHON", "3.8")
    django = os.environ.get("EXAMPLE_DJANGO", "2.2")
    venv = os.path.join(ROOT, ".venv-example")
    bin_dir = ensure_venv(venv, python, ["Django~=%s.0" % django, ROOT + "[worker,drf]"])
    example = os.path.join(ROOT, "example_montage")
    subprocess.check_call(
        [os.path.join(bin_dir, "python"), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=example
    )
    print("Serving example_montage on http://%s/" % os.environ.get("MONTAGE_BIND", "127.0.0.1:8000"), flush=True)
    os.chdir(example)
    gunicorn = os.path.join(bin_dir, "gunicorn")
    os.execv(gunicorn, [gunicorn, "-c", os.path.join(example, "gunicorn.conf.py")])


if __name__ == "__main__":
    main()
