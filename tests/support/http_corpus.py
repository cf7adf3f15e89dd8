"""gunicorn's request corpus (tests/requests/{valid,invalid}) from its sdist on
PyPI, downloaded at test time into .matrix/cache (never committed), and read
as gunicorn's own tests/treq.py reads it."""

import hashlib
import io
import json
import os
import ssl
import tarfile
import tempfile
import types
import urllib.parse
import urllib.request

from support.gunicorn_helpers import ROOT

GUNICORN = "27.0.1"
SHA256 = "b1514965361c8b7e8107a80aa2a92636878df1ccfac6dd204a676426e04d9e3e"
INDEX = "https://pypi.org/simple/gunicorn/"
#: Settings of the .py files that map onto the worker (all others have no equivalent).
#: proxy_protocol=True is auto-detection from gunicorn 24, v1 only before (pp_* files).
MAPPED = (
    "limit_request_line",
    "limit_request_field_size",
    "limit_request_fields",
    "forwarded_allow_ips",
    "proxy_protocol",
)


def cache_dir():
    base = os.path.join(ROOT, ".matrix") if os.path.isdir(os.path.join(ROOT, ".matrix")) else tempfile.gettempdir()
    path = os.path.join(base, "cache", "gunicorn-%s-requests" % GUNICORN)
    return path


def _https(url):
    cafile = os.environ.get("PIP_CERT") or os.environ.get("SSL_CERT_FILE")
    context = ssl.create_default_context(cafile=cafile if cafile and os.path.exists(cafile) else None)
    request = urllib.request.Request(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60, context=context) as response:
        return response.read()


def corpus_dir():
    """The requests/ directory of gunicorn's pinned sdist (downloaded once)."""
    target = cache_dir()
    if os.path.isdir(os.path.join(target, "valid")):
        return target
    index = json.loads(_https(INDEX).decode())
    name = "gunicorn-%s.tar.gz" % GUNICORN
    url = [f["url"] for f in index["files"] if f["filename"] == name][0]
    data = _https(url)
    if hashlib.sha256(data).hexdigest() != SHA256:
        raise RuntimeError("%s from PyPI does not match its pinned sha256" % name)
    prefix = "gunicorn-%s/tests/requests/" % GUNICORN
    tmp = target + ".part"
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith(prefix):
                path = os.path.join(tmp, member.name[len(prefix) :])
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(tar.extractfile(member).read())
    os.rename(tmp, target)
    return target


def split_request_uri(uri):
    if uri.startswith("//"):  # as gunicorn: a path, not a network location
        parts = urllib.parse.urlsplit("." + uri)
        return parts._replace(path=parts.path[1:])
    return urllib.parse.urlsplit(uri)


def uri(raw):
    parts = split_request_uri(raw)
    return {"raw": raw, "path": parts.path or "", "query": parts.query or "", "fragment": parts.fragment or ""}


class _Config:
    def __init__(self):
        self.settings = {}

    def set(self, name, value):
        self.settings[name] = value


class _Stub(types.ModuleType):
    """Stands in for gunicorn's modules: the .py files only name classes."""

    def __getattr__(self, name):
        if name == "Config":
            return _Config
        value = type(name, (Exception,), {})
        setattr(self, name, value)
        return value


def load_expectation(py_path):
    """{"request": exception class name or list of dicts, "settings": {...}}."""
    real_import = __import__

    def fake_import(name, globals=None, locals=None, fromlist=(), level=0):
        if name.split(".")[0] == "gunicorn":
            return _Stub(name)
        return real_import(name, globals, locals, fromlist, level)

    builtins = dict(__builtins__ if isinstance(__builtins__, dict) else vars(__builtins__))
    builtins["__import__"] = fake_import
    scope = {"__builtins__": builtins, "uri": uri, "cfg": _Config()}
    with open(py_path) as f:
        exec(compile(f.read(), py_path, "exec"), scope)
    request = scope["request"]
    if isinstance(request, type):
        request = request.__name__
    elif isinstance(request, dict):
        request = [request]
    return {"request": request, "settings": scope["cfg"].settings}


def load_http(path):
    """The bytes a .http file stands for (gunicorn's treq rules)."""
    with open(path, "rb") as f:
        data = f.read()
    data = data.replace(b"\n", b"").replace(b"\\r\\n", b"\r\n")
    data = data.replace(b"\\0", b"\000").replace(b"\\n", b"\n").replace(b"\\t", b"\t")
    out, i = bytearray(), 0
    while i < len(data):
        if data[i : i + 2] == b"\\x" and i + 3 < len(data):
            try:
                out.append(int(data[i + 2 : i + 4], 16))
                i += 4
                continue
            except ValueError:
                pass
        out.append(data[i])
        i += 1
    return bytes(out)


class Case:
    def __init__(self, kind, name, data, expectation):
        self.kind = kind  # "valid" or "invalid"
        self.name = name
        self.data = data
        self.request = expectation["request"]
        self.settings = expectation["settings"]
        self.mapped = {k: v for k, v in self.settings.items() if k in MAPPED}
        self.unmapped = {k: v for k, v in self.settings.items() if k not in MAPPED}

    @property
    def id(self):
        return "%s/%s" % (self.kind, self.name)


def cases():
    root = corpus_dir()
    found = []
    for kind in ("valid", "invalid"):
        folder = os.path.join(root, kind)
        for name in sorted(os.listdir(folder)):
            if name.endswith(".http"):
                stem = name[:-5]
                found.append(
                    Case(
                        kind,
                        stem,
                        load_http(os.path.join(folder, name)),
                        load_expectation(os.path.join(folder, stem + ".py")),
                    )
                )
    return found
