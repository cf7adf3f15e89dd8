"""async_legacy.orm: Django 4.1/4.2's async ORM names on every Django."""

import threading
import warnings

from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group, User
from django.db.models import Model
from django.db.models.query import QuerySet
from django.test.utils import isolate_apps

from async_legacy.compat import DJANGO_VERSION

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from async_legacy.test import TestCase


class AsyncORMTests(TestCase):
    async def test_queryset_and_manager_methods(self):
        ada = await User.objects.acreate(username="ada")
        assert (await User.objects.aget(username="ada")).pk == ada.pk
        assert await User.objects.filter(username__startswith="a").acount() == 1
        assert await User.objects.filter(username="ada").aexists()
        await User.objects.abulk_create([User(username="bob"), User(username="cy")])
        ordered = User.objects.filter(username__in=["ada", "bob", "cy"]).order_by("username")
        assert (await ordered.afirst()).username == "ada"
        assert (await ordered.alast()).username == "cy"
        assert (await ordered.aearliest("username")).username == "ada"
        assert (await ordered.alatest("username")).username == "cy"
        group, created = await Group.objects.aget_or_create(name="staff")
        assert created and (await Group.objects.aget_or_create(name="staff"))[1] is False
        _, created = await Group.objects.aupdate_or_create(name="staff", defaults={"name": "crew"})
        assert not created and await Group.objects.filter(name="crew").aexists()
        assert set((await User.objects.ain_bulk([ada.pk])).keys()) == {ada.pk}
        assert await ordered.aupdate(first_name="X") == 3
        assert [u.username async for u in ordered] == ["ada", "bob", "cy"]
        assert [u.first_name async for u in ordered.aiterator(chunk_size=2)] == ["X", "X", "X"]
        deleted, _ = await User.objects.filter(username="cy").adelete()
        assert deleted == 1

    async def test_model_methods(self):
        user = User(username="grace")
        await user.asave()
        assert await User.objects.filter(username="grace").aexists()
        await User.objects.filter(pk=user.pk).aupdate(first_name="G")
        await user.arefresh_from_db()
        assert user.first_name == "G"
        await user.adelete()
        assert not await User.objects.filter(username="grace").aexists()

    async def test_queries_run_off_the_event_loop(self):
        loop_thread = threading.get_ident()
        seen = []

        def where():
            seen.append(threading.get_ident())
            return User.objects.count()

        await sync_to_async(where)()
        await User.objects.acount()
        assert loop_thread not in seen


class TypedNamesTests(TestCase):
    async def test_typed_manager_is_a_plain_manager_with_the_async_names(self):
        from async_legacy.orm import AsyncManager, AsyncQuerySet

        assert AsyncManager["User"] is AsyncManager and AsyncQuerySet["User"] is AsyncQuerySet
        manager = AsyncManager["User"]()
        manager.model = User  # what contribute_to_class sets
        await User.objects.acreate(username="typed")
        assert (await manager.aget(username="typed")).username == "typed"
        assert await manager.filter(username="typed").acount() == 1


@isolate_apps("testproject")
def test_typed_model_mixin_adds_nothing_at_run_time():
    from django.db import models

    from async_legacy.orm import AsyncManager, AsyncModelMixin

    class Shelf(AsyncModelMixin, models.Model):
        objects = AsyncManager["Shelf"]()

        class Meta:
            app_label = "testproject"

    assert isinstance(Shelf.objects, AsyncManager) and Shelf.objects.model is Shelf
    # The async names are Model's and QuerySet's (Django's or installed), not the mixin's.
    assert Shelf.asave is Model.asave and Shelf.arefresh_from_db is Model.arefresh_from_db
    assert not [name for name in vars(AsyncModelMixin) if not name.startswith("__")]


def test_django_keeps_its_own_where_it_has_them():
    from async_legacy import orm

    added = orm.install()
    assert added == []  # the AppConfig already installed what was missing
    if DJANGO_VERSION >= (4, 1):
        assert QuerySet.aget.__module__ == "django.db.models.query"
    else:
        assert QuerySet.aget.__module__ == "async_legacy.orm"
    if DJANGO_VERSION >= (4, 2):
        assert Model.asave.__module__ == "django.db.models.base"
    else:
        assert Model.asave.__module__ == "async_legacy.orm"
