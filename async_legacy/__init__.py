"""Coroutine views for Django 1.11-3.0, and the road to native ASGI.

Names are imported lazily so that ``import async_legacy.worker`` (in a
gunicorn config, before Django is set up) does not import Django.
"""
__version__ = "0.1.0"

__all__ = ["AsyncDjangoApplication", "get_application", "sync_to_async", "async_to_sync"]

_LAZY = {
    "AsyncDjangoApplication": ("async_legacy.handler", "AsyncDjangoApplication"),
    "sync_to_async": ("asgiref.sync", "sync_to_async"),
    "async_to_sync": ("asgiref.sync", "async_to_sync"),
}


def get_application():
    """The application object for wsgi.py, whatever the Django version."""
    from .handler import AsyncDjangoApplication

    return AsyncDjangoApplication()


def __getattr__(name):
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError("module 'async_legacy' has no attribute %r" % name) from None
    import importlib

    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value
