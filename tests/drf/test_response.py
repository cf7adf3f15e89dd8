"""async_legacy.rest_framework.response: DRF's JSON rendered on the loop, only for plain data.

Under the test client a trip to the lane runs on the test's own thread; the
loop runs on another. drfapp's RecordingJSON notes which thread encoded.
"""

import threading

import pytest

pytest.importorskip("rest_framework")

from django.contrib.auth.models import User  # noqa: E402
from drfapp import api  # noqa: E402
from drfapp.compare import TestCase, same  # noqa: E402
from drfapp.models import Book  # noqa: E402
from rest_framework.renderers import JSONRenderer  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402

from async_legacy.compat import NATIVE_ASYNC  # noqa: E402
from async_legacy.rest_framework import views  # noqa: E402
from async_legacy.rest_framework.response import render_on_loop  # noqa: E402
from async_legacy.rest_framework.test import AsyncAPIClient  # noqa: E402


class Rendering(TestCase):
    @classmethod
    def setUpTestData(cls):
        owner = User.objects.create_user("ada")
        for title in ("b", "a"):
            Book.objects.create(title=title, owner=owner)

    def setUp(self):
        self.client = AsyncAPIClient()
        self.test_thread = threading.current_thread()
        del api.ENCODE_THREADS[:]

    def async_build_encoded_on(self):
        # same(): the sync build's request first, then the async build's.
        return "loop" if api.ENCODE_THREADS[-1] is not self.test_thread else "lane"

    async def test_plain_data_is_encoded_on_the_loop_as_drf_encodes_it(self):
        # The pipeline renders it (Django < 3.1); Django >= 3.1's own handler
        # renders every response through sync_to_async.
        expected = "lane" if NATIVE_ASYNC else "loop"
        status, body, headers = await same(self.client, "GET", "/rendered/")
        assert status == 200 and headers["Content-Type"] == "application/json"
        assert body["when"] == "2020-01-02T03:04:05.678000" and body["price"] == 1.5
        assert body["took"] == "90.0" and body["blob"] == "bytes" and body["mixed"][4] == "\u00e9"
        assert self.async_build_encoded_on() == expected
        # The media type's indent parameter, as DRF reads it.
        status, body, _ = await same(self.client, "GET", "/rendered/", HTTP_ACCEPT="application/json; indent=4")
        assert status == 200 and self.async_build_encoded_on() == expected

    async def test_values_the_encoder_evaluates_are_encoded_on_the_lane(self):
        # A QuerySet queries the database (on the loop, Django 3.0+ would
        # raise SynchronousOnlyOperation); a lazy string reads the active
        # translation; a generator is anybody's code.
        for kind, expected in (
            ("queryset", {"titles": ["a", "b"]}),
            ("lazy", None),
            ("generator", {"squares": [0, 1, 4, 9]}),
        ):
            status, body, _ = await same(self.client, "GET", "/rendered/?kind=" + kind)
            assert status == 200, (kind, body)
            assert expected is None or body == expected, (kind, body)
            assert self.async_build_encoded_on() == "lane", kind

    async def test_a_post_render_callback_keeps_rendering_on_the_lane(self):
        status, _, _ = await same(self.client, "GET", "/rendered/?callback=1")
        assert status == 200
        encoded, called_back = api.ENCODE_THREADS[-2:]
        assert encoded is self.test_thread and called_back is self.test_thread

    async def test_the_browsable_api_answers_as_the_sync_view_does(self):
        status, body, headers = await same(self.client, "GET", "/echo/", HTTP_ACCEPT="text/html")
        assert status == 200 and headers["Content-Type"].startswith("text/html")


def finalized(data, renderer):
    view = views.APIView()
    view.args, view.kwargs = (), {}
    request = view.initialize_request(APIRequestFactory().get("/"))
    view.request = request
    request.accepted_renderer, request.accepted_media_type = renderer, renderer.media_type
    view.headers = {}
    return view.finalize_response(request, Response(data))


def test_render_on_loop_leaves_a_response_it_declines_as_it_was():
    class OwnRender(JSONRenderer):
        def render(self, data, accepted_media_type=None, renderer_context=None):
            return b"own"

    # A renderer with its own render(): declined before anything is done.
    response = finalized({"a": 1}, OwnRender())
    assert render_on_loop(response) is False and not response.is_rendered
    # A value the encoder would evaluate: declined, and the encoder is DRF's again.
    renderer = JSONRenderer()
    response = finalized({"squares": (i for i in range(2))}, renderer)
    assert render_on_loop(response) is False and not response.is_rendered
    assert "encoder_class" not in vars(renderer) and renderer.encoder_class is JSONRenderer.encoder_class
    assert response.render().content == b'{"squares":[0,1]}'
    # Plain data: rendered, byte for byte as render() on the thread does.
    response, twin = finalized({"a": [1, "x"]}, JSONRenderer()), finalized({"a": [1, "x"]}, JSONRenderer())
    assert render_on_loop(response) is True and response.is_rendered
    assert response.content == twin.render().content == b'{"a":[1,"x"]}'
