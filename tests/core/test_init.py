"""async_legacy's top-level names, on every Python and Django of the matrix."""

import asyncio
import threading


def test_sync_to_async_and_async_to_sync_are_asgirefs():
    import asgiref.sync

    from async_legacy import async_to_sync, sync_to_async

    assert sync_to_async is asgiref.sync.sync_to_async
    assert async_to_sync is asgiref.sync.async_to_sync

    main = threading.get_ident()

    async def outer():
        await asyncio.sleep(0)
        return await sync_to_async(threading.get_ident)()

    # Thread-sensitive sync code called from async_to_sync runs in the calling thread.
    assert async_to_sync(outer)() == main


def test_importing_the_worker_does_not_import_django_apps(tmp_path):
    import subprocess
    import sys

    # A gunicorn.conf.py imports the worker before Django is configured.
    code = "import async_legacy, async_legacy.worker, sys; print('django.apps' in sys.modules)"
    out = subprocess.check_output([sys.executable, "-c", code], text=True, cwd=str(tmp_path))
    assert out.strip() == "False"
