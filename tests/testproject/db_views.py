"""Views with ``async with async_legacy.db.atomic():`` blocks (tests/core/test_db.py)."""

import asyncio
import threading

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import JsonResponse

from async_legacy import db
from async_legacy.lane import run_sync

#: (username, thread ident) of on_commit callbacks that ran.
COMMITS = []
#: Usernames whose block (?mode=sleep) reached its sleep, the transaction open.
SLEEPING = set()


def _state():
    return {"thread": threading.get_ident(), "in_atomic": connection.in_atomic_block, "conn": id(connection.connection)}


async def atomic_block(request):
    """Creates ?name= in a block; ?mode= ok | fail | nested | sleep (until cancelled)."""
    from django.contrib.auth.models import User

    name = request.GET["name"]
    mode = request.GET.get("mode", "ok")
    states = []
    try:
        async with db.atomic():
            user = await User.objects.acreate(username=name)
            states.append(await sync_to_async(_state)())
            # Longer than the lane's idle period: a pinned thread stays.
            await asyncio.sleep(0.1)
            states.append(await run_sync(_state))
            await db.on_commit(lambda: COMMITS.append((name, threading.get_ident())))
            if mode == "nested":
                try:
                    async with db.atomic():
                        await User.objects.acreate(username=name + "-inner")
                        states.append(await sync_to_async(_state)())
                        raise ValueError("inner block only")
                except ValueError:
                    pass
            await user.asave()
            states.append(await sync_to_async(_state)())
            if mode == "fail":
                raise ValueError("roll it back")
            if mode == "sleep":
                SLEEPING.add(name)
                await asyncio.sleep(float(request.GET.get("s", 30)))
    except ValueError as exc:
        return JsonResponse({"states": states, "error": str(exc)}, status=409)
    states.append(await sync_to_async(_state)())
    return JsonResponse({"states": states})
