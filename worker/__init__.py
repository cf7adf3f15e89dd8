"""gunicorn's ``gaiohttp`` worker, revived on today's aiohttp.

Importing this module (``import async_legacy.worker`` in gunicorn.conf.py)
makes the short names ``gaiohttp`` and ``gaiohttp_uvloop`` known to gunicorn.
"""

from .preflight import require_dependencies

require_dependencies()

from .gaiohttp import GaiohttpUVLoopWorker, GaiohttpWorker  # noqa: E402

__all__ = ["GaiohttpWorker", "GaiohttpUVLoopWorker"]


def _register() -> None:
    from gunicorn.workers import SUPPORTED_WORKERS

    SUPPORTED_WORKERS["gaiohttp"] = "async_legacy.worker.GaiohttpWorker"
    SUPPORTED_WORKERS["gaiohttp_uvloop"] = "async_legacy.worker.GaiohttpUVLoopWorker"


_register()
