"""The test project mounted under a per-request script prefix, as a front
server that routes /<prefix>/... to it would: the prefix comes from the
X-Script-Name request header (WSGI SCRIPT_NAME, ASGI root_path)."""

from async_legacy.coroutine_wsgi import is_coroutine_wsgi_app

from .served import application as _app


def _prefix_of(raw):
    return raw if raw.startswith("/") and not raw.endswith("/") else ""


if is_coroutine_wsgi_app(_app):

    def application(environ, start_response):
        prefix = _prefix_of(environ.get("HTTP_X_SCRIPT_NAME", ""))
        if prefix and environ["PATH_INFO"].startswith(prefix + "/"):
            environ["SCRIPT_NAME"] = prefix
            environ["PATH_INFO"] = environ["PATH_INFO"][len(prefix) :]
        return _app(environ, start_response)

    application.coroutine_wsgi = _app.coroutine_wsgi
else:

    async def application(scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            prefix = _prefix_of(headers.get(b"x-script-name", b"").decode("latin-1"))
            if prefix and scope["path"].startswith(prefix + "/"):
                scope = dict(scope, root_path=prefix)
        await _app(scope, receive, send)
