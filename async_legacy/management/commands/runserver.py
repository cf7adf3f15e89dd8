"""``manage.py runserver`` that awaits coroutine views (Django < 3.1).

Django's own runserver is a threaded WSGI server: a coroutine view there
fails (before 3.1) or blocks its thread. On the legacy path this command
keeps everything the stock one does - options, system checks, the
migrations warning, autoreload, static files when django.contrib.staticfiles
is installed - and serves the project with the gaiohttp worker's HTTP server,
so coroutine views wait concurrently. On Django >= 3.1 it is Django's own.

List "async_legacy" before "django.contrib.staticfiles" in INSTALLED_APPS:
the first app providing a command wins.
"""

import os
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any, Union

from django.apps import apps
from django.conf import settings
from django.core.servers.basehttp import get_internal_wsgi_application
from django.utils import autoreload

from ...compat import NATIVE_ASYNC
from ...coroutine_wsgi import is_coroutine_wsgi_app

if TYPE_CHECKING:
    from django.core.handlers.wsgi import WSGIHandler

    from ...devstatic import StaticFilesFirst as _StaticFilesFirst

if apps.is_installed("django.contrib.staticfiles"):
    from django.contrib.staticfiles.management.commands.runserver import Command as BaseCommand
else:
    from django.core.management.commands.runserver import Command as BaseCommand  # type: ignore[assignment]


class Command(BaseCommand):
    help = BaseCommand.help + " Coroutine views are awaited concurrently (async_legacy)."
    # Set by Django's handle() (not in the stubs).
    addr: str
    port: str
    use_ipv6: bool
    _raw_ipv6: bool

    # A coroutine-WSGI app on the legacy path; Django's own server is not used there.
    def get_handler(  # type: ignore[override]
        self, *args: Any, **options: Any
    ) -> "Union[WSGIHandler, _StaticFilesFirst]":
        if NATIVE_ASYNC:
            return super().get_handler(*args, **options)
        app: Union[WSGIHandler, _StaticFilesFirst] = get_internal_wsgi_application()
        if not is_coroutine_wsgi_app(app):
            # wsgi.py still has Django's WSGIHandler (check async_legacy.W003 says so).
            from ...handler import AsyncDjangoApplication

            app = AsyncDjangoApplication()
        use_static = options.get("use_static_handler", True) and (settings.DEBUG or options.get("insecure_serving"))
        if apps.is_installed("django.contrib.staticfiles") and use_static:
            from ...devstatic import StaticFilesFirst

            app = StaticFilesFirst(app)
        return app

    def inner_run(self, *args: Any, **options: Any) -> None:
        if NATIVE_ASYNC:
            return super().inner_run(*args, **options)
        from async_legacy.worker.devserver import serve

        autoreload.raise_last_exception()
        self.stdout.write("Performing system checks...\n\n")
        self.check(display_num_errors=True)
        self.check_migrations()
        quit_command = "CTRL-BREAK" if sys.platform == "win32" else "CONTROL-C"
        self.stdout.write(datetime.now().strftime("%B %d, %Y - %X"))
        self.stdout.write(
            "Django version %s, using settings %r\n"
            "Starting development server at %s://%s:%s/ (async_legacy: coroutine views awaited concurrently)\n"
            "Quit the server with %s.\n"
            % (
                self.get_version(),
                settings.SETTINGS_MODULE,
                getattr(self, "protocol", "http"),
                "[%s]" % self.addr if self._raw_ipv6 else self.addr,
                self.port,
                quit_command,
            )
        )
        try:
            serve(self.get_handler(*args, **options), self.addr, int(self.port), ipv6=self.use_ipv6)
        except OSError as exc:
            self.stderr.write("Error: %s (%s:%s)" % (exc.strerror or exc, self.addr, self.port))
            os._exit(1)  # as Django's runserver: the autoreloader would only restart into the same error
        except KeyboardInterrupt:
            sys.exit(0)
