"""async_legacy.rest_framework.generics/mixins: each async view answers as DRF's sync one."""

import pytest

pytest.importorskip("rest_framework")

from django.contrib.auth.models import User  # noqa: E402
from drfapp.compare import TestCase, same  # noqa: E402
from drfapp.models import Book, Tag  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from async_legacy.rest_framework.test import AsyncAPIClient  # noqa: E402


class Data(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.ada = User.objects.create_user("ada", password="lovelace")
        cls.bob = User.objects.create_user("bob", password="builder")
        cls.token = Token.objects.create(user=cls.ada)
        cls.tags = [Tag.objects.create(name=n) for n in ("maths", "engines", "poetry")]
        for i, title in enumerate(["Notes", "Sketch", "Diagrams", "Letters", "Tables"]):
            book = Book.objects.create(title=title, owner=cls.ada if i % 2 == 0 else cls.bob)
            book.tags.set(cls.tags[: i % 3 + 1])
        cls.first = Book.objects.order_by("id").first()

    def setUp(self):
        self.client = AsyncAPIClient()


class ListAndRetrieve(Data):
    async def test_list_is_paginated_with_links_fk_and_m2m(self):
        status, body, headers = await same(self.client, "GET", "/books/")
        assert status == 200 and body["count"] == 5 and len(body["results"]) == 2
        assert body["next"] == "http://testserver/api/<kind>/books/?page=2"
        assert body["results"][0]["owner"] == self.ada.pk and len(body["results"][1]["tags"]) == 2
        assert headers["Vary"].startswith("Accept") and "GET" in headers["Allow"]
        status, body, _ = await same(self.client, "GET", "/books/", data={"page": 3})
        assert len(body["results"]) == 1 and body["previous"].endswith("/books/?page=2")
        assert (await same(self.client, "GET", "/books/", data={"page": 9}))[0] == 404

    async def test_filter_backends(self):
        status, body, _ = await same(self.client, "GET", "/books/", data={"search": "es", "ordering": "-title"})
        assert [b["title"] for b in body["results"]] == ["Tables", "Notes"] and body["count"] == 2

    async def test_retrieve_and_404(self):
        status, body, _ = await same(self.client, "GET", "/books/%d/" % self.first.pk)
        assert status == 200 and body["title"] == "Notes" and body["tags"] == [self.tags[0].pk]
        assert (await same(self.client, "GET", "/books/999/"))[0] == 404
        assert (await same(self.client, "GET", "/books/not-a-number/"))[0] == 404

    async def test_browsable_api_and_options_metadata(self):
        status, body, headers = await same(self.client, "GET", "/books/", HTTP_ACCEPT="text/html")
        assert status == 200 and headers["Content-Type"].startswith("text/html") and "Notes" in body
        self.client.force_authenticate(self.ada)
        status, body, _ = await same(self.client, "OPTIONS", "/books/%d/" % self.first.pk)
        assert status == 200 and "PUT" in body["actions"] and body["actions"]["PUT"]["title"]["max_length"] == 100


class Writes(Data):
    async def test_create_validates_fk_m2m_and_unique(self):
        self.client.force_authenticate(self.ada)
        new = {"title": "Analytical", "owner": self.ada.pk, "tags": [self.tags[1].pk, self.tags[2].pk]}
        status, body, headers = await same(self.client, "POST", "/books/", data=new, format="json")
        assert status == 201 and body["tags"] == new["tags"]
        bad = {"title": "Notes", "owner": 999, "tags": [999]}
        status, body, _ = await same(self.client, "POST", "/books/", data=bad, format="json")
        assert status == 400 and set(body) == {"title", "owner", "tags"}  # UniqueValidator, PK fields
        status, body, _ = await same(self.client, "POST", "/books/", data="{oops", content_type="application/json")
        assert status == 400 and "JSON parse error" in body["detail"]
        status, body, _ = await same(self.client, "POST", "/books/", data="x", content_type="text/csv")
        assert status == 415

    async def test_multipart_and_form_bodies(self):
        self.client.force_authenticate(self.ada)
        for fmt in ("multipart", None):
            new = {"title": "Form %s" % fmt, "owner": self.ada.pk, "tags": [self.tags[0].pk]}
            status, body, _ = await same(self.client, "POST", "/books/", data=new, format=fmt)
            assert status == 201 and body["tags"] == [self.tags[0].pk], body

    async def test_update_partial_update_destroy_and_object_permissions(self):
        path = "/books/%d/" % self.first.pk
        self.client.force_authenticate(self.ada)
        status, body, _ = await same(self.client, "PATCH", path, data={"tags": []}, format="json")
        assert status == 200 and body["tags"] == []
        put = {"title": "Notes II", "owner": self.ada.pk, "tags": [self.tags[2].pk]}
        assert (await same(self.client, "PUT", path, data=put, format="json"))[1]["title"] == "Notes II"
        self.client.force_authenticate(self.bob)  # not the owner
        status, body, _ = await same(self.client, "DELETE", path)
        assert status == 403 and body == {"detail": "Only the owner may change a book."}
        self.client.force_authenticate(None)
        status, body, headers = await same(self.client, "PATCH", path, data={}, format="json")
        assert status == 401 and headers["WWW-Authenticate"] == "Token"  # the first non-session authenticator
        self.client.force_authenticate(self.ada)
        assert (await same(self.client, "DELETE", path))[0] == 204

    async def test_writes_really_happen(self):
        self.client.force_authenticate(self.ada)
        response = await self.client.post(
            "/api/async/books/", {"title": "Kept", "owner": self.ada.pk, "tags": [self.tags[0].pk]}, format="json"
        )
        assert response.status_code == 201
        book = await Book.objects.aget(title="Kept")
        assert [t.pk async for t in book.tags.all()] == [self.tags[0].pk]
        response = await self.client.delete("/api/async/books/%d/" % book.pk)
        assert response.status_code == 204 and not await Book.objects.filter(pk=book.pk).aexists()


class Trips(Data):
    """Blocking work is grouped: one trip off the loop for initial(), one for the action."""

    async def test_one_trip_for_initial_and_one_per_action(self):
        from unittest import mock

        from async_legacy.rest_framework import generics, mixins, views

        trips = []

        def counting(real):
            async def run_sync(func, *args, **kwargs):
                trips.append(getattr(func, "__name__", "?"))
                return await real(func, *args, **kwargs)

            return run_sync

        self.client.force_authenticate(self.ada)
        with mock.patch.object(views, "run_sync", counting(views.run_sync)), mock.patch.object(
            mixins, "run_sync", counting(mixins.run_sync)
        ), mock.patch.object(generics, "run_sync", counting(generics.run_sync)):
            for method, path, data, action in [
                ("get", "/api/async/books/%d/" % self.first.pk, None, "retrieve"),
                ("get", "/api/async/books/?search=es", None, "list"),
                ("post", "/api/async/books/", {"title": "Trip", "owner": self.ada.pk, "tags": []}, "create"),
                (
                    "patch",
                    "/api/async/books/%d/" % self.first.pk,
                    {"title": "Trip 2"},
                    "update",
                ),  # partial_update is update(partial=True)
                ("delete", "/api/async/books/%d/" % self.first.pk, None, "destroy"),
            ]:
                del trips[:]
                response = await getattr(self.client, method)(path, data, format="json")
                assert response.status_code < 300, response.content
                assert trips == ["initial", action], (path, trips)
