"""A plain WSGI middleware around a coroutine-WSGI application.

Old projects' wsgi.py often wraps the application: ``WhiteNoise(application,
root=...)``, ``SentryWsgiMiddleware(application)``. The wrapper calls the
application as plain WSGI. The worker finds the application inside the wrapper
at boot and, when it can serve wrappers (``serve_wrapped``: async_legacy's
application), serves the wrapper through it: the wrapper runs on the request's
thread and the application's views are still awaited on the loop.
"""

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from async_legacy.coroutine_wsgi import is_coroutine_wsgi_app

from .wsgi import CoroutineWSGIBridge, _StartResponse

if TYPE_CHECKING:
    from .options import Options

#: Where WSGI middleware keep the application they wrap: WhiteNoise, Django's
#: StaticFilesHandler and dj-static (application), sentry-sdk and werkzeug
#: (app), OpenTelemetry (wsgi), Flask-style (wsgi_app), wrapt proxies such as
#: New Relic's (__wrapped__).
ATTRIBUTES = ("application", "app", "wsgi", "wsgi_app", "__wrapped__")
#: Wrappers around wrappers, looked through at most this deep.
DEPTH = 8


def wrapped_app(app: Any) -> Any:
    """The coroutine-WSGI application inside WSGI middleware ``app``, or None."""
    level = [app]
    seen = {id(app)}
    for _ in range(DEPTH):
        inner_level: List[Any] = []
        for outer in level:
            for name in ATTRIBUTES:
                try:
                    inner = getattr(outer, name, None)
                except Exception:  # noqa: BLE001 - a property that fails is no application
                    continue
                if inner is None or id(inner) in seen or not callable(inner):
                    continue
                seen.add(id(inner))
                if is_coroutine_wsgi_app(inner):
                    return inner
                inner_level.append(inner)
        if not inner_level:
            return None
        level = inner_level
    return None


class WrappedBridge(CoroutineWSGIBridge):
    kind = "WSGI middleware around coroutine WSGI"

    def __init__(self, wrapper: Callable[..., Any], inner: Any, options: "Options") -> None:
        super().__init__(wrapper, options)
        self.inner = inner

    async def call_app(self, environ: Dict[str, Any], start: _StartResponse) -> Any:
        return await self.inner.serve_wrapped(self.app, environ, start)


def bridge_for_wrapper(app: Any, options: "Options") -> Optional[WrappedBridge]:
    """A bridge for ``app`` if it wraps a coroutine-WSGI application, else None.

    Raises TypeError, naming both, when the wrapped application cannot be
    served through a plain WSGI wrapper.
    """
    inner = wrapped_app(app)
    if inner is None:
        return None
    if not callable(getattr(inner, "serve_wrapped", None)):
        raise TypeError(
            "%r wraps the coroutine-WSGI application %r as plain WSGI, and %s cannot be "
            "served through a WSGI middleware. Serve the application itself (move what "
            "the wrapper does into the application, e.g. a Django middleware)." % (app, inner, type(inner).__name__)
        )
    return WrappedBridge(app, inner, options)
