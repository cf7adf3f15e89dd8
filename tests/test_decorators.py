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
        ours.no_such_decorator
