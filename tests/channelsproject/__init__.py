"""A Django project with Django Channels beside async_legacy: the HTTP side
served by async_legacy, WebSockets by Channels consumers (asgi.py), through
the gaiohttp worker (tests/worker/test_websocket.py) and, the same
application, through daphne, uvicorn and hypercorn too
(tests/worker/test_channels.py). Its HTTP side (wsgi.py, urls.py) does not
need Channels: tests/worker/test_contract.py serves it under SCRIPT_NAME on
every pair."""
