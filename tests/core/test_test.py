"""async_legacy.test: Django 3.1's AsyncClient API on every Django (Django's own on 3.1+)."""

import asyncio
import unittest
import warnings

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import ignore_warnings, modify_settings, override_settings, skipIfDBFeature, skipUnlessDBFeature, tag
from django.test.utils import isolate_apps

from async_legacy.compat import NATIVE_ASYNC

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from async_legacy.test import AsyncClient, AsyncRequestFactory, SimpleTestCase, TestCase


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


@async_to_sync
async def _get(client, *args, **kwargs):
    return await client.get(*args, **kwargs)


class SettingsOfTheTestApplyTests(TestCase):
    """The client loads middleware at its first request, as Django's clients do."""

    def setUp(self):
        override = self.settings(MIDDLEWARE=[])
        override.enable()
        self.addCleanup(override.disable)

    async def test_middleware_overridden_in_setup(self):
        response = await self.async_client.get("/hello/")
        assert "X-Frame-Options" not in response  # XFrameOptionsMiddleware is in the default stack

    @override_settings(MIDDLEWARE=["django.middleware.locale.LocaleMiddleware"])
    def test_middleware_overridden_on_the_method(self):
        response = _get(self.async_client, "/hello/")
        assert "Content-Language" in response and "X-Frame-Options" not in response

    @override_settings(MIDDLEWARE=["testproject.middleware.ContextVarToken"])
    @unittest.skipIf(NATIVE_ASYNC, "Django's own client and handler: each hook runs in a context copy of its own")
    def test_a_contextvar_set_in_process_request_resets_in_process_response(self):
        # As under the server (tests/lane/test_lane.py): one context for the request's sync code.
        for path in ("/sync-db/", "/async/"):
            response = _get(self.async_client, path)
            assert response.status_code == 200 and response["X-Var-Reset"] == "yes", path

    @override_settings(DEBUG=True)
    @unittest.skipIf(NATIVE_ASYNC, "Django's own client: 3.1-4.2 send request_started in a worker thread")
    def test_query_log_is_reset_per_request(self):
        # request_started's reset_queries must clear the connection the view used.
        _get(self.async_client, "/sync-db/")
        after_one = len(connection.queries)
        _get(self.async_client, "/sync-db/")
        assert after_one > 0 and len(connection.queries) == after_one

    @override_settings(LANGUAGE_CODE="de")
    def test_language_after_a_language_setting_override(self):
        # Django's receiver for LANGUAGE_CODE puts a new thread-local in place.
        response = _get(self.async_client, "/language/?lang=fr")
        assert response.content.strip() == b"fr"

    async def test_request_made_inside_a_view_leaves_the_outer_its_lane(self):
        response = await self.async_client.get("/nested/")
        assert [t.name for t in response.templates] == ["hello.html"]
        assert response.content.strip() == b"Hello outer in hello"
        quiet = AsyncClient(raise_request_exception=False)
        assert (await quiet.get("/nested/?fail=1")).status_code == 404


RAN = []


def _run_case(case_class, *names):
    result = unittest.TestResult()
    unittest.TestSuite([case_class(name) for name in names]).run(result)
    return result


@pytest.mark.skipif(NATIVE_ASYNC, reason="Django's own test tools on 3.1+ (skip*DBFeature async-aware from 4.2)")
def test_djangos_test_decorators_on_async_test_methods():
    """Each decorator's context holds while the async body runs, across awaits."""
    del RAN[:]

    class Decorated(SimpleTestCase):
        databases = {"default"}  # skip*DBFeature checks it (Django 2.2+)

        @override_settings(ASYNC_LEGACY_PROBE="overridden")
        async def test_override_settings(self):
            await asyncio.sleep(0)
            RAN.append(("override_settings", settings.ASYNC_LEGACY_PROBE))

        @modify_settings(ALLOWED_HOSTS={"append": "probe.example"})
        async def test_modify_settings(self):
            await asyncio.sleep(0)
            RAN.append(("modify_settings", "probe.example" in settings.ALLOWED_HOSTS))

        @ignore_warnings(category=UserWarning)
        async def test_ignore_warnings(self):
            await asyncio.sleep(0)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("default")
            warnings.warn("ignored", UserWarning, stacklevel=1)
            RAN.append(("ignore_warnings", not caught))

        @isolate_apps("testproject", kwarg_name="apps")
        async def test_isolate_apps(self, apps):
            await asyncio.sleep(0)
            RAN.append(("isolate_apps", apps.is_installed("testproject")))

        @tag("probe")
        async def test_tag(self):
            await asyncio.sleep(0)
            RAN.append(("tag", True))

        @unittest.skipIf(False, "runs")
        @skipUnlessDBFeature("supports_transactions")
        async def test_skip_unless_db_feature(self):
            await asyncio.sleep(0)
            RAN.append(("skipUnlessDBFeature", True))

        @skipIfDBFeature("supports_transactions")
        async def test_skip_if_db_feature(self):
            RAN.append(("skipIfDBFeature", "ran although skipped"))

    names = [n for n in dir(Decorated) if n.startswith("test_")]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        result = _run_case(Decorated, *names)
    assert not result.errors and not result.failures, result.errors + result.failures
    assert [case._testMethodName for case, _ in result.skipped] == ["test_skip_if_db_feature"]
    assert sorted(RAN) == sorted(
        [
            ("override_settings", "overridden"),
            ("modify_settings", True),
            ("ignore_warnings", True),
            ("isolate_apps", True),
            ("tag", True),
            ("skipUnlessDBFeature", True),
        ]
    )


@pytest.mark.skipif(NATIVE_ASYNC, reason="Django's own SimpleTestCase on 3.1+")
def test_a_coroutine_returned_unawaited_fails_the_test():
    import functools

    def plain_decorator(func):  # a third-party decorator that hides the async def
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return func(*args, **kwargs)

        return wrapper

    class Hidden(SimpleTestCase):
        @plain_decorator
        async def test_hidden(self):
            RAN.append("hidden body ran")

    del RAN[:]
    result = _run_case(Hidden, "test_hidden")
    assert len(result.errors) == 1 and not RAN
    assert "without awaiting it" in result.errors[0][1] and "test_hidden" in result.errors[0][1]


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
