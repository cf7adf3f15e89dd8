"""async_legacy.rest_framework.views/decorators: APIView and @api_view with async handlers.

Every request goes to the same view built on DRF's classes (sync) and on ours
(async); the answers must be the same.
"""

import pytest

pytest.importorskip("rest_framework")

from django.contrib.auth.models import User  # noqa: E402
from django.core.cache import cache  # noqa: E402
from drfapp import api  # noqa: E402
from drfapp.compare import TestCase, same  # noqa: E402
from drfapp.models import Book  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from async_legacy.compat import iscoroutinefunction  # noqa: E402
from async_legacy.rest_framework.test import AsyncAPIClient  # noqa: E402


class Views(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.ada = User.objects.create_user("ada", password="lovelace")
        cls.token = Token.objects.create(user=cls.ada)
        cls.book = Book.objects.create(title="Notes", owner=cls.ada)

    def setUp(self):
        self.client = AsyncAPIClient()
        cache.clear()

    async def test_request_data_json_form_multipart_and_headers(self):
        self.client.force_authenticate(self.ada)
        payload = {"a": "1", "b": "two"}
        for fmt in ("json", "multipart"):
            status, body, headers = await same(self.client, "POST", "/echo/", data=payload, format=fmt)
            assert status == 200 and body["data"] == payload and body["user"] == "ada" and headers["X-Echo"] == "1"
        form = "a=1&b=two"
        status, body, _ = await same(
            self.client, "PUT", "/echo/", data=form, content_type="application/x-www-form-urlencoded"
        )
        assert body["data"] == payload
        upload = {"note": "x", "file": _file("hello.txt", b"file body")}
        status, body, _ = await same(self.client, "POST", "/echo/", data=upload, format="multipart")
        assert body["files"] == {"file": "file body"} and body["data"] == {"note": "x"}

    async def test_405_406_415(self):
        status, body, headers = await same(self.client, "DELETE", "/echo/")
        assert status == 405 and headers["Allow"] == "GET, POST, PUT, HEAD, OPTIONS"
        assert (await same(self.client, "GET", "/json-only/", HTTP_ACCEPT="text/html"))[0] == 406
        status, body, _ = await same(
            self.client, "POST", "/json-only/", data="a=1", content_type="application/x-www-form-urlencoded"
        )
        assert status == 415 and "Unsupported media type" in body["detail"]

    async def test_429_with_retry_after(self):
        assert (await same(self.client, "GET", "/throttled/", keep=True))[0] == 200
        status, body, headers = await same(self.client, "GET", "/throttled/", keep=True)
        assert status == 429 and int(headers["Retry-After"]) in (59, 60)

    async def test_exceptions_reach_drfs_handling(self):
        status, body, _ = await same(self.client, "GET", "/echo/", data={"denied": 1})
        assert status == 200  # GET ignores the flag; POST reads it
        status, body, _ = await same(self.client, "POST", "/echo/?denied=1", data={}, format="json")
        assert status == 403 and body == {"detail": "not you"}
        with pytest.raises(ValueError, match="echo exploded"):  # uncaught, as in DRF: Django's 500
            await self.client.post("/api/async/echo/?boom=1", data={}, format="json")

    async def test_custom_exception_handlers_sync_and_async(self):
        for path in ("/custom-errors/", "/async-custom-errors/"):
            status, body, _ = await same(self.client, "POST", path + "?denied=1", data={}, format="json")
            assert status == 403 and body == {"custom": {"detail": "not you"}, "view": "CustomErrors"}
            status, body, _ = await same(self.client, "POST", path + "?boom=1", data={}, format="json")
            assert status == 503 and body == {"custom": "echo exploded on purpose"}

    async def test_authentication_401_and_403(self):
        status, body, headers = await same(self.client, "POST", "/function/", data={"x": "1"}, format="json")
        assert status == 401 and headers["WWW-Authenticate"] == "Token"
        self.client.credentials(HTTP_AUTHORIZATION="Token nope")
        status, body, headers = await same(self.client, "GET", "/function/")
        assert status == 401 and body == {"detail": "Invalid token."}
        self.client.credentials(HTTP_AUTHORIZATION="Token " + self.token.key)
        status, body, _ = await same(self.client, "POST", "/function/", data={"x": "1"}, format="json")
        assert status == 200 and body == {"method": "POST", "data": {"x": "1"}}

    async def test_async_policy_classes_are_awaited(self):
        del api.POLICY_THREADS[:]
        assert (await same(self.client, "GET", "/policies/"))[0] == 401  # IsAuthenticated, no user
        ok = await same(self.client, "GET", "/policies/", HTTP_X_USER="ada")
        assert ok[0] == 200 and ok[1]["user"] == "ada"
        status, body, headers = await same(self.client, "GET", "/policies/", HTTP_X_USER="nobody")
        assert (
            status == 401 and body == {"detail": "no such user"} and headers["WWW-Authenticate"] == 'Header realm="api"'
        )
        assert (await same(self.client, "GET", "/policies/", HTTP_X_USER="ada", HTTP_X_DENY="1"))[1] == {
            "detail": "X-Deny says no."
        }
        status, body, headers = await same(self.client, "GET", "/policies/", HTTP_X_USER="ada", HTTP_X_THROTTLE="1")
        assert status == 429 and headers["Retry-After"] == "42"
        # Object permission, before the object is returned.
        assert (await same(self.client, "GET", "/policy-books/%d/" % self.book.pk, HTTP_X_USER="ada"))[0] == 200
        await User.objects.acreate(username="bob")
        assert (await same(self.client, "GET", "/policy-books/%d/" % self.book.pk, HTTP_X_USER="bob"))[0] == 403
        # DRF's operators with an async operand: IsAuthenticated & ~HeaderPermission.
        assert (await same(self.client, "GET", "/composed/", HTTP_X_USER="ada"))[0] == 403
        assert (await same(self.client, "GET", "/composed/", HTTP_X_USER="ada", HTTP_X_DENY="1"))[0] == 200
        assert api.POLICY_THREADS  # the async build's coroutines ran (and were awaited: they deny)

    async def test_browsable_api_and_options(self):
        status, body, headers = await same(self.client, "GET", "/echo/", HTTP_ACCEPT="text/html")
        assert status == 200 and "Echo" in body
        status, body, _ = await same(self.client, "OPTIONS", "/echo/")
        assert status == 200 and body["name"] == "Echo"


class CSRF(TestCase):
    """DRF's rule, on both builds: session-authenticated unsafe requests need the token."""

    @classmethod
    def setUpTestData(cls):
        cls.ada = User.objects.create_user("ada", password="lovelace")
        cls.token = Token.objects.create(user=cls.ada)

    async def test_session_without_token_is_refused(self):
        client = AsyncAPIClient(enforce_csrf_checks=True)
        await _login(client, "ada", "lovelace")
        for path in ("/echo/", "/function/", "/books/", "/viewset-books/"):
            status, body, _ = await same(client, "POST", path, data={"title": "x"}, format="json")
            assert status == 403 and body["detail"].startswith("CSRF Failed"), (path, body)

    async def test_session_with_token_passes(self):
        client = AsyncAPIClient(enforce_csrf_checks=True)
        await _login(client, "ada", "lovelace")
        page = await client.get("/api/async/echo/", HTTP_ACCEPT="text/html")  # the browsable API sets the cookie
        token = client.cookies["csrftoken"].value
        status, body, _ = await same(client, "POST", "/echo/", data={"a": "1"}, format="json", HTTP_X_CSRFTOKEN=token)
        assert status == 200 and body["user"] == "ada", page.status_code

    async def test_token_and_basic_authentication_are_not_checked(self):
        client = AsyncAPIClient(enforce_csrf_checks=True)
        client.credentials(HTTP_AUTHORIZATION="Token " + self.token.key)
        assert (await same(client, "POST", "/echo/", data={"a": "1"}, format="json"))[1]["user"] == "ada"
        import base64

        client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"ada:lovelace").decode())
        assert (await same(client, "POST", "/echo/", data={"a": "1"}, format="json"))[1]["user"] == "ada"

    async def test_anonymous_unsafe_request_is_not_csrf_checked_but_permission_applies(self):
        client = AsyncAPIClient(enforce_csrf_checks=True)
        assert (await same(client, "POST", "/echo/", data={"a": "1"}, format="json"))[1]["user"] == "AnonymousUser"
        assert (await same(client, "POST", "/books/", data={"a": "1"}, format="json"))[0] == 401


def test_views_are_coroutine_functions_and_csrf_exempt():
    from django.urls import resolve

    for path in ("/api/async/echo/", "/api/async/function/", "/api/async/books/", "/api/async/viewset-books/1/"):
        view = resolve(path).func
        assert iscoroutinefunction(view) and view.csrf_exempt is True, path
    for path in ("/api/sync/echo/", "/api/sync/books/"):
        assert not iscoroutinefunction(resolve(path).func)


async def _login(client, username, password):
    from async_legacy.lane import run_sync

    # Django's Client.login writes the session: off the loop.
    assert await run_sync(client.login, username=username, password=password)


def _file(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)
