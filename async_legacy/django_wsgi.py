"""AsyncDjangoApplication with django-wsgi's request class (``request.webob``).

For projects that serve ``django_wsgi.handler.DjangoApplication`` today:
change the import to ``from async_legacy.django_wsgi import DjangoApplication``
and keep every view that reads ``request.webob``. Needs the ``django-wsgi``
extra (``pip install django-async-legacy[django-wsgi]``); Django < 3.1.
"""

try:
    from django_wsgi.handler import DjangoApplication as _SyncDjangoApplication
    from django_wsgi.handler import DjangoWSGIRequest
except ImportError as error:  # pragma: no cover - depends on the extra
    raise ImportError(
        "async_legacy.django_wsgi needs the django-wsgi package: "
        "pip install 'django-async-legacy[django-wsgi]' (%s)" % error
    ) from error

from .handler import AsyncDjangoApplication

__all__ = ["DjangoApplication", "DjangoWSGIRequest"]


class DjangoApplication(AsyncDjangoApplication, _SyncDjangoApplication):  # type: ignore[misc]  # django-wsgi has no annotations
    """Coroutine views with ``request.webob``, as django-wsgi's DjangoApplication gives."""

    request_class = DjangoWSGIRequest
