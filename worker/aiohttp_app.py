"""Bridge for aiohttp ``web.Application`` objects.

aiohttp's own AppRunner sets the application up (on_startup, freezing,
on_cleanup) and supplies the request class and handler; our server keeps
the gunicorn side (connections, limits, hooks, access log).
"""


class AiohttpAppBridge:
    kind = "aiohttp"

    def __init__(self, app, options):
        from aiohttp import web

        self.app = app
        self.runner = web.AppRunner(app, handle_signals=False, access_log=None)
        self.request_factory = None
        self._handler = None

    async def startup(self):
        await self.runner.setup()
        server = self.runner.server
        self.request_factory = server.request_factory
        self._handler = server.request_handler

    async def shutdown(self):
        await self.runner.cleanup()

    async def __call__(self, request, exchange):
        from aiohttp import web

        try:
            return await self._handler(request)
        except web.HTTPException as exc:
            # aiohttp's own protocol turns these into responses; so do we.
            return web.Response(status=exc.status, reason=exc.reason, text=exc.text, headers=exc.headers)
