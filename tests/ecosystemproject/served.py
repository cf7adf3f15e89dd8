"""The project as our worker serves it: ``async_legacy.get_application()``."""

import os

import django

django.setup(set_prefix=False)

if os.environ.get("ECOSYSTEM_PACKAGE") == "otel":
    from ecosystemproject import telemetry

    telemetry.instrument()

from async_legacy import get_application  # noqa: E402

application = get_application()
