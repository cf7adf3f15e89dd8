"""Coroutine views for Django 1.11-3.0, and the road to native ASGI.

Names are imported lazily so that ``import async_legacy.worker`` (in a
gunicorn config, before Django is set up) does not import Django.
"""

from typing import TYPE_CHECKING, Any, Optional, Union

__version__ = "0.1.0"

if TYPE_CHECKING:  # what the lazy names below are, for type checkers
    from asgiref.sync import async_to_sync as async_to_sync
    from asgiref.sync import sync_to_async as sync_to_async

    from ._typing import ASGIApp
    from .handler import AsyncDjangoApplication as AsyncDjangoApplication
    from .middleware import async_only_middleware as async_only_middleware
    from .middleware import sync_and_async_middleware as sync_and_async_middleware
    from .middleware import sync_only_middleware as sync_only_middleware

__all__ = [
    "AsyncDjangoApplication",
    "get_application",
    "get_asgi_application",
    "sync_to_async",
    "async_to_sync",
    "sync_only_middleware",
    "async_only_middleware",
    "sync_and_async_middleware",
]

_LAZY = {
    "sync_to_async": ("asgiref.sync", "sync_to_async"),
    "async_to_sync": ("asgiref.sync", "async_to_sync"),
    # Django 3.1's names (Django's own objects on 3.1+; see async_legacy.middleware).
    "sync_only_middleware": ("async_legacy.middleware", "sync_only_middleware"),
    "async_only_middleware": ("async_legacy.middleware", "async_only_middleware"),
    "sync_and_async_middleware": ("async_legacy.middleware", "sync_and_async_middleware"),
}


def get_application() -> "Union[AsyncDjangoApplication, ASGIApp]":
    """The application object for wsgi.py, whatever the Django version.

    Sets Django up first, as ``get_wsgi_application()`` does.
    Django < 3.1: :class:`AsyncDjangoApplication` (coroutine WSGI, served by
    the gaiohttp worker). Django >= 3.1: Django's own ASGI handler (served by
    the same worker, or any ASGI server); with ``ASYNC_LEGACY_PIPELINE = True``
    Django's ASGIHandler with async_legacy's pipeline as its middleware chain.
    """
    native = _native_application()
    if native is not None:
        return native
    from .handler import AsyncDjangoApplication

    return AsyncDjangoApplication()


def get_asgi_application() -> "ASGIApp":
    """An ASGI 3 application for asgi.py, whatever the Django version.

    Django < 3.1: the legacy pipeline behind an ASGI face (uvicorn, daphne,
    hypercorn, gunicorn's asgi worker). Django >= 3.1: as get_application().
    """
    native = _native_application()
    if native is not None:
        return native
    from .asgi import LegacyASGIHandler

    return LegacyASGIHandler()


def _native_application() -> "Optional[ASGIApp]":
    """Django >= 3.1: Django's ASGIHandler, or with ASYNC_LEGACY_PIPELINE = True
    async_legacy's pipeline inside Django's handler. None on older Django."""
    import django
    from django.apps import apps

    from . import conf
    from .compat import NATIVE_ASYNC

    # As Django's get_wsgi_application() / get_asgi_application(), which
    # wsgi.py files call before anything else; once only (setup() configures
    # logging anew each time).
    if not apps.ready:
        django.setup(set_prefix=False)
    pipeline = conf.pipeline()  # checked on every Django
    if not NATIVE_ASYNC:
        return None
    if pipeline:
        from .native_pipeline import get_pipeline_application

        return get_pipeline_application()
    from .native import get_native_application

    return get_native_application()


def __getattr__(name: str) -> Any:
    if name == "default_app_config":
        # Django < 3.2 only reads AppConfig subclasses named here; 3.2+ finds
        # it alone (and would warn about the attribute).
        import django

        if django.VERSION < (3, 2):
            return "async_legacy.apps.AsyncLegacyConfig"
        raise AttributeError(name)
    if name == "AsyncDjangoApplication":
        from .compat import NATIVE_ASYNC

        module = "async_legacy.native" if NATIVE_ASYNC else "async_legacy.handler"
        from importlib import import_module

        return getattr(import_module(module), name)
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError("module 'async_legacy' has no attribute %r" % name) from None
    import importlib

    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value
