# gunicorn -c example_montage/gunicorn.conf.py
import os

import async_legacy.worker  # noqa: F401 - makes worker_class = "gaiohttp" known

pythonpath = os.path.dirname(os.path.abspath(__file__))
wsgi_app = "montage.wsgi:application"
worker_class = "gaiohttp"
bind = os.environ.get("MONTAGE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MONTAGE_WORKERS", "1"))
accesslog = os.environ.get("MONTAGE_ACCESSLOG", "-")
graceful_timeout = int(os.environ.get("MONTAGE_GRACEFUL_TIMEOUT", "30"))
