"""async_legacy.rest_framework.negotiation: DRF's choices, remembered."""

import pytest

pytest.importorskip("rest_framework")

from django.http import Http404  # noqa: E402
from rest_framework import exceptions, renderers  # noqa: E402
from rest_framework import negotiation as drf_negotiation  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402

from async_legacy.rest_framework import negotiation, views  # noqa: E402

ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "application/json; indent=4",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "text/html",
    "application/xml",  # nothing renders it: 406
    "application/*;q=0.5, text/*",
]
RENDERER_SETS = [
    [renderers.JSONRenderer, renderers.BrowsableAPIRenderer],
    [renderers.BrowsableAPIRenderer, renderers.JSONRenderer],
    [renderers.JSONRenderer],
]


def choose(negotiator, accept, query, renderer_classes, suffix=None):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get("/" + query, **headers))
    instances = [cls() for cls in renderer_classes]
    try:
        renderer, media_type = negotiator.select_renderer(request, instances, suffix)
    except (exceptions.NotAcceptable, Http404) as exc:
        return type(exc).__name__
    return instances.index(renderer), media_type


@pytest.fixture(autouse=True)
def forget():
    negotiation.DefaultContentNegotiation._choices.clear()
    yield
    negotiation.DefaultContentNegotiation._choices.clear()


def test_the_same_choice_as_drf_first_time_and_remembered():
    drf, ours = drf_negotiation.DefaultContentNegotiation(), negotiation.DefaultContentNegotiation()
    cases = [
        (accept, query, renderer_set, suffix)
        for accept in ACCEPTS
        for query in ("", "?format=json", "?format=api", "?format=csv")
        for renderer_set in RENDERER_SETS
        for suffix in (None, "json")
    ]
    for _ in range(2):  # first: decided by DRF and remembered; then: from memory
        for accept, query, renderer_set, suffix in cases:
            expected = choose(drf, accept, query, renderer_set, suffix)
            assert choose(ours, accept, query, renderer_set, suffix) == expected, (accept, query, renderer_set, suffix)
    remembered = negotiation.DefaultContentNegotiation._choices
    assert 0 < len(remembered) < len(cases)  # refusals (406, 404) are not remembered


def test_memory_stays_bounded_and_long_headers_are_not_kept(monkeypatch):
    monkeypatch.setattr(negotiation, "MAX_CHOICES", 8)
    ours = negotiation.DefaultContentNegotiation()
    for n in range(20):
        assert choose(ours, "application/json; n=%d" % n, "", RENDERER_SETS[0]) == (0, "application/json; n=%d" % n)
    assert len(negotiation.DefaultContentNegotiation._choices) <= 8
    negotiation.DefaultContentNegotiation._choices.clear()
    long_accept = ", ".join(["application/json"] + ["text/x-a-long-media-type-%02d" % n for n in range(40)])
    assert len(long_accept) > negotiation.MAX_ACCEPT
    assert choose(ours, long_accept, "", RENDERER_SETS[0])[0] == 0
    assert not negotiation.DefaultContentNegotiation._choices


def test_views_use_it_only_in_place_of_drfs_own_class():
    class Own(drf_negotiation.DefaultContentNegotiation):
        pass

    plain = views.APIView()
    assert type(plain.get_content_negotiator()) is negotiation.DefaultContentNegotiation
    assert plain.get_content_negotiator() is plain.get_content_negotiator()
    custom = type("Custom", (views.APIView,), {"content_negotiation_class": Own})()
    assert type(custom.get_content_negotiator()) is Own
