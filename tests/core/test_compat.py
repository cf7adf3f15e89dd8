"""Per-request state that Django < 3.1 keeps in thread-locals stays per request."""

import random

import pytest
from support.helpers import call, gather

#: The legacy pipeline's own code: deselected on Django >= 3.1, where Django's handler serves (tests/conftest.py).
pytestmark = pytest.mark.legacy_only


def test_no_cross_talk_between_hundreds_of_requests(app, loop):
    languages = ["en", "de", "fr"]
    zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]
    plan = []
    for i in range(300):
        lang, tz, alt = languages[i % 3], zones[i % 4], i % 2 == 0
        plan.append((lang, tz, alt))
    random.Random(1).shuffle(plan)
    coros = [
        call(app, "/locale/", query=dict({"lang": lang, "tz": tz}, **({"alt": 1} if alt else {})))
        for lang, tz, alt in plan
    ]
    results = gather(loop, *coros)
    for (lang, tz, alt), result in zip(plan, results):
        assert result.status_code == 200, result
        got_lang, got_tz, urlconf, path = result.body.decode().split("|")
        assert (got_lang, got_tz) == (lang, tz)
        expected_urlconf = "testproject.alt_urls" if alt else "testproject.urls"
        assert urlconf == expected_urlconf


def test_script_prefix_is_per_request(app, loop):
    from django.urls import get_script_prefix  # noqa: F401 - the view reads it via reverse()
    from support.helpers import environ

    async def with_prefix(prefix):
        env = environ("/hello/")
        env["SCRIPT_NAME"] = prefix
        started = {}
        body = await app(env, lambda s, h: started.update(s=s))
        from django.urls import get_script_prefix as current

        seen = current()
        await body.aclose()
        return seen

    seen = gather(loop, *[with_prefix("/p%d" % i) for i in range(20)])
    assert seen == ["/p%d/" % i for i in range(20)]


def test_streaming_response_accepts_async_iterators():
    from django.http import StreamingHttpResponse

    async def gen():
        yield b"a"

    response = StreamingHttpResponse(gen())
    assert response.is_async
    assert not StreamingHttpResponse([b"x"]).is_async


def test_gzip_middleware_compresses_async_streaming(loop):
    import gzip

    from django.test import override_settings
    from support.helpers import call, run

    from async_legacy import AsyncDjangoApplication

    with override_settings(MIDDLEWARE=["django.middleware.gzip.GZipMiddleware"], MIDDLEWARE_CLASSES=[]):
        app = AsyncDjangoApplication()
        got = run(loop, call(app, "/stream/async/", headers={"Accept-Encoding": "gzip"}))
    assert got.status_code == 200 and got.header("Content-Encoding") == "gzip"
    assert gzip.decompress(got.body) == b"chunk0;chunk1;chunk2;"


@pytest.mark.parametrize("name", ["DEFAULT_CONTENT_TYPE", "FILE_CHARSET"])
def test_deprecated_settings_warn_as_django_does_without_walking_the_stack(app, monkeypatch, name):
    """Django 2.x checks who reads these with traceback.extract_stack() on every
    HttpResponse; ours looks at the caller's frame only, same warning."""
    import traceback
    import warnings

    from django.conf import LazySettings, settings
    from django.http import HttpResponse

    from async_legacy import compat

    if name not in LazySettings.__dict__:
        pytest.skip("Django %s.%s has no deprecated %s" % (compat.DJANGO_VERSION + (name,)))

    def walked(*args, **kwargs):
        raise AssertionError("the whole stack was walked")

    monkeypatch.setattr(traceback, "extract_stack", walked)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = getattr(settings, name)  # read outside Django: warns, pointing here
        response = HttpResponse("x")  # read inside Django: silent
    assert value == settings._wrapped.__dict__.get(name, value)
    assert [(w.category.__name__, w.filename) for w in caught] == [(compat._DEPRECATED_SETTINGS[name][1], __file__)]
    assert name in str(caught[0].message)
    assert response["Content-Type"].startswith("text/html")
