"""async_legacy.rest_framework.viewsets/routers/serializers against DRF's own."""

import pytest

pytest.importorskip("rest_framework")

from django.contrib.auth.models import User  # noqa: E402
from django.urls import resolve  # noqa: E402
from drfapp.compare import TestCase, same  # noqa: E402
from drfapp.models import Book, Tag  # noqa: E402

from async_legacy.rest_framework import routers, serializers, viewsets  # noqa: E402
from async_legacy.rest_framework.test import AsyncAPIClient  # noqa: E402


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["id", "title", "owner", "tags"]


class ViewSets(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.ada = User.objects.create_user("ada", password="lovelace")
        cls.tags = [Tag.objects.create(name=n) for n in ("maths", "engines")]
        for title in ("Notes", "Sketch", "Diagrams"):
            Book.objects.create(title=title, owner=cls.ada).tags.set(cls.tags)
        cls.first = Book.objects.order_by("id").first()

    def setUp(self):
        self.client = AsyncAPIClient()
        self.client.force_authenticate(self.ada)

    async def test_model_viewset_crud_through_the_default_router(self):
        status, body, _ = await same(self.client, "GET", "/")  # DefaultRouter's root
        assert status == 200 and body["viewset-books"] == "http://testserver/api/<kind>/viewset-books/"
        status, body, _ = await same(self.client, "GET", "/viewset-books/")
        assert status == 200 and body["count"] == 3 and body["next"].endswith("?page=2")
        detail = "/viewset-books/%d/" % self.first.pk
        assert (await same(self.client, "GET", detail))[1]["tags"] == [t.pk for t in self.tags]
        new = {"title": "Letters", "owner": self.ada.pk, "tags": [self.tags[0].pk]}
        assert (await same(self.client, "POST", "/viewset-books/", data=new, format="json"))[0] == 201
        assert (await same(self.client, "PATCH", detail, data={"title": "Notes II"}, format="json"))[1][
            "title"
        ] == "Notes II"
        assert (await same(self.client, "PUT", detail, data=dict(new, title="Tables"), format="json"))[0] == 200
        assert (await same(self.client, "DELETE", detail))[0] == 204
        assert (await same(self.client, "GET", "/viewset-books/999/"))[0] == 404
        assert (await same(self.client, "GET", "/readonly-books/"))[0] == 200
        assert (await same(self.client, "POST", "/readonly-books/", data={}, format="json"))[0] == 405

    async def test_extra_actions_and_action_names(self):
        status, body, _ = await same(self.client, "GET", "/viewset-books/%d/tag_names/" % self.first.pk)
        assert body == {"tags": ["engines", "maths"], "action": "tag_names"}
        assert (await same(self.client, "GET", "/viewset-books/count/"))[1] == {"count": 3, "action": "count"}
        assert (await same(self.client, "GET", "/viewset-books/999/tag_names/"))[0] == 404

    async def test_options_and_browsable_api_on_a_viewset(self):
        status, body, _ = await same(self.client, "OPTIONS", "/viewset-books/")
        assert status == 200 and "POST" in body["actions"]
        status, body, _ = await same(self.client, "GET", "/viewset-books/%d/" % self.first.pk, HTTP_ACCEPT="text/html")
        assert status == 200 and "Notes" in body

    async def test_serializer_async_sisters(self):
        book = await Book.objects.aget(pk=self.first.pk)
        data = await BookSerializer(book).adata  # FK and M2M read off the loop
        assert data["owner"] == self.ada.pk and data["tags"] == [t.pk for t in self.tags]
        many = await BookSerializer(Book.objects.order_by("id"), many=True).adata
        assert [b["title"] for b in many] == ["Notes", "Sketch", "Diagrams"]
        bad = BookSerializer(data={"title": "Notes", "owner": 999, "tags": [self.tags[0].pk]})
        assert not await bad.ais_valid() and set(bad.errors) == {"title", "owner"}
        good = BookSerializer(data={"title": "Tables", "owner": self.ada.pk, "tags": [self.tags[1].pk]})
        assert await good.ais_valid(raise_exception=True)
        saved = await good.asave()
        assert await Book.objects.filter(pk=saved.pk, tags=self.tags[1]).aexists()

    async def test_serializer_async_create_override_is_awaited(self):
        seen = []

        class Audited(BookSerializer):
            async def acreate(self, validated_data):
                seen.append(validated_data["title"])
                return await super().acreate(validated_data)

        s = Audited(data={"title": "Audited", "owner": self.ada.pk, "tags": []})
        assert await s.ais_valid()
        assert (await s.asave()).title == "Audited" and seen == ["Audited"]


def test_router_maps_actions_to_async_sisters_and_keeps_drfs_names():
    class Books(viewsets.ModelViewSet):
        queryset = Book.objects.all()
        serializer_class = BookSerializer

    router = routers.SimpleRouter()
    assert router.get_method_map(Books, {"get": "list", "post": "create"}) == {"get": "alist", "post": "acreate"}
    router.register("b", Books)
    detail = [u for u in router.urls if u.name == "book-detail"][0].callback
    assert detail.actions == {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
    view = resolve("/api/async/viewset-books/").func
    assert view.actions["get"] == "list" and view.cls.__module__ == "drfapp.api"


def test_sync_viewsets_stay_drfs():
    class SyncOnly(viewsets.ViewSet):
        def list(self, request):
            return None

    view = SyncOnly.as_view({"get": "list"})
    from async_legacy.compat import iscoroutinefunction

    assert not iscoroutinefunction(view)
