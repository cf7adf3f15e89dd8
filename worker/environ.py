"""A WSGI environ from an aiohttp request (shared by the WSGI bridges)."""

import io
import sys
import tempfile
from typing import IO, TYPE_CHECKING, Any, Dict, Mapping, Optional, Tuple
from urllib.parse import unquote_to_bytes, urlsplit

from .proxy import environ_of

if TYPE_CHECKING:
    from aiohttp import web

    from .options import Options

#: An environ's keys that stay the same per connection, and its proxy's scheme headers (None: not trusted).
Facts = Tuple[Dict[str, Any], Optional[Dict[str, str]]]

#: Bodies up to this size stay in memory; larger ones spool to a temp file.
SPOOL_IN_MEMORY = 1024 * 1024


class BodyTooLarge(Exception):
    pass


async def read_body(request: "web.BaseRequest", limit: int) -> Tuple[IO[bytes], int]:
    """The whole request body as a readable file (Expect: 100-continue aware)."""
    if not request.body_exists:  # no Content-Length, not chunked
        return io.BytesIO(), 0
    if request.version >= (1, 1) and request.headers.get("Expect", "").lower() == "100-continue":
        if limit and (request.content_length or 0) > limit:
            raise BodyTooLarge()
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0  # the interim response is not the body
    if limit and (request.content_length or 0) > limit:
        raise BodyTooLarge()
    body: IO[bytes] = io.BytesIO()
    size = 0
    while True:
        chunk = await request.content.readany()
        if not chunk:
            break
        size += len(chunk)
        if limit and size > limit:
            raise BodyTooLarge()
        if size > SPOOL_IN_MEMORY and isinstance(body, io.BytesIO):
            spooled = tempfile.TemporaryFile()
            spooled.write(body.getvalue())
            body = spooled
        body.write(chunk)
    body.seek(0)
    return body, size


def split_target(raw_uri: str) -> Tuple[str, str]:
    """(path, query) of a request target; absolute-form targets
    (``http://host/path?q``, what proxies send) give their path, as gunicorn does."""
    if "#" in raw_uri:  # a fragment is the client's business (aiohttp < 3.9 passes it on)
        raw_uri = raw_uri.partition("#")[0]
    if raw_uri[:1] == "/" or "://" not in raw_uri:
        path, _, query = raw_uri.partition("?")
        return path, query
    parts = urlsplit(raw_uri)
    return parts.path or "/", parts.query


def check_script_name(path: str, script_name: str) -> None:
    """gunicorn's rule (gunicorn/http/wsgi.py): under SCRIPT_NAME every
    request path starts with it, or the request is a configuration problem (500)."""
    if not path.startswith(script_name):
        from .protocol import RequestRejected

        raise RequestRejected(500, "Request path %r does not start with SCRIPT_NAME %r" % (path[:200], script_name))


def trusted_proxy(options: "Options", remote_addr: Optional[str]) -> bool:
    # As gunicorn: a unix-socket peer (no address) is always trusted, it is
    # the proxy in front; gunicorn >= 23 refuses "unix" in forwarded_allow_ips.
    allowed = options.forwarded_allow_ips
    return remote_addr is None or "*" in allowed or remote_addr in allowed


def scheme_from_headers(request: "web.BaseRequest", scheme_headers: Mapping[str, str]) -> Optional[str]:
    """What a trusted proxy's scheme headers say, or None if it sent none."""
    found = None
    headers = request.headers
    for name, secure_value in scheme_headers.items():
        value = headers.get(name)
        if value is not None:
            said = "https" if value.lower() == secure_value.lower() else "http"
            if found is not None and said != found:
                # As gunicorn (InvalidSchemeHeaders): the proxy contradicts itself.
                from .protocol import RequestRejected

                raise RequestRejected(400, "Contradictory scheme headers (secure_scheme_headers)")
            found = said
    return found


