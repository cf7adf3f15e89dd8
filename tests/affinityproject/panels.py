"""django-debug-toolbar's Logging panel, with its records in a response header.

The panel's own stats, as generate_stats() recorded them for this request
(``self.get_stats()["records"]``), are copied to ``X-Logged`` (a JSON list
of the messages), so the tests read what the toolbar would show.
"""

import json
import threading

from debug_toolbar.panels.logging import LoggingPanel


def show_toolbar(request):
    return True


class HeaderLoggingPanel(LoggingPanel):
    def generate_stats(self, request, response):
        super().generate_stats(request, response)
        records = (self.get_stats() or {}).get("records", [])
        response["X-Logged"] = json.dumps([record["message"] for record in records])
        response["X-Thread-Stats"] = str(threading.get_ident())
