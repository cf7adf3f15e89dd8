"""Request bodies: parsed lazily as in Django; ``await load_body(request)`` parses off the loop."""

import threading

import pytest
from asgiref.sync import async_to_sync
from django.http import multipartparser
from django.test import RequestFactory
from support.helpers import call, run

from async_legacy.body import load_body
from async_legacy.compat import NATIVE_ASYNC

BIG = b"x" * (3 * 1024 * 1024)  # over FILE_UPLOAD_MAX_MEMORY_SIZE: spooled to disk
BOUNDARY = "BOUNDARY"
MULTIPART = (
    (
        '--%s\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue\r\n'
        '--%s\r\nContent-Disposition: form-data; name="doc"; filename="a.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n" % (BOUNDARY, BOUNDARY)
    ).encode()
    + BIG
    + ("\r\n--%s--\r\n" % BOUNDARY).encode()
)

legacy_only = pytest.mark.skipif(NATIVE_ASYNC, reason="Django >= 3.1 serves requests with its own handler")


@pytest.fixture
def parsed_in():
    """Idents of the threads MultiPartParser.parse ran in."""
    threads = []
    original = multipartparser.MultiPartParser.parse

    def spy(self):
        threads.append(threading.get_ident())
        return original(self)

    multipartparser.MultiPartParser.parse = spy
    yield threads
    multipartparser.MultiPartParser.parse = original


def upload(app, loop, query):
    return run(
        loop,
        call(
            app,
            "/upload/",
            method="POST",
            query=query,
            body=MULTIPART,
            content_type="multipart/form-data; boundary=" + BOUNDARY,
        ),
    )


def test_load_body_parses_once_and_off_the_calling_thread(parsed_in):
    request = RequestFactory().post("/upload/", {"field": "value", "doc": _file()})
    async_to_sync(load_body)(request)
    async_to_sync(load_body)(request)  # already parsed: nothing to do
    assert request.POST["field"] == "value" and request.FILES["doc"].read() == b"content"
    assert len(parsed_in) == 1


def _file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("a.txt", b"content")


@legacy_only
def test_awaited_load_body_parses_off_the_loop(app, loop, parsed_in):
    got = upload(app, loop, {"load": "1"})
    assert got.body == b"fields=1 files=doc sizes=%d" % len(BIG)
    assert parsed_in and threading.get_ident() not in parsed_in


@legacy_only
def test_a_coroutine_view_sets_upload_handlers_before_the_body_is_parsed(app, loop):
    # Django's documented pattern for upload progress (csrf_exempt view).
    got = upload(app, loop, {"handler": "1", "load": "1"})
    assert got.body == b"handler saw %d bytes" % len(BIG)


@legacy_only
def test_a_body_the_view_never_reads_is_never_parsed(app, loop, parsed_in):
    got = upload(app, loop, {"read": "0"})
    assert got.body == b"unread" and parsed_in == []


@legacy_only
def test_read_without_load_body_parses_where_django_would(app, loop, parsed_in):
    # Django's semantics: the first access parses, here on the loop.
    got = upload(app, loop, {})
    assert got.body == b"fields=1 files=doc sizes=%d" % len(BIG)
    assert parsed_in == [threading.get_ident()]
