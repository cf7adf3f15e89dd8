"""async_legacy.decorators and async_legacy.auth: the same view code on every Django."""

import warnings

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Permission, User

from async_legacy.compat import DJANGO_VERSION, iscoroutinefunction

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from async_legacy.test import TestCase


class AuthDecoratorTests(TestCase):
    async def test_login_required_on_a_coroutine_view(self):
        anonymous = await self.async_client.get("/modern/whoami/")
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/?next=/modern/whoami/")
        user = await sync_to_async(User.objects.create_user)("ada", password="x")
        await sync_to_async(self.async_client.force_login)(user)
        assert (await self.async_client.get("/modern/whoami/")).content == b"you are ada"

    async def test_permission_required_raises_403_then_allows(self):
        user = await sync_to_async(User.objects.create_user)("bob", password="x")
        await sync_to_async(self.async_client.force_login)(user)
        assert (await self.async_client.get("/modern/add-user/")).status_code == 403

        def grant():
            user.user_permissions.add(Permission.objects.get(codename="add_user"))

        await sync_to_async(grant)()
        assert (await self.async_client.get("/modern/add-user/")).content == b"you may add users"

    async def test_sync_views_keep_djangos_decorator(self):
        assert (await self.async_client.get("/modern/sync-whoami/")).status_code == 302
        user = await sync_to_async(User.objects.create_user)("cy", password="x")
        await sync_to_async(self.async_client.force_login)(user)
        assert (await self.async_client.get("/modern/sync-whoami/")).content == b"sync: you are cy"


def test_decorated_coroutine_views_still_look_async():
    from testproject import modern_views

    # Django's ASGIHandler (3.1-5.0) only awaits views that look async.
    assert iscoroutinefunction(modern_views.whoami)
    assert iscoroutinefunction(modern_views.add_user_page)
    assert not iscoroutinefunction(modern_views.sync_whoami)


def test_names_forward_to_django_where_it_has_them():
    from django.contrib.auth import decorators as django_auth

    import async_legacy.decorators as ours

    if DJANGO_VERSION >= (5, 1):
        with pytest.warns(DeprecationWarning, match="django.contrib.auth.decorators.login_required"):
            assert ours.login_required is django_auth.login_required
    else:
        assert ours.login_required is not django_auth.login_required
    with pytest.raises(AttributeError):
        ours.no_such_decorator  # noqa: B018 - the access raises


