"""pytest plugin run inside DRF's own test suite (see tests/drf/test_drf_suite.py).

After DRF's conftest has configured Django, and before any test module is
imported, DRF's views, generics, mixins, viewsets, routers and ``api_view``
are replaced by async_legacy.rest_framework's, and every view is driven
asynchronously: ``dispatch`` is a coroutine run with ``async_to_sync`` (as a
sync caller such as DRF's test client reaches an async view), sync handlers
and policies hop to a thread-sensitive thread, which is the test's own, so
TestCase transactions and ``:memory:`` SQLite keep working.

Tests listed in known_failures.txt are marked xfail(strict) with their reason.
"""

import functools
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def _drive_async():
    from asgiref.sync import async_to_sync

    from async_legacy.rest_framework import views, viewsets

    make_async_view = views.async_view

    def driven(sync_view):
        async_view = make_async_view(sync_view)

        def view(request, *args, **kwargs):
            return async_to_sync(async_view)(request, *args, **kwargs)

        functools.update_wrapper(view, async_view)
        # Django >= 4.1 marked DRF's inner view as a coroutine function (our
        # view_is_async): this wrapper is sync.
        for marker in ("_is_coroutine", "_is_coroutine_marker"):
            view.__dict__.pop(marker, None)
        return view

    views.async_view = driven
    views.APIView.view_is_async = views.classproperty(lambda cls: True)
    viewsets.ViewSetMixin.actions_are_async = classmethod(lambda cls, actions: True)


def _replace_drf():
    import rest_framework.decorators
    import rest_framework.generics
    import rest_framework.mixins
    import rest_framework.routers
    import rest_framework.views
    import rest_framework.viewsets

    from async_legacy.rest_framework import decorators, generics, mixins, routers, views, viewsets

    replaced = [
        (rest_framework.views, views, ["APIView"]),
        (rest_framework.generics, generics, generics.__all__),
        (rest_framework.mixins, mixins, [n for n in mixins.__all__ if not n.startswith("Async")]),
        (rest_framework.viewsets, viewsets, viewsets.__all__),
        (rest_framework.routers, routers, ["SimpleRouter", "DefaultRouter"]),
        (rest_framework.decorators, decorators, ["api_view"]),
    ]
    for drf_module, ours, names in replaced:
        for name in names:
            setattr(drf_module, name, getattr(ours, name))


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    _drive_async()
    _replace_drf()


def known_failures(version):
    """{nodeid: reason} for this DRF version, from known_failures.txt."""
    found = {}
    with open(os.path.join(HERE, "known_failures.txt")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            versions, nodeid, reason = [part.strip() for part in line.split("|", 2)]
            if versions == "*" or version in versions.split(","):
                found[nodeid] = reason
    return found


def pytest_collection_modifyitems(config, items):
    import rest_framework

    known = known_failures(rest_framework.VERSION)
    for item in items:
        reason = known.get(item.nodeid)
        if reason:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
