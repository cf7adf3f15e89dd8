"""``await load_body(request)``: parse a request body off the event loop.

Django parses ``request.POST``/``request.FILES`` at their first access, so a
view can still set ``request.upload_handlers`` before. In a coroutine view that
access runs on the event loop; a large upload (multipart parsing, files spooled
to disk) would block it. Await this first: the parse then runs on the request's
lane (``sync_to_async`` outside the legacy pipeline).
"""

from django.http import HttpRequest

from .lane import run_sync

__all__ = ["load_body"]


def _parse(request: HttpRequest) -> None:
    request.POST  # noqa: B018 - parses the body; FILES with it


async def load_body(request: HttpRequest) -> None:
    """Parse ``request``'s body off the loop, unless it has been already."""
    if not hasattr(request, "_post"):
        await run_sync(_parse, request)
