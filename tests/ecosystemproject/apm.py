"""An elastic-apm transport that appends the agent's events to a file in
gunicorn's state directory (SERVERAPPS_STATE) instead of sending them to an
APM server: one JSON object a line, as the intake API would receive them."""

import gzip
import os
import threading

from elasticapm.transport.base import Transport

_lock = threading.Lock()


class FileTransport(Transport):
    def __init__(self, url=None, *args, **kwargs):
        super().__init__(*args, **kwargs)

    def send(self, data, forced_flush=False):
        data = bytes(data)
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        with _lock, open(os.path.join(os.environ["SERVERAPPS_STATE"], "apm.ndjson"), "ab") as f:
            f.write(data if data.endswith(b"\n") else data + b"\n")
