"""What the sentry-sdk tests read (integration/test_sentry.py,
worker/test_wrapped.py): the events and transactions sentryproject's
recording transport wrote, and each event's own request."""

import json
import os
import time

#: Concurrent clients, each failing its own request.
CLIENTS = 20


def recorded(server, kind, path, count, bound=10):
    """The recorded payloads of ``kind`` for ``path``, once ``count`` are there."""
    deadline = time.monotonic() + bound
    while True:
        found = []
        if os.path.exists(server.events):
            with open(server.events) as f:
                for line in f:
                    item = json.loads(line)
                    url = (item["payload"].get("request") or {}).get("url", "")
                    if item["type"] == kind and url.endswith(path):
                        found.append(item["payload"])
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def event_client(event):
    """The client whose request an event's request data names (from ?n=)."""
    query = event["request"].get("query_string") or ""
    if isinstance(query, dict):  # some releases keep it parsed
        query = "&".join("%s=%s" % item for item in query.items())
    return "client-" + query.split("n=")[1]


def assert_own_scopes(events, path):
    """Every event carries its own request's URL, tag and breadcrumbs only."""
    assert len(events) == CLIENTS
    assert sorted(map(event_client, events)) == sorted("client-%d" % i for i in range(CLIENTS))
    for event in events:
        client = event_client(event)
        crumbs = [crumb.get("message") for crumb in event.get("breadcrumbs", {}).get("values", [])]
        assert event["request"]["url"].endswith(path)
        assert event["tags"].get("client") == client, (client, event["tags"])
        assert crumbs == ["request of client %s" % client, "failing for client %s" % client], (client, crumbs)
