"""DRF's test tools, async: ``AsyncAPIRequestFactory`` and ``AsyncAPIClient``.

They take DRF's ``APIRequestFactory``/``APIClient`` arguments (``format=``,
``content_type=``, ``credentials(HTTP_AUTHORIZATION=...)``,
``force_authenticate(user, token)``, ``enforce_csrf_checks``) on top of
:mod:`async_legacy.test`'s async client and factory (Django's own on 3.1+):
``response = await client.post("/books/", {"title": "x"}, format="json")``.
Views called by the client see the TestCase's data (blocking work runs in the
test's thread).

``HTTP_*`` keyword arguments (DRF's style) become request headers, as the
async factories take headers by name.
"""

import io
from typing import TYPE_CHECKING, Any, Dict, Optional

from django.conf import settings
from rest_framework.test import APIRequestFactory, force_authenticate

from ..compat import NATIVE_ASYNC

if NATIVE_ASYNC or TYPE_CHECKING:  # type checkers see Django 3.1+'s classes
    from django.test import AsyncClient, AsyncRequestFactory
    from django.test.client import AsyncClientHandler
else:
    from ..test import AsyncClient, AsyncClientHandler, AsyncRequestFactory

__all__ = ["AsyncAPIRequestFactory", "AsyncAPIClient", "force_authenticate"]

# Keys the async factories take as they are (not as a header name).
_ENVIRON_KEYS = {"QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH", "follow", "headers"}


def _as_header_names(extra: Dict[str, Any]) -> Dict[str, Any]:
    return {
        key[5:] if key.startswith("HTTP_") and key not in _ENVIRON_KEYS else key: value for key, value in extra.items()
    }


class _Body(io.BytesIO):
    """The request body as a stream that may be read past its end, with a length."""

    def __len__(self) -> int:
        return len(self.getvalue())


def _readable_body(request: Dict[str, Any]) -> Dict[str, Any]:
    # Django's async test tools hand the body over as a FakePayload, which
    # (Django 3.1/3.2) refuses reads past its end - the multipart parser
    # reads 64 KiB chunks; Django 4.2+ wraps it in a LimitedStream of its len().
    body = request.get("_body_file")
    if body is not None:
        request["_body_file"] = _Body(body.read())
    return request


class _HeaderNames(AsyncRequestFactory):
    """Between DRF's factory and the async one: DRF's environ keys as the async one takes them."""

    def generic(
        self,
        method: str,
        path: str,
        data: Any = "",
        content_type: Optional[str] = "application/octet-stream",
        secure: bool = False,
        **extra: Any,
    ) -> Any:
        extra = _as_header_names(extra)
        if NATIVE_ASYNC:
            # Django's async factory sets Content-Type itself when there is a
            # body; DRF sends it even without one.
            given = extra.pop("CONTENT_TYPE", None)
            if given and not data:
                extra["content-type"] = given
            # Django 3.1-4.1 read the query string from the path only.
            query = extra.pop("QUERY_STRING", None)
            if query:
                path = "%s%s%s" % (path, "&" if "?" in str(path) else "?", query)
        return super().generic(method, path, data, content_type, secure=secure, **extra)

    def request(self, **request: Any) -> Any:
        return super().request(**_readable_body(request))


class AsyncAPIRequestFactory(APIRequestFactory, _HeaderNames):  # type: ignore[misc]  # both signatures taken
    """DRF's APIRequestFactory building the requests an async view gets."""


class ForceAuthClientHandler(AsyncClientHandler):
    """The async client's handler, applying ``force_authenticate`` as DRF's does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._force_user = None
        self._force_token = None
        super().__init__(*args, **kwargs)

    async def get_response_async(self, request: Any) -> Any:
        force_authenticate(request, self._force_user, self._force_token)
        return await super().get_response_async(request)


class AsyncAPIClient(AsyncAPIRequestFactory, AsyncClient):  # type: ignore[misc]  # both signatures taken
    """DRF's APIClient API, ``await``-ed: ``await client.get("/api/")``."""

    def __init__(self, enforce_csrf_checks: bool = False, **defaults: Any) -> None:
        super().__init__(enforce_csrf_checks=enforce_csrf_checks, **defaults)
        self.handler = ForceAuthClientHandler(enforce_csrf_checks)
        self._credentials: Dict[str, Any] = {}

    def credentials(self, **kwargs: Any) -> None:
        """Headers sent with every request (``HTTP_AUTHORIZATION="Token ..."``)."""
        self._credentials = kwargs

    def force_authenticate(self, user: Any = None, token: Any = None) -> None:
        self.handler._force_user = user
        self.handler._force_token = token
        if user is None and token is None:
            # As DRF's logout(), without its session write (this runs on the
            # event loop in async tests): the client forgets its session.
            self._credentials = {}
            self.cookies.pop(settings.SESSION_COOKIE_NAME, None)

    def generic(
        self,
        method: str,
        path: str,
        data: Any = "",
        content_type: Optional[str] = "application/octet-stream",
        secure: bool = False,
        **extra: Any,
    ) -> Any:
        extra = dict(self._credentials, **extra)
        return super().generic(method, path, data, content_type, secure=secure, **extra)  # type: ignore[arg-type]

    async def request(self, **kwargs: Any) -> Any:  # type: ignore[override]  # awaited, as the async client
        # The async client's request (APIRequestFactory's is sync).
        return await AsyncClient.request(self, **_readable_body(kwargs))

    def logout(self) -> None:
        self._credentials = {}
        self.handler._force_user = None
        self.handler._force_token = None
        return super().logout()