class ResponseDecoratorTests(TestCase):
    """Django's response decorators around coroutine views (Django's own from 5.0)."""

    async def test_never_cache_and_cache_control(self):
        response = await self.async_client.get("/modern/never-cached/")
        assert response.content == b"fresh"
        assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
        assert "Expires" in response
        controlled = await self.async_client.get("/modern/cache-controlled/")
        assert sorted(controlled["Cache-Control"].split(", ")) == ["max-age=60", "private"]

    async def test_vary_headers(self):
        response = await self.async_client.get("/modern/varied/")
        assert response.content == b"varies"
        varies = {h.strip().lower() for h in response["Vary"].split(",")}
        assert {"accept-language", "cookie"} <= varies

    async def test_xframe_options(self):
        assert (await self.async_client.get("/modern/frame-deny/"))["X-Frame-Options"] == "DENY"
        assert (await self.async_client.get("/modern/frame-sameorigin/"))["X-Frame-Options"] == "SAMEORIGIN"
        # XFrameOptionsMiddleware is installed: exempt means no header at all.
        assert "X-Frame-Options" not in await self.async_client.get("/modern/frame-exempt/")

    async def test_etag_from_a_database_query_then_304(self):
        await sync_to_async(User.objects.create_user)("dee", password="x")
        first = await self.async_client.get("/modern/users-tagged/")
        assert first.content == b"tagged"
        assert first["ETag"] == '"users-1"'
        again = await self.async_client.get("/modern/users-tagged/", IF_NONE_MATCH='"users-1"')
        assert again.status_code == 304
        await sync_to_async(User.objects.create_user)("eve", password="x")
        changed = await self.async_client.get("/modern/users-tagged/", IF_NONE_MATCH='"users-1"')
        assert changed.status_code == 200 and changed["ETag"] == '"users-2"'

    async def test_last_modified_then_304(self):
        first = await self.async_client.get("/modern/dated/")
        assert first["Last-Modified"] == "Sun, 02 Feb 2020 12:00:00 GMT"
        later = await self.async_client.get("/modern/dated/", IF_MODIFIED_SINCE="Mon, 03 Feb 2020 00:00:00 GMT")
        assert later.status_code == 304

    async def test_gzip_page(self):
        import gzip

        response = await self.async_client.get("/modern/zipped/", ACCEPT_ENCODING="gzip")
        assert response["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.content) == b"squeeze me " * 200
        plain = await self.async_client.get("/modern/zipped/")
        assert "Content-Encoding" not in plain and plain.content == b"squeeze me " * 200

    async def test_cache_page_serves_the_second_request_from_the_cache(self):
        first = await self.async_client.get("/modern/cached-page/?run=%d" % id(self))
        second = await self.async_client.get("/modern/cached-page/?run=%d" % id(self))
        assert first.content.startswith(b"render ")
        assert second.content == first.content
        other = await self.async_client.get("/modern/cached-page/?run=other%d" % id(self))
        assert other.content != first.content

    async def test_csrf_cookies(self):
        ensured = await self.async_client.get("/modern/with-csrf-cookie/")
        assert ensured.content == b"cookie please"
        assert ensured.cookies["csrftoken"].value
        # get_token() inside a coroutine view: the middleware sets the cookie.
        client = self.async_client_class()
        page = await client.get("/modern/token-in-page/")
        token = page.content.decode().split("=", 1)[1]
        cookie = page.cookies["csrftoken"].value
        assert token and cookie
        accepted = await client.post("/modern/guarded-post/", {"csrfmiddlewaretoken": token})
        assert accepted.status_code == 200

    async def test_csrf_exempt_protect_and_require_post(self):
        client = self.async_client_class(enforce_csrf_checks=True)
        assert (await client.post("/modern/guarded-post/", {"q": "1"})).status_code == 403
        exempt = await client.post("/modern/exempt-post/", {"q": "1"})
        assert exempt.status_code == 200 and exempt.content == b"posted"
        assert (await client.post("/modern/protected-post/", {"q": "1"})).status_code == 403
        assert (await self.async_client.get("/modern/post-only/")).status_code == 405
        assert (await self.async_client.post("/modern/post-only/")).content == b"posted"

    async def test_conditional_page(self):
        assert (await self.async_client.get("/modern/conditional/"))["ETag"] == '"ever"'
        response = await self.async_client.get("/modern/conditional/", IF_NONE_MATCH='"ever"')
        assert response.status_code == 304


def test_response_decorators_keep_views_coroutine_functions():
    from testproject import modern_views

    for name in (
        "never_cached",
        "varied",
        "frame_exempt",
        "users_tagged",
        "zipped",
        "cached_page",
        "with_csrf_cookie",
        "exempt_post",
        "protected_post",
        "post_only",
        "conditional",
    ):
        assert iscoroutinefunction(getattr(modern_views, name)), name
    assert modern_views.exempt_post.csrf_exempt is True


def test_response_decorators_forward_to_django_from_5_0():
    from django.views.decorators import cache, csrf, http

    import async_legacy.decorators as ours

    pairs = [("never_cache", cache), ("csrf_exempt", csrf), ("require_POST", http)]
    for name, django_module in pairs:
        if DJANGO_VERSION >= (5, 0):
            with pytest.warns(DeprecationWarning, match="django.views.decorators"):
                assert getattr(ours, name) is getattr(django_module, name)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                assert getattr(ours, name) is not getattr(django_module, name)


def test_decorating_a_method_without_method_decorator_names_the_fix():
    import asyncio

    from async_legacy.decorators.cache import never_cache  # noqa: F401 (warns on 5.0+)

    class Page:
        @never_cache
        async def get(self, request):
            return None

    with pytest.raises(TypeError, match="method_decorator"):
        asyncio.run(Page().get(object()))


def test_condition_stays_ours_for_coroutine_views_on_every_django():
    # Django 5.0+ would call a database-querying etag_func on the event loop;
    # test_etag_from_a_database_query_then_304 runs on every pair of the matrix.
    from django.views.decorators import http

    import async_legacy.decorators as ours

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ours.condition is not http.condition and ours.etag is not http.etag