def connection_facts(request: "web.BaseRequest", options: "Options") -> Facts:
    """The environ keys that stay the same for every request of a connection
    (addresses, scheme from TLS, constants), computed on its first request."""
    protocol: Any = request.protocol  # GuardedRequestHandler keeps them (any other may not)
    facts: Optional[Facts] = getattr(protocol, "environ_facts", None)
    if facts is not None:
        return facts
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    remote_addr, remote_port = (peer[0], str(peer[1])) if isinstance(peer, tuple) else (None, "")
    if isinstance(sockname, tuple):
        server_name, server_port = sockname[0], str(sockname[1])
    else:  # a unix socket
        server_name, server_port = str(sockname or "localhost"), ""
    tls = transport is not None and bool(transport.get_extra_info("sslcontext"))
    base = {
        "SCRIPT_NAME": options.script_name,
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "REMOTE_ADDR": remote_addr or "",
        "REMOTE_PORT": remote_port,
        "SERVER_SOFTWARE": options.server_software,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https" if tls else "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": options.workers > 1,
        "wsgi.run_once": False,
    }
    # Scheme headers count only from a trusted proxy (the peer does not change;
    # as gunicorn, the socket's peer, not the client a PROXY header names).
    scheme_headers = options.secure_scheme_headers if trusted_proxy(options, remote_addr) else None
    proxy_info = getattr(protocol, "proxy_info", None)
    if proxy_info is not None:
        base.update(environ_of(proxy_info))
    facts = (base, scheme_headers or None)
    if transport is not None and protocol is not None:
        try:
            protocol.environ_facts = facts
        except AttributeError:  # a protocol that takes no attributes: computed per request
            pass
    return facts


#: raw header name -> its environ key ("HTTP_X_FOO", "CONTENT_TYPE", "" for
#: one left out); bounded, so odd names from clients cannot grow it without end.
_KEYS: Dict[bytes, str] = {}
_KEYS_MAX = 2048


def _environ_key(raw_name: bytes) -> str:
    name = raw_name.decode("latin-1").upper()
    if "_" in name:  # as gunicorn: X-Foo_Bar could spoof X-Foo-Bar
        key = ""
    elif name == "CONTENT-TYPE":
        key = "CONTENT_TYPE"
    elif name == "CONTENT-LENGTH":
        key = "CONTENT_LENGTH"
    else:
        key = "HTTP_" + name.replace("-", "_")
    if len(_KEYS) < _KEYS_MAX:
        _KEYS[raw_name] = key
    return key


def build_environ(request: "web.BaseRequest", body: IO[bytes], body_size: int, options: "Options") -> Dict[str, Any]:
    base, scheme_headers = connection_facts(request, options)
    environ = base.copy()
    raw_uri = request.raw_path
    if raw_uri[:1] == "/" and "#" not in raw_uri:
        path, _, query = raw_uri.partition("?")
    else:
        path, query = split_target(raw_uri)
    environ["REQUEST_METHOD"] = request.method
    script_name = options.script_name
    if script_name:
        check_script_name(path, script_name)
        path = path[len(script_name) :]  # as gunicorn: PATH_INFO is what follows it
    # Only a %-escape (or a byte beyond ASCII) needs WSGI's latin-1 round trip.
    environ["PATH_INFO"] = path if "%" not in path and path.isascii() else unquote_to_bytes(path).decode("latin-1")
    environ["QUERY_STRING"] = query
    environ["RAW_URI"] = raw_uri
    environ["SERVER_PROTOCOL"] = "HTTP/%d.%d" % request.version
    environ["wsgi.input"] = body
    has_length = False
    for raw_name, raw_value in request.raw_headers:
        key = _KEYS.get(raw_name)
        if key is None:
            key = _environ_key(raw_name)
        if not key:
            continue
        if key == "CONTENT_LENGTH":
            has_length = True
            continue
        # Trailing blanks: llhttp before aiohttp 3.9 keeps them (RFC 9110 5.5 says trim).
        value = raw_value.decode("latin-1").strip(" \t")
        if key in environ and key != "CONTENT_TYPE":
            environ[key] = environ[key] + "," + value
        else:
            environ[key] = value
    if scheme_headers is not None:
        scheme = scheme_from_headers(request, scheme_headers)
        if scheme is not None:
            environ["wsgi.url_scheme"] = scheme
    if body_size or has_length or request.method in ("POST", "PUT", "PATCH"):
        environ["CONTENT_LENGTH"] = str(body_size)
    return environ
