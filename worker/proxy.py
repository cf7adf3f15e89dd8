"""The PROXY protocol header (v1 text, v2 binary) a load balancer sends at the
start of a connection, read as gunicorn reads it (``proxy_protocol`` and
``proxy_allow_ips``; gunicorn < 24 knows v1 only, as a plain switch)."""

import ipaddress
import re
import socket
import struct
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
V1_PREFIX = b"PROXY "
#: The longest v1 line, CRLF included (the spec's limit).
V1_MAX = 107
_PORT = re.compile(r"[0-9]{1,5}").fullmatch
_FAMILIES = {"TCP4": socket.AF_INET, "TCP6": socket.AF_INET6}
#: v2 family nibble -> (name, address bytes, socket family).
_V2_FAMILIES = {1: ("TCP4", 4, socket.AF_INET), 2: ("TCP6", 16, socket.AF_INET6)}


class ProxyRefused(Exception):
    """A header refused: gunicorn's InvalidProxyLine/InvalidProxyHeader (400)
    or ForbiddenProxyRequest (403)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def mode_of(value: Any) -> str:
    """gunicorn's proxy_protocol as off, v1, v2 or auto. gunicorn < 24 has a
    bool whose True means v1 (it reads no v2); newer ones normalise it."""
    if isinstance(value, bool) or value is None:
        return "v1" if value else "off"
    value = str(value).strip().lower()
    return value if value in ("v1", "v2", "auto") else "off"


class AllowList:
    """gunicorn's proxy_allow_ips test: networks when its config has them
    (gunicorn >= 24 takes CIDR), exact addresses otherwise."""

    def __init__(self, addresses: List[str], networks: Optional[List[Any]]) -> None:
        self.any = "*" in addresses
        self.addresses: FrozenSet[str] = frozenset(addresses)
        self.networks = networks

    @classmethod
    def from_cfg(cls, cfg: Any) -> "AllowList":
        value = cfg.proxy_allow_ips
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        networks = None
        if hasattr(cfg, "proxy_allow_networks"):
            networks = [ipaddress.ip_network(a) for a in value or () if a != "*"]
        return cls(list(value or ()), networks)

    def allows(self, peer: Any) -> bool:
        if not isinstance(peer, tuple):  # a unix socket: the proxy in front, as gunicorn trusts it
            return True
        if self.any:
            return True
        if self.networks is None:
            return peer[0] in self.addresses
        try:
            ip = ipaddress.ip_address(peer[0])
        except ValueError:
            return False
        return any(ip in network for network in self.networks)


class HeaderReader:
    """Fed a connection's first bytes: finds a PROXY header, if one starts
    them, and hands back everything after it untouched."""

    def __init__(self, mode: str, allow: AllowList, peer: Any) -> None:
        self.mode = mode
        self.allow = allow
        self.peer = peer
        self.buffer = b""
        #: What the header said (gunicorn's proxy_protocol_info), once read.
        self.info: Optional[Dict[str, Any]] = None

    def feed(self, data: bytes) -> Optional[bytes]:
        """The bytes that follow the header (all of them if there is none),
        or None while the header is incomplete. Raises ProxyRefused."""
        buf = self.buffer + data if self.buffer else data
        self.buffer = b""
        kind = self._kind(buf)
        if kind is None:
            self.buffer = buf  # too few bytes to tell yet (at most 11)
            return None
        if kind == "":
            return buf  # no header: plain HTTP
        if not self.allow.allows(self.peer):
            raise ProxyRefused(
                403,
                "PROXY protocol header from %s, which is not in proxy_allow_ips (add the proxy's address there)"
                % (self.peer[0],),
            )
        found = self._v2(buf) if kind == "v2" else self._v1(buf)
        if found is None:
            self.buffer = buf
            return None
        self.info, end = found
        return buf[end:]

    def _kind(self, buf: bytes) -> Optional[str]:
        """v1, v2, "" (no header) or None (cannot tell yet). A prefix of a
        header waits for more; anything else goes to the HTTP parser."""
        for kind, sign in (("v2", V2_SIGNATURE), ("v1", V1_PREFIX)):
            if self.mode not in (kind, "auto"):
                continue
            if buf[: len(sign)] == sign:
                return kind
            if sign.startswith(buf):
                return None
        return ""

    def _v1(self, buf: bytes) -> Optional[Tuple[Dict[str, Any], int]]:
        end = buf.find(b"\r\n", 0, V1_MAX)
        if end < 0:
            if len(buf) >= V1_MAX:
                raise ProxyRefused(400, "Invalid PROXY line: longer than %d bytes" % V1_MAX)
            return None
        line = buf[:end].decode("latin-1")
        bits = line.split(" ")
        if bits[1] == "UNKNOWN":  # the proxy does not know the client: the socket's addresses stay
            return _info("UNKNOWN"), end + 2
        if len(bits) != 6 or bits[1] not in _FAMILIES:
            raise ProxyRefused(400, "Invalid PROXY line: %r" % line[:V1_MAX])
        family = _FAMILIES[bits[1]]
        for address in bits[2:4]:
            try:
                socket.inet_pton(family, address)
            except (OSError, ValueError):
                raise ProxyRefused(400, "Invalid PROXY line: bad %s address %r" % (bits[1], address[:50])) from None
        ports = bits[4:6]
        if not all(_PORT(p) and int(p) <= 65535 for p in ports):
            raise ProxyRefused(400, "Invalid PROXY line: invalid port in %r" % line[:V1_MAX])
        return _info(bits[1], bits[2], int(ports[0]), bits[3], int(ports[1])), end + 2

    def _v2(self, buf: bytes) -> Optional[Tuple[Dict[str, Any], int]]:
        if len(buf) < 16:
            return None
        version, command = buf[12] >> 4, buf[12] & 0x0F
        if version != 2:
            raise ProxyRefused(400, "Invalid PROXY header: unsupported version %d" % version)
        if command not in (0, 1):
            raise ProxyRefused(400, "Invalid PROXY header: unsupported command %d" % command)
        (length,) = struct.unpack(">H", buf[14:16])
        end = 16 + length  # at most 64 KiB: the length field is 16 bits
        if len(buf) < end:
            return None
        if command == 0:  # LOCAL: the proxy's own connection (health checks)
            return _info("LOCAL"), end
        family, transport = buf[13] >> 4, buf[13] & 0x0F
        if family == 0:  # UNSPEC: no addresses sent
            return _info("UNSPEC"), end
        if family not in _V2_FAMILIES:
            raise ProxyRefused(400, "Invalid PROXY header: unsupported address family %d" % family)
        if transport != 1:
            raise ProxyRefused(400, "Invalid PROXY header: only TCP (STREAM) is supported")
        name, size, af = _V2_FAMILIES[family]
        if length < 2 * size + 4:  # TLVs after the addresses are skipped
            raise ProxyRefused(400, "Invalid PROXY header: %d bytes are too few for %s addresses" % (length, name))
        data = buf[16:end]
        src = socket.inet_ntop(af, data[:size])
        dst = socket.inet_ntop(af, data[size : 2 * size])
        src_port, dst_port = struct.unpack(">HH", data[2 * size : 2 * size + 4])
        return _info(name, src, src_port, dst, dst_port), end


def _info(
    protocol: str,
    client_addr: Optional[str] = None,
    client_port: Optional[int] = None,
    proxy_addr: Optional[str] = None,
    proxy_port: Optional[int] = None,
) -> Dict[str, Any]:
    return {
        "proxy_protocol": protocol,
        "client_addr": client_addr,
        "client_port": client_port,
        "proxy_addr": proxy_addr,
        "proxy_port": proxy_port,
    }


def environ_of(info: Dict[str, Any]) -> Dict[str, str]:
    """gunicorn's proxy_environ(): the client becomes REMOTE_ADDR/REMOTE_PORT,
    the address the client reached becomes PROXY_ADDR/PROXY_PORT. A header
    with no addresses (UNKNOWN, LOCAL, UNSPEC) leaves the socket's: gunicorn
    would put None there, which a WSGI environ may not hold."""
    if info["client_addr"] is None:
        return {"PROXY_PROTOCOL": info["proxy_protocol"]}
    return {
        "PROXY_PROTOCOL": info["proxy_protocol"],
        "REMOTE_ADDR": info["client_addr"],
        "REMOTE_PORT": str(info["client_port"]),
        "PROXY_ADDR": info["proxy_addr"],
        "PROXY_PORT": str(info["proxy_port"]),
    }
