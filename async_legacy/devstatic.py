"""Static files for ``manage.py runserver`` on the legacy path, as Django's runserver serves them."""

from typing import TYPE_CHECKING, Any, Callable, NoReturn, cast

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import get_path_info

from ._typing import Environ
from .coroutine_wsgi import VERSION
from .lane import run_sync

if TYPE_CHECKING:
    from django.core.handlers.wsgi import WSGIHandler


def _not_static(environ: Environ, start_response: Callable[..., Any]) -> NoReturn:
    # never called: we route before StaticFilesHandler
    raise AssertionError("not a static file request")


class StaticFilesFirst:
    """A coroutine-WSGI app: STATIC_URL requests to Django's StaticFilesHandler, the rest to ``app``."""

    coroutine_wsgi = VERSION

    def __init__(self, app: Callable[[Environ, Callable[..., Any]], Any]) -> None:
        self.app = app
        # The stubs want a WSGIHandler; any WSGI callable does (it is only called).
        self.static = StaticFilesHandler(cast("WSGIHandler", _not_static))

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Any:
        if self.static._should_handle(get_path_info(environ)):
            # Django's sync handler (file lookup, 404 page), off the loop.
            return run_sync(self.static, environ, start_response)
        return self.app(environ, start_response)
