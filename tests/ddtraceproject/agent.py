"""A fake Datadog agent on loopback: ddtrace's writer sends it traces
(``PUT /v0.4/traces``, msgpack), the tests read them back.

ddtrace asks ``/info`` which endpoints the agent has; anything else gets a
404, which ddtrace takes as "not supported" and leaves alone.
"""

import http.server
import json
import threading
import time

import msgpack


class FakeAgent:
    """Every span received (dicts as ddtrace encodes them); ``traces()`` groups them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.spans = []
        agent = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/info":
                    self._reply(200, {"version": "7.99.0", "endpoints": ["/v0.4/traces"], "client_drop_p0s": False})
                else:
                    self._reply(404, {})

            def do_PUT(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/v0.4/traces":
                    self._reply(404, {})
                    return
                traces = msgpack.unpackb(body, raw=False, strict_map_key=False)
                with agent.lock:
                    for trace in traces:
                        agent.spans.extend(trace)
                self._reply(200, {"rate_by_service": {}})

            do_POST = do_PUT

            def _reply(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def traces(self):
        """Every trace received so far: {trace_id: [span, ...]}."""
        with self.lock:
            spans = list(self.spans)
        found = {}
        for span in spans:
            found.setdefault(span["trace_id"], []).append(span)
        return found

    def wait(self, predicate, bound=10):
        """Poll until ``predicate()`` is true (returns it) or ``bound`` seconds pass."""
        deadline = time.monotonic() + bound
        while True:
            value = predicate()
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.1)
