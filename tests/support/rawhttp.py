"""HTTP/1.x over a bare socket: send exact bytes (in segments if asked), read
the responses exactly as they come back, and whether the server closed."""

import socket
import time


class Response:
    def __init__(self, version, status, reason, headers, body):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # [(lowercase name, value)]
        self.body = body

    def header(self, name, default=None):
        for key, value in self.headers:
            if key == name:
                return value
        return default

    def __repr__(self):
        return "<Response %s %s %r>" % (self.status, self.reason, self.body[:80])


class Result:
    def __init__(self, responses, closed, raw, error=None):
        self.responses = responses
        self.closed = closed
        self.raw = raw
        self.error = error  # bytes that are no HTTP response

    @property
    def statuses(self):
        return [r.status for r in self.responses]

    def __repr__(self):
        return "<Result %s closed=%s raw=%r>" % (self.statuses, self.closed, self.raw[:200])


def parse_responses(buf, eof):
    """(responses, rest, error) from the bytes read so far."""
    responses = []
    while buf:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            break
        lines = buf[:end].split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            return responses, buf, buf
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                return responses, buf, buf
            headers.append((name.strip().lower().decode("latin-1"), value.strip().decode("latin-1")))
        status = int(parts[1])
        rest = buf[end + 4 :]
        names = dict(headers)
        if status < 200 or status in (204, 304):
            body, rest = b"", rest
            if status < 200:  # interim: not a response of its own
                buf = rest
                continue
        elif "content-length" in names:
            length = int(names["content-length"])
            if len(rest) < length:
                break
            body, rest = rest[:length], rest[length:]
        elif names.get("transfer-encoding", "").lower() == "chunked":
            body, pos, done = b"", 0, False
            while True:
                nl = rest.find(b"\r\n", pos)
                if nl < 0:
                    break
                size = int(rest[pos:nl].split(b";")[0], 16)
                if size == 0:
                    trailer_end = rest.find(b"\r\n", nl + 2)
                    if trailer_end < 0:
                        break
                    rest, done = rest[trailer_end + 2 :], True
                    break
                if len(rest) < nl + 2 + size + 2:
                    break
                body += rest[nl + 2 : nl + 2 + size]
                pos = nl + 2 + size + 2
            if not done:
                break
        else:  # until the server closes
            if not eof:
                break
            body, rest = rest, b""
        responses.append(
            Response(parts[0].decode(), status, parts[2].decode("latin-1") if len(parts) > 2 else "", headers, body)
        )
        buf = rest
    return responses, buf, None


def exchange(addr, data, expect=1, want_close=False, timeout=5.0, segments=None, pause=0.0, linger=0.0):
    """Send ``data`` (or ``segments``, ``pause`` seconds apart) and read until
    ``expect`` responses came (and, with ``want_close``, the server closed),
    the server closed, or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    with socket.create_connection(addr, timeout=timeout) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for index, piece in enumerate(segments if segments is not None else [data]):
                if index and pause:
                    time.sleep(pause)
                sock.sendall(piece)
        except OSError:
            pass  # the server may refuse and close before all was sent
        buf, eof = b"", False
        responses, error = [], None
        linger_until = None
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except OSError:
                chunk = b""
            if not chunk:
                eof = True
            buf += chunk
            responses, _, error = parse_responses(buf, eof)
            if eof or error is not None:
                break
            if len(responses) >= expect and not want_close:
                if not linger:
                    break
                linger_until = linger_until or time.monotonic() + linger
                if time.monotonic() >= linger_until:
                    break
                deadline = min(deadline, linger_until)
        return Result(responses, eof, buf, error)


def is_closed(sock, timeout=1.0):
    """Whether the server closed ``sock`` within ``timeout`` (reading what comes)."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except OSError:
            return True
    return False
