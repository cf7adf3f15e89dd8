"""async_legacy.rest_framework.policies: initial() on the loop only when DRF's own classes do no I/O.

Under the test client a trip to the lane runs on the test's own thread (where
its transaction lives); the loop runs on another. Authentication, a step of
initial() (after content negotiation, whose choices are remembered), tells
which one ran it.
"""

import threading

import pytest

pytest.importorskip("rest_framework")

from django.contrib.auth.models import User  # noqa: E402
from django.core.cache import cache  # noqa: E402
from drfapp.compare import TestCase, same  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402
from rest_framework.views import APIView as DRFAPIView  # noqa: E402

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
        authenticate = DRFAPIView.perform_authentication

        def recording(view, *args, **kwargs):
            self.threads.append(threading.current_thread())
            return authenticate(view, *args, **kwargs)

        DRFAPIView.perform_authentication = recording
        self.addCleanup(setattr, DRFAPIView, "perform_authentication", authenticate)
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


def view_and_request(view_class, django_request=None):
    """A view instance as as_view() sets it up, and the DRF request it would make."""
    view = view_class()
    view.args, view.kwargs = (), {}
    return view, view.initialize_request(django_request or APIRequestFactory().get("/"))


class Overrides(TestCase):
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
            view, request = view_and_request(view_class)
            assert isinstance(request, Request)
            assert initial_is_io_free(view, request) is expected, view_class


class LoggedIn(TestCase):
    """A user some middleware already loaded: no query left, so only the CSRF check matters."""

    @classmethod
    def setUpTestData(cls):
        cls.ada = User.objects.create_user("ada", password="lovelace")

    def request(self, method, session_key=None, loaded=False):
        from django.contrib.auth.middleware import AuthenticationMiddleware
        from django.contrib.sessions.middleware import SessionMiddleware

        django_request = getattr(APIRequestFactory(), method)("/")
        if session_key:
            django_request.COOKIES["sessionid"] = session_key
        SessionMiddleware(lambda r: None).process_request(django_request)
        AuthenticationMiddleware(lambda r: None).process_request(django_request)
        if loaded:
            str(django_request.user)  # evaluated, as a middleware reading request.user does
        return view_and_request(views.APIView, django_request)

    def test_loaded_user_safe_method_only_and_a_stored_session_keeps_the_trip(self):
        from django.test import Client

        client = Client()
        client.force_login(self.ada)
        key = client.cookies["sessionid"].value
        # A session cookie, user not read yet: loading it would query.
        view, request = self.request("get", key)
        assert initial_is_io_free(view, request) is False
        # The same user already loaded by a middleware: a GET needs no I/O...
        view, request = self.request("get", key, loaded=True)
        assert request._request.user.username == "ada"
        assert initial_is_io_free(view, request) is True
        # ...a POST does: the CSRF check may read the token from the body.
        view, request = self.request("post", key, loaded=True)
        assert initial_is_io_free(view, request) is False
        # No cookie at all: anonymous without a query.
        view, request = self.request("post")
        assert initial_is_io_free(view, request) is True

    def test_drfs_versioning_classes_keep_it_on_the_loop_others_do_not(self):
        from rest_framework.versioning import BaseVersioning, QueryParameterVersioning

        class Versioned(views.APIView):
            versioning_class = QueryParameterVersioning

        class OwnVersioning(views.APIView):
            versioning_class = type("V", (BaseVersioning,), {"determine_version": lambda *a, **k: "1"})

        for view_class, expected in ((Versioned, True), (OwnVersioning, False)):
            view, request = view_and_request(view_class)
            assert initial_is_io_free(view, request) is expected, view_class
