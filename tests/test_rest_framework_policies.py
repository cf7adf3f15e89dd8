"""async_legacy.rest_framework.policies: initial() on the loop only when DRF's own classes do no I/O.

Under the test client a trip to the lane runs on the test's own thread (where
its transaction lives); the loop runs on another. Content negotiation, the
first step of initial(), tells which one ran it.
"""

import threading

import pytest

pytest.importorskip("rest_framework")

from django.contrib.auth.models import User  # noqa: E402
from django.core.cache import cache  # noqa: E402
from drfapp.compare import TestCase, same  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.negotiation import DefaultContentNegotiation  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402

from async_legacy.lane import run_sync  # noqa: E402
from async_legacy.rest_framework import views  # noqa: E402
from async_legacy.rest_framework.policies import initial_is_io_free  # noqa: E402
from async_legacy.rest_framework.test import AsyncAPIClient  # noqa: E402


class InitialOnTheLoop(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.ada = User.objects.create_user("ada", password="lovelace")
        cls.token = Token.objects.create(user=cls.ada)

    def setUp(self):
        self.client = AsyncAPIClient()
        self.test_thread = threading.current_thread()
        self.threads = []
        select = DefaultContentNegotiation.select_renderer

        def recording(negotiator, *args, **kwargs):
            self.threads.append(threading.current_thread())
            return select(negotiator, *args, **kwargs)

        DefaultContentNegotiation.select_renderer = recording
        self.addCleanup(setattr, DefaultContentNegotiation, "select_renderer", select)
        cache.clear()

    def async_initial_ran_on_the_loop(self):
        # both(): the sync build's request first, then the async build's.
        sync_thread, async_thread = self.threads[-2:]
        assert sync_thread is self.test_thread
        return async_thread is not self.test_thread

    async def test_anonymous_request_without_cookie_or_header_runs_initial_on_the_loop(self):
        status, body, headers = await same(self.client, "GET", "/echo/")
        assert status == 200 and body["user"] == "AnonymousUser"
        assert self.async_initial_ran_on_the_loop()
        # Unsafe, still anonymous: DRF's permission answer, same as sync.
        status, body, _ = await same(self.client, "POST", "/books/", data={"title": "x"}, format="json")
        assert status in (401, 403)
        assert self.async_initial_ran_on_the_loop()

    async def test_a_token_header_takes_the_trip(self):
        auth = "Token " + self.token.key
        status, body, _ = await same(self.client, "GET", "/echo/", HTTP_AUTHORIZATION=auth)
        assert status == 200 and body["user"] == "ada"
        assert not self.async_initial_ran_on_the_loop()
        # A wrong token: the same 401, also decided on the lane.
        status, body, headers = await same(self.client, "GET", "/echo/", HTTP_AUTHORIZATION="Token nope")
        assert status == 401 and headers["WWW-Authenticate"] == "Token"
        assert not self.async_initial_ran_on_the_loop()

    async def test_a_session_cookie_takes_the_trip(self):
        # Django's Client.login writes the session: off the loop.
        assert await run_sync(self.client.login, username="ada", password="lovelace")
        status, body, _ = await same(self.client, "GET", "/echo/")
        assert status == 200 and body["user"] == "ada"
        assert not self.async_initial_ran_on_the_loop()

    async def test_a_throttle_takes_the_trip(self):
        assert (await same(self.client, "GET", "/throttled/", keep=True))[0] == 200
        assert not self.async_initial_ran_on_the_loop()


class Overrides(TestCase):
    def request(self, view):
        factory_request = APIRequestFactory().get("/")
        return view.initialize_request(factory_request)

    def test_a_view_overriding_a_step_or_using_other_classes_keeps_the_trip(self):
        class Plain(views.APIView):
            authentication_classes = []
            permission_classes = []

        class OwnCheck(Plain):
            def check_permissions(self, request):
                super().check_permissions(request)

        class OtherPermission(Plain):
            permission_classes = [type("P", (object,), {"has_permission": lambda self, request, view: True})]

        for view_class, expected in ((Plain, True), (OwnCheck, False), (OtherPermission, False)):
            view = view_class()
            view.args, view.kwargs = (), {}
            request = self.request(view)
            assert isinstance(request, Request)
            assert initial_is_io_free(view, request) is expected, view_class
