"""The name scripts/matrix.py gives this environment's Python x Django pair
("py3.12-django5.2", "py3.7-django1.11-classes"): read from the interpreter
and Django, so a test never needs the matrix to tell it."""

import os
import sys

import django


def current():
    suffix = "-classes" if os.environ.get("ASYNC_LEGACY_TEST_MIDDLEWARE") == "classes" else ""
    return "py%d.%d-django%d.%d%s" % (sys.version_info[:2] + django.VERSION[:2] + (suffix,))
