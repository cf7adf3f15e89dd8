"""django-debug-toolbar's SQL and Templates panels, with their stats for the
request also in response headers (``X-Eco-Sql``: the raw SQL and the
parameters of each query; ``X-Eco-Templates``: the templates' names), so the tests read what the
toolbar recorded; the panels themselves render as usual."""

import json

from debug_toolbar.panels.sql import SQLPanel
from debug_toolbar.panels.templates import TemplatesPanel


def show_toolbar(request):
    return True


def _query(query):
    return query[1] if isinstance(query, (list, tuple)) else query  # (alias, query) in old releases


class HeaderSQLPanel(SQLPanel):
    def generate_stats(self, request, response):
        super().generate_stats(request, response)
        queries = (self.get_stats() or {}).get("queries", [])
        response["X-Eco-Sql"] = json.dumps([[_query(q)["raw_sql"], _query(q)["params"]] for q in queries])


class HeaderTemplatesPanel(TemplatesPanel):
    def generate_stats(self, request, response):
        super().generate_stats(request, response)
        names = []
        for info in (self.get_stats() or {}).get("templates", []):
            template = info["template"]
            names.append(template["name"] if isinstance(template, dict) else template.name)
        response["X-Eco-Templates"] = json.dumps(names)
