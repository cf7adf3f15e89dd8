"""async_legacy/conf.py: every setting defined, checked and documented once."""

import pytest
from django.core import checks as django_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from async_legacy import conf

REFUSED = [
    ("ASYNC_LEGACY_THREADS", 0),
    ("ASYNC_LEGACY_THREADS", "100"),
    ("ASYNC_LEGACY_THREAD_AFFINITY", "yes"),
    ("ASYNC_LEGACY_THREAD_IDLE", 61),
    ("ASYNC_LEGACY_INLINE_MIDDLEWARE", "myapp.middleware.Timing"),  # a string, not a list of them
    ("ASYNC_LEGACY_PIPELINE", 1),
    ("ASYNC_LEGACY_BLOCKING_THRESHOLD", 0),
]


@pytest.mark.parametrize("name, value", REFUSED)
def test_a_refused_django_setting_names_itself_the_value_and_the_fix(name, value):
    with override_settings(**{name: value}):
        with pytest.raises(conf.InvalidSetting) as info:
            conf.get(name)
        # One error type, both of the kinds callers expect.
        assert isinstance(info.value, ImproperlyConfigured) and isinstance(info.value, ValueError)
        message = str(info.value)
        assert message.startswith(name + " must be ") and message.endswith("got %r." % (value,))
        # The system check reports it (an Error naming the setting) instead of crashing.
        errors = [m for m in django_checks.run_checks() if m.id == "async_legacy.E009"]
        assert [e.obj for e in errors] == [name], errors
        assert conf.BY_NAME[name].expected in errors[0].hint


def test_defaults_and_accepted_values():
    with override_settings(DEBUG=True):
        assert conf.get("ASYNC_LEGACY_BLOCKING_THRESHOLD") == 0.1
    with override_settings(DEBUG=False):
        assert conf.get("ASYNC_LEGACY_BLOCKING_THRESHOLD") is None
    with override_settings(ASYNC_LEGACY_INLINE_MIDDLEWARE=["a.B", "c.D"]):
        assert conf.get("ASYNC_LEGACY_INLINE_MIDDLEWARE") == ("a.B", "c.D")
    assert conf.get("ASYNC_LEGACY_THREADS") == 8  # the test project sets it
    assert conf.DEFAULTS["ASYNC_LEGACY_THREADS"] == 1000
    assert not [m for m in django_checks.run_checks() if m.id == "async_legacy.E009"]


@pytest.mark.parametrize(
    "name, raw, expected",
    [
        ("GAIOHTTP_GC_FREEZE", "off", False),
        ("GAIOHTTP_GC_FREEZE", " Yes ", True),
        ("GAIOHTTP_MAX_BODY_SIZE", "0", 0),
        ("GAIOHTTP_HEAD_TIMEOUT", "2.5", 2.5),
        ("GAIOHTTP_LIFESPAN", "ON", "on"),
    ],
)
def test_environment_settings(name, raw, expected):
    assert conf.env(name, {name: raw}) == expected
    assert conf.env(name, {}) == conf.BY_NAME[name].default


@pytest.mark.parametrize(
    "name, raw",
    [
        ("GAIOHTTP_GC_FREEZE", "maybe"),
        ("GAIOHTTP_MAX_BODY_SIZE", "10MB"),
        ("GAIOHTTP_WS_PING_TIMEOUT", "-1"),
        ("GAIOHTTP_LIFESPAN", "sometimes"),
    ],
)
def test_refused_environment_settings(name, raw):
    with pytest.raises(conf.InvalidSetting, match="^%s must be .*; got %r.$" % (name, raw)):
        conf.env(name, {name: raw})


def test_every_setting_is_documented_and_named_by_its_family():
    for setting in conf.SETTINGS:
        assert setting.meaning and setting.expected and setting.default_doc
        prefix = "ASYNC_LEGACY_" if setting.source == conf.DJANGO else "GAIOHTTP_"
        assert setting.name.startswith(prefix), setting.name
