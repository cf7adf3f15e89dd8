"""A small Django project for tests/integration/test_thread_affinity.py.

Served by a real gunicorn master (gaiohttp worker) with
``affinityproject.served:application``; the environment picks the middleware
stack (``AFFINITY_STACK``), the lane's size (``AFFINITY_THREADS``) and the
SQLite file (``AFFINITY_DB``). See settings.py.
"""
