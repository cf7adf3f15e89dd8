"""ASYNC_LEGACY_ADMIT_WHILE_BUSY: CPU-bound requests let in a few at a time,
and never held behind requests waiting on a timer or on I/O."""

import asyncio
import json
import time

import pytest
from django.test import override_settings
from support.helpers import call, run
from testproject import lane_views

from async_legacy.lane import admission

#: The legacy pipeline's own code: deselected on Django >= 3.1, where Django's handler serves (tests/conftest.py).
pytestmark = pytest.mark.legacy_only


def _app(slots, threads=8):
    from async_legacy import AsyncDjangoApplication

    with override_settings(ASYNC_LEGACY_ADMIT_WHILE_BUSY=slots, ASYNC_LEGACY_THREADS=threads):
        return AsyncDjangoApplication()


@pytest.fixture
def never_heavy(monkeypatch):
    """No request in these scenarios is in flight long enough to stop counting
    (on a loaded machine a spin of tens of ms of CPU can take 0.1 s of wall time)."""
    monkeypatch.setattr(admission, "HEAVY", 60.0)


@pytest.fixture
def holding(monkeypatch):
    """The admission holds requests from the first, not only once the requests
    measured have used HEAVY_CPU of their thread on average."""
    monkeypatch.setattr(admission, "HEAVY_CPU", 0.0)


def _no_request_left(app):
    admission = app.lanes.admission
    return admission is None or not (admission._counted or admission._waiting)


@pytest.mark.parametrize("slots", [2, 0])
def test_cpu_bound_requests_run_a_few_at_a_time(loop, slots, never_heavy, holding):
    """Two requests keep the CPU busy; ten more come: with the limit at 2 at
    most two are ever inside the view, with 0 (off) up to the pool's eight are."""
    app = _app(slots)
    lane_views.SPINNING.update(now=0, peak=0)

    async def scenario():
        await call(app, "/lane/spin/", query={"ms": 1})  # the first request's one-off costs
        first = [asyncio.ensure_future(call(app, "/lane/spin/", query={"ms": 60})) for _ in range(2)]
        await asyncio.sleep(0.03)  # the threads' CPU share is measured over 10 ms windows
        more = [call(app, "/lane/spin/", query={"ms": 30}) for _ in range(10)]
        return await asyncio.gather(*first, *more)

    results = run(loop, scenario())
    assert [r.status_code for r in results] == [200] * 12
    if slots:
        assert lane_views.SPINNING["peak"] <= 2
    else:
        assert lane_views.SPINNING["peak"] >= 4  # the scenario does overlap them without the limit
    assert _no_request_left(app)


def test_requests_waiting_on_a_timer_or_blocked_on_io_do_not_hold_new_ones(loop, never_heavy, holding):
    """Twenty requests await a timer and five sit in time.sleep() on their
    threads while one request keeps the CPU busy: the next CPU-bound request
    is let in at once, not after the twenty-five (0.6 s)."""
    app = _app(2, threads=64)
    lane_views.SPINNING.update(now=0, peak=0)

    async def scenario():
        await call(app, "/lane/spin/", query={"ms": 1})  # the first request's one-off costs
        waiting = [asyncio.ensure_future(call(app, "/lane/nap/", query={"ms": 600})) for _ in range(20)]
        waiting += [asyncio.ensure_future(call(app, "/lane/blocked/", query={"ms": 600})) for _ in range(5)]
        busy = asyncio.ensure_future(call(app, "/lane/spin/", query={"ms": 400}))
        await asyncio.sleep(0.1)  # the busy one holds the CPU; the blocked threads stood still 20 ms
        sent = time.monotonic()
        next_one = await call(app, "/lane/spin/", query={"ms": 10})
        done = await asyncio.gather(busy, *waiting)
        return sent, next_one, done

    sent, next_one, done = run(loop, scenario())
    assert next_one.status_code == 200 and [r.status_code for r in done] == [200] * 26
    waited = json.loads(next_one.body)["entered"] - sent
    assert waited < 0.25, "the request waited %.2f s to be let in" % waited
    assert _no_request_left(app)


