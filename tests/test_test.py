"""async_legacy.test: Django 3.1's AsyncClient API on every Django (Django's own on 3.1+)."""
import warnings

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User

from async_legacy.compat import NATIVE_ASYNC

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from async_legacy.test import AsyncClient, AsyncRequestFactory, TestCase


class AsyncClientTests(TestCase):
    async def test_async_view_and_sync_view(self):
        response = await self.async_client.get("/hello/")
        assert response.status_code == 200 and response.content == b"hello"
        response = await self.async_client.get("/sync/")
        assert response.content == b"ok from /sync/"

    async def test_views_see_the_testcases_data(self):
        # The user exists only in this test's open transaction.
        before = await sync_to_async(User.objects.count)()
        await sync_to_async(User.objects.create_user)("ada", password="x")
        response = await self.async_client.get("/sync-db/")
        assert response.content.startswith(b"users=%d " % (before + 1))

    async def test_sync_to_async_in_a_view_sees_the_testcases_data(self):
        await sync_to_async(User.objects.create_user)("grace", password="x")
        response = await self.async_client.get("/lane/s2a-count/")
        assert response.content == b"users=%d" % (await sync_to_async(User.objects.count)())

    async def test_async_streaming_response_is_closed_once_read(self):
        import django
        from django.core.signals import request_finished

        if django.VERSION[:2] in ((3, 1), (3, 2), (4, 0), (4, 1)):
            pytest.skip("Django 3.1-4.1 have no async streaming responses")
        finished = []

        def receiver(**kwargs):
            finished.append(1)

        request_finished.connect(receiver)
        try:
            response = await self.async_client.get("/stream/async/")
            assert finished == []
            chunks = [chunk async for chunk in response.streaming_content]
        finally:
            request_finished.disconnect(receiver)
        assert b"".join(chunks) == b"chunk0;chunk1;chunk2;"
        assert finished == [1]

    async def test_templates_and_context_are_captured(self):
        response = await self.async_client.get("/async/?what=template")
        assert [t.name for t in response.templates] == ["hello.html"]
        assert response.context["name"] == "middleware"  # set by process_template_response

    async def test_view_exceptions_are_raised_by_default(self):
        with pytest.raises(ZeroDivisionError):
            await self.async_client.get("/async/?what=500")
        quiet = AsyncClient(raise_request_exception=False)
        assert (await quiet.get("/async/?what=500")).status_code == 500

    async def test_csrf_checks_off_unless_enforced(self):
        assert (await self.async_client.post("/hello/", {"x": "1"})).status_code == 200
        strict = AsyncClient(enforce_csrf_checks=True)
        assert (await strict.post("/hello/", {"x": "1"})).status_code == 403

    async def test_cookies_persist_and_login_works(self):
        user = await sync_to_async(User.objects.create_user)("grace", password="x")
        anonymous = await self.async_client.get("/modern/whoami/")
        assert anonymous.status_code == 302
        await sync_to_async(self.async_client.force_login)(user)
        assert (await self.async_client.get("/modern/whoami/")).content == b"you are grace"
        await self.async_client.get("/modern/set-cookie/?flavour=rye")
        assert self.async_client.cookies["flavour"].value == "rye"
        assert (await self.async_client.get("/modern/echo-cookie/")).content == b"flavour=rye"

    async def test_json_and_resolver_match(self):
        response = await self.async_client.get("/hello/")
        assert response.resolver_match.func.__name__ == "hello"

    async def test_headers_are_passed_by_name_as_djangos_async_client_takes_them(self):
        by_keyword = await self.async_client.get("/modern/echo-header/", X_FLAVOUR="oat")
        assert by_keyword.content == b"x-flavour=oat"
        by_header_name = await self.async_client.get("/modern/echo-header/", **{"X-Flavour": "rye"})
        assert by_header_name.content == b"x-flavour=rye"
        with_query = await self.async_client.get("/modern/echo-header/?q=1", X_FLAVOUR="spelt")
        assert with_query.content == b"x-flavour=spelt;q=1"

    async def test_follow_is_refused_as_in_django_3_1(self):
        if NATIVE_ASYNC:
            pytest.skip("Django >= 4.2 accepts follow; the client is Django's own here")
        with pytest.raises(NotImplementedError, match="follow"):
            await self.async_client.get("/hello/", follow=True)


class RequestFactoryTests(TestCase):
    async def test_requests_for_async_views(self):
        from testproject.views import hello

        request = AsyncRequestFactory().get("/hello/")
        response = await hello(request)
        assert response.content == b"hello"


def test_names_forward_to_django_on_native():
    import django.test

    import async_legacy.test as ours

    if not NATIVE_ASYNC:
        assert ours.AsyncClient.__module__ == "async_legacy.test"
        return
    with pytest.warns(DeprecationWarning, match="django.test.AsyncClient"):
        assert ours.AsyncClient is django.test.AsyncClient
