"""Which bridge serves an application object."""

import inspect

from async_legacy.coroutine_wsgi import is_coroutine_wsgi_app


def is_asgi_app(app):
    call = app if inspect.isfunction(app) or inspect.ismethod(app) else getattr(type(app), "__call__", None)  # noqa: B004
    if not inspect.iscoroutinefunction(call):
        return False
    params = [p for p in inspect.signature(app).parameters.values() if p.kind != p.VAR_KEYWORD]
    return len(params) == 3


def bridge_for(app, options, executor):
    from . import asgi, wsgi

    if is_coroutine_wsgi_app(app):
        return wsgi.CoroutineWSGIBridge(app, options)
    if is_asgi_app(app):
        return asgi.ASGIBridge(app, options)
    from aiohttp import web

    if isinstance(app, web.Application):
        from .aiohttp_app import AiohttpAppBridge

        return AiohttpAppBridge(app, options)
    if callable(app):
        return wsgi.WSGIBridge(app, options, executor)
    raise TypeError("%r is not a WSGI, coroutine-WSGI or ASGI application." % (app,))
