"""Django 3.1's async test tools on Django 1.11-3.0; Django's own on 3.1+.

* ``AsyncRequestFactory``: builds requests to pass to (async) views directly.
* ``AsyncClient``: ``response = await client.get("/")`` through the whole
  legacy pipeline (middleware, coroutine views). Cookies persist, templates
  and context are captured, exceptions are re-raised
  (``raise_request_exception``), CSRF checks are off unless
  ``enforce_csrf_checks=True``; ``login()``, ``force_login()`` and
  ``logout()`` work as on Django's Client.
* ``SimpleTestCase``, ``TransactionTestCase``, ``TestCase``: Django's, plus
  ``async def`` test methods (run with ``async_to_sync``) and
  ``self.async_client``, as Django 3.1 added them.

Blocking work of a request made by the client runs in the test's thread
(asgiref's thread-sensitive mode), so views see the TestCase's data.
"""

from typing import TYPE_CHECKING, Any

from .compat import NATIVE_ASYNC, superseded

__all__ = ["AsyncRequestFactory", "AsyncClient", "SimpleTestCase", "TransactionTestCase", "TestCase"]

if TYPE_CHECKING:
    # Type checkers see Django 3.1+'s classes, whose API ours mirror on older
    # releases (the legacy branch below is checked by the tests, not by mypy).
    from django.test import AsyncClient as AsyncClient
    from django.test import AsyncRequestFactory as AsyncRequestFactory
    from django.test import SimpleTestCase as SimpleTestCase
    from django.test import TestCase as TestCase
    from django.test import TransactionTestCase as TransactionTestCase
elif NATIVE_ASYNC:

    def __getattr__(name: str) -> Any:
        if name not in __all__:
            raise AttributeError("module 'async_legacy.test' has no attribute %r" % name)
        import django.test

        superseded(name, "django.test.%s" % name, (3, 1))
        return getattr(django.test, name)

