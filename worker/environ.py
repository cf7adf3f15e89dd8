"""A WSGI environ from an aiohttp request (shared by the WSGI bridges)."""

import io
import sys
import tempfile
from urllib.parse import unquote_to_bytes, urlsplit

#: Bodies up to this size stay in memory; larger ones spool to a temp file.
SPOOL_IN_MEMORY = 1024 * 1024


class BodyTooLarge(Exception):
    pass


async def read_body(request, limit):
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
    body = io.BytesIO()
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


def split_target(raw_uri):
    """(path, query) of a request target; absolute-form targets
    (``http://host/path?q``, what proxies send) give their path, as gunicorn does."""
    if "#" in raw_uri:  # a fragment is the client's business (aiohttp < 3.9 passes it on)
        raw_uri = raw_uri.partition("#")[0]
    if raw_uri[:1] == "/" or "://" not in raw_uri:
        path, _, query = raw_uri.partition("?")
        return path, query
    parts = urlsplit(raw_uri)
    return parts.path or "/", parts.query


def trusted_proxy(options, remote_addr):
    # As gunicorn: a unix-socket peer (no address) is always trusted, it is
    # the proxy in front; gunicorn >= 23 refuses "unix" in forwarded_allow_ips.
    allowed = options.forwarded_allow_ips
    return remote_addr is None or "*" in allowed or remote_addr in allowed


def url_scheme(request, options, remote_addr):
    scheme = "https" if request.transport is not None and request.transport.get_extra_info("sslcontext") else "http"
    if options.secure_scheme_headers and trusted_proxy(options, remote_addr):
        found = None
        for name, secure_value in options.secure_scheme_headers.items():
            value = request.headers.get(name)
            if value is not None:
                said = "https" if value.lower() == secure_value.lower() else "http"
                if found is not None and said != found:
                    # As gunicorn (InvalidSchemeHeaders): the proxy contradicts itself.
                    from .protocol import RequestRejected

                    raise RequestRejected(400, "Contradictory scheme headers (secure_scheme_headers)")
                found = said
        if found is not None:
            return found
    return scheme


def build_environ(request, body, body_size, options):
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    remote_addr, remote_port = (peer[0], str(peer[1])) if isinstance(peer, tuple) else (None, "")
    if isinstance(sockname, tuple):
        server_name, server_port = sockname[0], str(sockname[1])
    else:  # a unix socket
        server_name, server_port = str(sockname or "localhost"), ""
    raw_uri = request.raw_path
    path, query = split_target(raw_uri)
    environ = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query,
        "RAW_URI": raw_uri,
        "SERVER_PROTOCOL": "HTTP/%d.%d" % request.version,
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "REMOTE_ADDR": remote_addr or "",
        "REMOTE_PORT": remote_port,
        "SERVER_SOFTWARE": options.server_software,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url_scheme(request, options, remote_addr),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": options.workers > 1,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in request.raw_headers:
        name = raw_name.decode("latin-1").upper()
        if "_" in name:  # as gunicorn: X-Foo_Bar could spoof X-Foo-Bar
            continue
        # Trailing blanks: llhttp before aiohttp 3.9 keeps them (RFC 9110 5.5 says trim).
        value = raw_value.decode("latin-1").strip(" \t")
        if name == "CONTENT-TYPE":
            environ["CONTENT_TYPE"] = value
            continue
        if name == "CONTENT-LENGTH":
            continue
        key = "HTTP_" + name.replace("-", "_")
        environ[key] = environ[key] + "," + value if key in environ else value
    if body_size or request.method in ("POST", "PUT", "PATCH") or "Content-Length" in request.headers:
        environ["CONTENT_LENGTH"] = str(body_size)
    return environ
