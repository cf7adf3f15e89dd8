"""async_legacy.auth.auser: the request's user loaded off the loop, once."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject
from support.helpers import run

import async_legacy.auth
from async_legacy.auth import auser
from async_legacy.compat import DJANGO_VERSION

pytestmark = pytest.mark.skipif(DJANGO_VERSION >= (5, 0), reason="Django's own request.auser() from 5.0")


def _request(loads):
    request = RequestFactory().get("/")

    def load():
        loads.append(1)
        return AnonymousUser()

    request.user = SimpleLazyObject(load)
    return request


def test_auser_loads_a_lazy_user_off_the_loop(loop, monkeypatch):
    loads, trips = [], []
    original = async_legacy.auth.run_sync

    async def counted(func, *args):
        trips.append(func)
        return await original(func, *args)

    monkeypatch.setattr(async_legacy.auth, "run_sync", counted)
    request = _request(loads)
    user = run(loop, auser(request))
    assert user.is_anonymous and loads == [1] and len(trips) == 1


def test_auser_takes_no_trip_for_a_user_already_loaded(loop, monkeypatch):
    """A decorator (login_required) or middleware already read request.user:
    awaiting auser() again costs no thread trip."""
    loads = []
    request = _request(loads)
    assert not request.user.is_authenticated  # loaded, as login_required's check does

    async def refuse(func, *args):
        raise AssertionError("auser() went to a thread for a loaded user")

    monkeypatch.setattr(async_legacy.auth, "run_sync", refuse)
    assert run(loop, auser(request)) is request.user
    assert loads == [1]
