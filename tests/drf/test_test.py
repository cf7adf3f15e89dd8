"""async_legacy.rest_framework.test: DRF's APIRequestFactory/APIClient API, async."""

import pytest

pytest.importorskip("rest_framework")

from django.contrib.auth.models import User  # noqa: E402
from django.urls import resolve  # noqa: E402
from drfapp.compare import TestCase  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from async_legacy.rest_framework.test import AsyncAPIClient, AsyncAPIRequestFactory, force_authenticate  # noqa: E402


class Tools(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.ada = User.objects.create_user("ada", password="lovelace")
        cls.token = Token.objects.create(user=cls.ada)

    async def test_factory_requests_drive_a_view_directly(self):
        factory = AsyncAPIRequestFactory()
        view = resolve("/api/async/echo/").func
        request = factory.post("/api/async/echo/", {"a": [1, 2]}, format="json", HTTP_X_ANYTHING="1")
        assert request.META["HTTP_X_ANYTHING"] == "1" and request.META["CONTENT_TYPE"].startswith("application/json")
        force_authenticate(request, self.ada)
        response = await view(request)
        response.render()
        assert response.status_code == 200 and response.data == {"data": {"a": [1, 2]}, "files": {}, "user": "ada"}
        # CSRF is off for factory requests unless asked for, as in DRF.
        assert request._dont_enforce_csrf_checks
        assert not AsyncAPIRequestFactory(enforce_csrf_checks=True).post("/", {})._dont_enforce_csrf_checks

    async def test_client_force_authenticate_credentials_and_format(self):
        client = AsyncAPIClient()
        client.force_authenticate(self.ada)
        assert (await client.post("/api/async/echo/", {"x": "1"}, format="multipart")).json()["user"] == "ada"
        client.force_authenticate(None)
        assert (await client.get("/api/async/echo/")).json()["user"] == "AnonymousUser"
        client.credentials(HTTP_AUTHORIZATION="Token " + self.token.key)
        got = await client.put("/api/async/echo/", {"x": "1"}, format="json")
        assert got.json() == {"data": {"x": "1"}, "files": {}, "user": "ada"}
        client.credentials()
        assert (await client.get("/api/async/echo/")).json()["user"] == "AnonymousUser"

    async def test_views_see_the_testcases_data(self):
        await User.objects.acreate(username="only-in-this-test")
        client = AsyncAPIClient()
        assert (await client.get("/api/async/policies/", HTTP_X_USER="only-in-this-test")).json()[
            "user"
        ] == "only-in-this-test"
