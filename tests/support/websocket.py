"""WebSockets over raw sockets, for what a client library will not send:
the upgrade request, a hand-made handshake, frames (masked or not, with a
declared length that lies) and the server's frames read until it closes."""

import base64
import os
import socket
import struct

KEY = base64.b64encode(b"0123456789abcdef").decode()


def upgrade_request(path="/echo", key=KEY, version="13", extra=""):
    return (
        "GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: %s\r\n%s\r\n" % (path, key, version, extra)
    ).encode()


def handshake(addr, path="/echo"):
    """A socket upgraded to a WebSocket by hand (the 101 read)."""
    sock = socket.create_connection(addr, timeout=10)
    sock.sendall(upgrade_request(path))
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, head
        head += chunk
    head, _, rest = head.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    assert not rest
    return sock


def frame(opcode, payload, mask=True, fin=True, declared=None):
    length = len(payload) if declared is None else declared
    first = (0x80 if fin else 0) | opcode
    bit = 0x80 if mask else 0
    if length < 126:
        head = struct.pack("!BB", first, bit | length)
    elif length < 1 << 16:
        head = struct.pack("!BBH", first, bit | 126, length)
    else:
        head = struct.pack("!BBQ", first, bit | 127, length)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def read_frames(sock, timeout=10.0):
    """Server frames as (opcode, payload) until the server closes the connection."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    frames = []
    while len(data) >= 2:
        length = data[1] & 0x7F
        pos = 2
        if length == 126:
            length, pos = struct.unpack("!H", data[2:4])[0], 4
        elif length == 127:
            length, pos = struct.unpack("!Q", data[2:10])[0], 10
        frames.append((data[0] & 0x0F, data[pos : pos + length]))
        data = data[pos + length :]
    return frames


def close_code(frames):
    closes = [payload for opcode, payload in frames if opcode == 0x8]
    assert closes, frames
    return struct.unpack("!H", closes[0][:2])[0], closes[0][2:].decode()
