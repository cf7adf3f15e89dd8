"""Static files for ``manage.py runserver`` on the legacy path, as Django's runserver serves them."""

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import get_path_info

from .coroutine_wsgi import VERSION
from .lane import run_sync


def _not_static(environ, start_response):  # never called: we route before StaticFilesHandler
    raise AssertionError("not a static file request")


class StaticFilesFirst:
    """A coroutine-WSGI app: STATIC_URL requests to Django's StaticFilesHandler, the rest to ``app``."""

    coroutine_wsgi = VERSION

    def __init__(self, app):
        self.app = app
        self.static = StaticFilesHandler(_not_static)

    def __call__(self, environ, start_response):
        if self.static._should_handle(get_path_info(environ)):
            # Django's sync handler (file lookup, 404 page), off the loop.
            return run_sync(self.static, environ, start_response)
        return self.app(environ, start_response)
