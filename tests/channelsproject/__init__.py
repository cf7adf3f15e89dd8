"""A Django project with Django Channels beside async_legacy: the HTTP side
served by async_legacy, WebSockets by Channels consumers (asgi.py), through
the gaiohttp worker (tests/test_worker_websocket.py) and, the same
application, through daphne, uvicorn and hypercorn too
(tests/test_worker_channels.py). Its HTTP side (wsgi.py, urls.py) does not
need Channels: tests/test_worker_contract.py serves it under SCRIPT_NAME on
every pair."""