else:
    import inspect
    from functools import partial, wraps

    from asgiref.sync import async_to_sync
    from django import test as django_test
    from django.core.handlers.base import BaseHandler
    from django.core.signals import got_request_exception, request_finished, request_started
    from django.db import close_old_connections
    from django.test import signals
    from django.test.client import (
        Client,
        RequestFactory,
        closing_iterator_wrapper,
        conditional_content_removal,
        store_rendered_templates,
    )
    from django.urls import resolve
    from django.utils.functional import SimpleLazyObject

    from .compat import install_test_shims, iscoroutinefunction
    from .coroutine_wsgi import ENVIRON_KEY, VERSION
    from .handler import AsyncDjangoApplication
    from .lane import ThreadSensitiveLane, current_lane

    class AsyncRequestFactory(RequestFactory):
        """RequestFactory whose requests carry the coroutine-WSGI marker."""

        def _base_environ(self, **request):
            environ = super()._base_environ(**request)
            environ[ENVIRON_KEY] = VERSION
            return environ

        def generic(self, method, path, data="", content_type="application/octet-stream", secure=False, **extra):
            # Django's AsyncRequestFactory takes headers by name (ACCEPT="...",
            # **{"If-None-Match": ...}), not as WSGI environ keys: the same test
            # code must keep working once Django's client takes over.
            environ = {}
            for key, value in extra.items():
                name = key.upper().replace("-", "_")
                if key == "follow":
                    environ[key] = value  # refused in request(), as Django 3.1 does
                elif name in ("QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH"):
                    environ[name] = value
                else:
                    environ["HTTP_" + name] = value
            return super().generic(method, path, data, content_type, secure=secure, **environ)

    def _send_request_started(sender, environ):
        # As Django's ClientHandler: the test's connection must survive. Sent
        # on the lane, so reset_queries clears the connection views query on.
        request_started.disconnect(close_old_connections)
        try:
            request_started.send(sender=sender, environ=environ)
        finally:
            request_started.connect(close_old_connections)

    def _close_response(response):
        request_finished.disconnect(close_old_connections)
        try:
            response.close()
        finally:
            request_finished.connect(close_old_connections)

    class AsyncClientHandler(AsyncDjangoApplication):
        """The legacy pipeline as the test client drives it (no server)."""

        lane_class = ThreadSensitiveLane

        def __init__(self, enforce_csrf_checks=True):
            # As Django's ClientHandler: middleware loads at the first request,
            # so settings overridden by a test method or setUp apply.
            self.enforce_csrf_checks = enforce_csrf_checks
            BaseHandler.__init__(self)

        async def handle(self, environ):
            if self._middleware_chain is None:
                self.load_middleware()
            lane = self.lane_class()
            # A request made from inside a view must give the outer one its lane back.
            token = current_lane.set(lane)
            try:
                await lane.run(_send_request_started, self.__class__, environ)
                request = self.request_class(environ)
                request._dont_enforce_csrf_checks = not self.enforce_csrf_checks
                response = await self.get_response_async(request)
            finally:
                current_lane.reset(token)
            conditional_content_removal(request, response)
            response.wsgi_request = request
            if response.streaming and not getattr(response, "is_async", False):
                response.streaming_content = closing_iterator_wrapper(response.streaming_content, response.close)
            elif response.streaming:
                response.streaming_content = _aclosing_iterator_wrapper(
                    response.streaming_content, partial(lane.close, _close_response, response)
                )
            else:
                await lane.close(_close_response, response)
            return response

    async def _aclosing_iterator_wrapper(iterable, close):
        """Async streaming content that closes the response once consumed (Django 4.2's client does too)."""
        try:
            async for chunk in iterable:
                yield chunk
        finally:
            await close()

    class AsyncClient(Client, AsyncRequestFactory):
        """``await client.get(...)`` and friends; Django 3.1's AsyncClient API."""

        def __init__(self, enforce_csrf_checks=False, raise_request_exception=True, **defaults):
            AsyncRequestFactory.__init__(self, **defaults)
            self.handler = AsyncClientHandler(enforce_csrf_checks)
            self.raise_request_exception = raise_request_exception
            self.exc_info = None

        # The request methods of the factory (Client's add ``follow``, which
        # AsyncClient does not take before Django 4.2).
        get = RequestFactory.get
        post = RequestFactory.post
        head = RequestFactory.head
        options = RequestFactory.options
        put = RequestFactory.put
        patch = RequestFactory.patch
        delete = RequestFactory.delete
        trace = RequestFactory.trace

        async def request(self, **request):
            if "follow" in request:
                raise NotImplementedError(
                    "AsyncClient request methods do not accept the follow parameter "
                    "(as in Django 3.1); follow response['Location'] yourself."
                )
            environ = self._base_environ(**request)
            data = {}
            template_uid = "template-render-%s" % id(request)
            on_template_render = partial(store_rendered_templates, data)  # kept alive: weak receiver
            signals.template_rendered.connect(on_template_render, dispatch_uid=template_uid)
            exception_uid = "request-exception-%s" % id(request)
            got_request_exception.connect(self.store_exc_info, dispatch_uid=exception_uid)
            try:
                response = await self.handler.handle(environ)
            finally:
                signals.template_rendered.disconnect(dispatch_uid=template_uid)
                got_request_exception.disconnect(dispatch_uid=exception_uid)
            if self.exc_info:
                _, exc_value, _ = self.exc_info
                self.exc_info = None
                if self.raise_request_exception:
                    raise exc_value
            response.client = self
            response.request = request
            response.templates = data.get("templates", [])
            response.context = data.get("context")
            response.json = partial(self._parse_json, response)
            response.resolver_match = SimpleLazyObject(lambda: resolve(request["PATH_INFO"]))
            if response.context and len(response.context) == 1:
                response.context = response.context[0]
            if response.cookies:
                self.cookies.update(response.cookies)
            return response

    install_test_shims()

    def _awaiting(test, method):
        """``method`` as a sync test method: awaited if async, refused if it
        returns a coroutine it did not await (its body would never run)."""
        if iscoroutinefunction(method):
            return async_to_sync(method)

        @wraps(method)
        def checked(*args, **kwargs):
            result = method(*args, **kwargs)
            if inspect.isawaitable(result):
                getattr(result, "close", lambda: None)()
                raise TypeError(
                    "%s returned %r without awaiting it, so its body did not run: a "
                    "decorator wraps the async def test in a plain function. Use a "
                    "decorator that keeps it a coroutine function (Django's test "
                    "decorators do once async_legacy.test is imported first), or "
                    "make the test sync." % (test.id(), result)
                )
            return result

        return checked

    class _AsyncTests:
        """``async def`` test methods and ``self.async_client`` (Django 3.1's additions)."""

        async_client_class = AsyncClient

        def __call__(self, result=None):
            method = getattr(self, self._testMethodName)
            setattr(self, self._testMethodName, _awaiting(self, method))
            return super().__call__(result)

        def _pre_setup(self):
            super()._pre_setup()
            self.async_client = self.async_client_class()

    class SimpleTestCase(_AsyncTests, django_test.SimpleTestCase):
        pass

    class TransactionTestCase(_AsyncTests, django_test.TransactionTestCase):
        pass

    class TestCase(_AsyncTests, django_test.TestCase):
        pass
