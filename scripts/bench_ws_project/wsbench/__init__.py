"""The WebSocket benchmark's Django project (scripts/bench_servers.py --ws):
one Django Channels consumer that echoes, served as the same ASGI
application by every server compared."""