def test_a_request_cancelled_while_it_waits_to_be_let_in_leaves_nothing_behind(loop, never_heavy, holding):
    app = _app(1)

    async def scenario():
        busy = asyncio.ensure_future(call(app, "/lane/spin/", query={"ms": 200}))
        await asyncio.sleep(0.05)
        held = asyncio.ensure_future(call(app, "/lane/spin/", query={"ms": 10}))
        await asyncio.sleep(0.02)
        waiting = len(app.lanes.admission._waiting)
        held.cancel()
        await asyncio.gather(held, return_exceptions=True)
        await busy
        after = await call(app, "/lane/spin/", query={"ms": 10})
        return waiting, held, after

    waiting, held, after = run(loop, scenario())
    assert waiting == 1, "the second request was held while the first kept the CPU busy"
    assert held.cancelled() and after.status_code == 200
    assert _no_request_left(app)


def test_a_request_computing_for_long_holds_a_light_one_for_at_most_heavy_seconds(loop, holding):
    app = _app(1)

    async def scenario():
        await call(app, "/lane/spin/", query={"ms": 1})  # the first request's one-off costs
        busy = asyncio.ensure_future(call(app, "/lane/spin/", query={"ms": 600}))
        await asyncio.sleep(0.02)
        sent = time.monotonic()
        light = await call(app, "/lane/spin/", query={"ms": 1})
        return sent, light, await busy

    sent, light, busy = run(loop, scenario())
    assert light.status_code == busy.status_code == 200
    waited = json.loads(light.body)["entered"] - sent
    assert waited < admission.HEAVY + 0.25, "the light request waited %.2f s" % waited
    assert _no_request_left(app)


def test_requests_are_held_only_while_the_recent_ones_are_heavy(loop, never_heavy):
    """Light requests (a view awaiting a timer, a sync view of 0.1 ms), and one
    of 40 ms among them, keep the admission open: ten CPU-bound requests sent
    then all run at once. After a run of requests using 20 ms of their thread
    it holds them, two at a time; after a run of light ones it is open again."""
    app = _app(2)
    gate = app.lanes.admission

    async def burst():
        lane_views.SPINNING.update(now=0, peak=0)
        await asyncio.gather(*[call(app, "/lane/spin/", query={"ms": 30}) for _ in range(10)])
        return lane_views.SPINNING["peak"]

    async def one_by_one(path, ms, count):
        for _ in range(count):
            assert (await call(app, path, query={"ms": ms})).status_code == 200

    async def scenario():
        seen = []
        await one_by_one("/lane/nap/", 1, 16)
        await one_by_one("/lane/spin/", 0, 16)
        gate._sampled = admission.SAMPLE - 1  # the next request is measured: one of 40 ms among light ones
        await one_by_one("/lane/spin/", 40, 1)
        seen.append((gate.gating, await burst()))
        await one_by_one("/lane/spin/", 20, 32)
        seen.append((gate.gating, await burst()))
        await one_by_one("/lane/nap/", 1, 96)
        seen.append((gate.gating, await burst()))
        return seen

    (light, light_peak), (heavy, heavy_peak), (light_again, light_again_peak) = run(loop, scenario())
    assert not light and light_peak >= 4, "light requests: held %s, %d at once" % (light, light_peak)
    assert heavy and heavy_peak <= 2, "heavy requests: held %s, %d at once" % (heavy, heavy_peak)
    assert not light_again and light_again_peak >= 4
    assert _no_request_left(app)


@pytest.mark.parametrize("value", [-1, "2", True, 1.5])
def test_admit_while_busy_setting_is_checked(value):
    from async_legacy import AsyncDjangoApplication

    with override_settings(ASYNC_LEGACY_ADMIT_WHILE_BUSY=value):
        with pytest.raises(ValueError) as info:
            AsyncDjangoApplication()
    assert "ASYNC_LEGACY_ADMIT_WHILE_BUSY must be a whole number" in str(info.value)
