"""Bridge for aiohttp ``web.Application`` objects.

aiohttp's own AppRunner sets the application up (on_startup, freezing,
on_cleanup) and supplies the request class and handler; our server keeps
the gunicorn side (connections, limits, hooks, access log).
"""

from typing import TYPE_CHECKING, Any, Callable, Optional

if TYPE_CHECKING:
    from aiohttp import web

    from .options import Options
    from .respond import Exchange


class AiohttpAppBridge:
    kind = "aiohttp"

    def __init__(self, app: "web.Application", options: "Options") -> None:
        from aiohttp import web

        self.app = app
        self.runner = web.AppRunner(app, handle_signals=False, access_log=None)
        self.request_factory: Optional[Callable[..., web.BaseRequest]] = None
        self._handler: Any = None  # aiohttp's request handler, from startup()

    async def startup(self) -> None:
        await self.runner.setup()
        server: Any = self.runner.server  # set by setup()
        self.request_factory = server.request_factory
        self._handler = server.request_handler

    async def shutdown(self) -> None:
        await self.runner.cleanup()

    async def __call__(self, request: "web.BaseRequest", exchange: "Exchange") -> "web.StreamResponse":
        from aiohttp import web

        try:
            response: web.StreamResponse = await self._handler(request)
            return response
        except web.HTTPException as exc:
            # aiohttp's own protocol turns these into responses; so do we.
            return web.Response(status=exc.status, reason=exc.reason, text=exc.text, headers=exc.headers)
