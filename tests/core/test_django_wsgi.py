"""async_legacy.django_wsgi: the django-wsgi extra (request.webob) on the legacy path."""

import pytest
from support.helpers import call, run

from async_legacy.compat import NATIVE_ASYNC

pytestmark = pytest.mark.skipif(NATIVE_ASYNC, reason="django-wsgi targets the legacy WSGI handler")
django_wsgi = pytest.importorskip("django_wsgi", reason="the django-wsgi extra is not installed")


@pytest.fixture
def webob_app():
    from async_legacy.django_wsgi import DjangoApplication

    return DjangoApplication()


def test_coroutine_view_reads_request_webob(webob_app, loop):
    got = run(
        loop,
        call(
            webob_app,
            "/webob/",
            method="POST",
            query={"q": "1"},
            body=b"name=Ada",
            content_type="application/x-www-form-urlencoded",
        ),
    )
    assert got.status_code == 200
    # Django and WebOb both read the same body.
    assert got.body == b"webob=DjangoWSGIRequest path=/webob/ q=1 name=Ada django-post=Ada"


def test_is_still_djangos_and_django_wsgis_handler(webob_app):
    from django.core.handlers.wsgi import WSGIHandler
    from django_wsgi.handler import DjangoApplication as SyncDjangoApplication

    from async_legacy.handler import AsyncDjangoApplication

    assert isinstance(webob_app, AsyncDjangoApplication)
    assert isinstance(webob_app, SyncDjangoApplication) and isinstance(webob_app, WSGIHandler)
