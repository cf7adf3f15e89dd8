"""``APIView`` whose ``async def`` handlers are awaited, on every Django.

DRF's ``APIView`` calls handlers synchronously: an ``async def get`` returns a
coroutine and ``finalize_response`` refuses it. This subclass keeps DRF's
dispatch for sync views and, when a handler is a coroutine function, returns an
``async def`` view that runs DRF's own steps in DRF's order:

* ``initial()`` (content negotiation, versioning, authentication - with
  ``SessionAuthentication``'s CSRF check -, permissions, throttles) runs off the
  loop in one trip to the request's lane when none of those classes is async
  (on the loop when DRF's own classes do no I/O for the request: an anonymous
  request to a public endpoint, see ``policies.py``);
  ``async def authenticate/has_permission/allow_request`` are awaited on the
  loop and only the sync ones go to the lane.
* the handler is awaited (sync handlers such as DRF's ``options`` run on the
  lane), exceptions go to DRF's exception handling (custom handlers sync or
  ``async def``), and ``finalize_response`` adds DRF's headers.

The view function is marked ``csrf_exempt`` exactly as DRF's is: CSRF stays
enforced by ``SessionAuthentication`` inside ``initial()``, which every request
runs before its handler.
"""

import functools
import inspect
from typing import Any, Callable, List, Optional, cast

from django.http import HttpRequest
from rest_framework import exceptions, permissions
from rest_framework import negotiation as drf_negotiation
from rest_framework import views as drf_views
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import (  # noqa: F401 - DRF's names, re-exported
    exception_handler,
    get_view_description,
    get_view_name,
)

from ..compat import iscoroutinefunction
from ..lane import _handling, run_sync
from . import response as _response  # noqa: F401 - DRF's Response renders on the loop when it can
from .negotiation import REMEMBERING
from .policies import initial_is_io_free

__all__ = ["APIView", "AsyncAPIView", "exception_handler", "get_view_description", "get_view_name"]

# DRF 3.12 added ``code`` to permission_denied().
_DENIED_TAKES_CODE = "code" in inspect.signature(drf_views.APIView.permission_denied).parameters


class classproperty:
    def __init__(self, getter: Callable[[Any], Any]) -> None:
        self.getter = getter

    def __get__(self, instance: Any, owner: Any) -> Any:
        return self.getter(owner)


def is_async_method(obj: Any, name: str) -> bool:
    """True when ``obj.name`` is an ``async def`` (DRF's boolean operators look inside)."""
    if isinstance(obj, (permissions.AND, permissions.OR)):
        return is_async_method(obj.op1, name) or is_async_method(obj.op2, name)
    if isinstance(obj, permissions.NOT):
        return is_async_method(obj.op1, name)
    return iscoroutinefunction(getattr(obj, name, None))


async def call_policy(obj: Any, name: str, *args: Any) -> Any:
    """``obj.name(*args)``: awaited if async, on the lane if sync.

    DRF's ``&``, ``|`` and ``~`` on permissions are evaluated here operand by
    operand when one of them is async (DRF's own would get a coroutine, which
    is always true).
    """
    if isinstance(obj, (permissions.AND, permissions.OR, permissions.NOT)) and is_async_method(obj, name):
        first = await call_policy(obj.op1, name, *args)
        if isinstance(obj, permissions.NOT):
            return not first
        if isinstance(obj, permissions.AND):
            return first and await call_policy(obj.op2, name, *args)
        return first or await call_policy(obj.op2, name, *args)
    method = getattr(obj, name)
    if iscoroutinefunction(method):
        return await method(*args)
    return await run_sync(method, *args)


def async_view(sync_view: Callable[..., Any]) -> Callable[..., Any]:
    """An ``async def`` view around DRF's view function (which then returns a coroutine).

    DRF wraps its views with Django's ``csrf_exempt``, whose wrapper is a plain
    function before Django 5.0: the legacy pipeline and Django 3.1-4.2 would
    get a coroutine back from a "sync" view. The attributes DRF set
    (``cls``, ``initkwargs``, ``actions``, ``csrf_exempt``) are kept.
    """

    async def view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = sync_view(request, *args, **kwargs)
        if inspect.isawaitable(response):
            response = await response
        return response  # a subclass's own sync dispatch() may answer directly

    functools.update_wrapper(view, sync_view)
    del view.__wrapped__  # introspection (Django >= 4.1) must see the coroutine function
    view.csrf_exempt = True  # SessionAuthentication enforces CSRF itself, as in DRF
    return view


class APIView(drf_views.APIView):
    """DRF's APIView; ``async def`` handlers are awaited (see the module docstring)."""

    @classproperty
    def view_is_async(cls) -> bool:
        # DRF's ``options`` stays sync and runs on the lane; Django >= 4.1
        # reads this too (and would refuse a mix of sync and async handlers).
        return any(
            iscoroutinefunction(getattr(cls, method, None)) for method in cls.http_method_names if method != "options"
        )

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        view = super().as_view(**initkwargs)
        return async_view(view) if cls.view_is_async else view

    def get_content_negotiator(self) -> Any:
        # DRF's own class: the subclass that remembers its choices (negotiation.py).
        if self.content_negotiation_class is drf_negotiation.DefaultContentNegotiation:
            return REMEMBERING
        return super().get_content_negotiator()

    def dispatches_async(self) -> bool:
        return cast(bool, type(self).view_is_async)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if self.dispatches_async():
            return self.adispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    async def adispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """DRF's ``dispatch``, with the handler awaited and blocking steps off the loop."""
        self.args = args
        self.kwargs = kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers

        try:
            await self.ainitial(request, *args, **kwargs)
            if request.method.lower() in self.http_method_names:
                handler: Any = getattr(self, request.method.lower(), self.http_method_not_allowed)
            else:
                handler = self.http_method_not_allowed
            if iscoroutinefunction(handler):
                response = await handler(request, *args, **kwargs)
            else:
                response = await run_sync(handler, request, *args, **kwargs)
        except Exception as exc:
            response = await self.ahandle_exception(exc)

        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    # -- initial() -------------------------------------------------------

    def has_async_policies(self, request: Request) -> bool:
        return (
            any(is_async_method(a, "authenticate") for a in request.authenticators)
            or any(is_async_method(p, "has_permission") for p in self.get_permissions())
            or any(is_async_method(t, "allow_request") for t in self.get_throttles())
        )

    async def ainitial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """``initial()``: one lane trip, unless some policy class is async or
        nothing in it does I/O for this request (then on the loop: policies.py)."""
        if not self.has_async_policies(request):
            if initial_is_io_free(self, request):
                return self.initial(request, *args, **kwargs)
            return await run_sync(self.initial, request, *args, **kwargs)
        await run_sync(self._negotiate, request, *args, **kwargs)
        await self.aperform_authentication(request)
        await self.acheck_permissions(request)
        await self.acheck_throttles(request)

    def _negotiate(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # The part of DRF's initial() before authentication.
        self.format_kwarg = self.get_format_suffix(**kwargs)
        neg = self.perform_content_negotiation(request)
        request.accepted_renderer, request.accepted_media_type = neg
        version, scheme = self.determine_version(request, *args, **kwargs)
        request.version, request.versioning_scheme = version, scheme

    async def aperform_authentication(self, request: Request) -> None:
        """DRF's ``Request._authenticate`` with async authenticators awaited."""
        for authenticator in request.authenticators:
            try:
                user_auth_tuple = await call_policy(authenticator, "authenticate", request)
            except exceptions.APIException:
                request._not_authenticated()
                raise
            if user_auth_tuple is not None:
                request._authenticator = authenticator
                request.user, request.auth = user_auth_tuple
                return
        request._not_authenticated()

    def _deny(self, request: Request, permission: Any) -> None:
        kwargs = {"message": getattr(permission, "message", None)}
        if _DENIED_TAKES_CODE:
            kwargs["code"] = getattr(permission, "code", None)
        self.permission_denied(request, **kwargs)

    async def acheck_permissions(self, request: Request) -> None:
        for permission in self.get_permissions():
            if not await call_policy(permission, "has_permission", request, self):
                self._deny(request, permission)

    async def acheck_object_permissions(self, request: Request, obj: Any) -> None:
        """``check_object_permissions``: one lane trip unless a permission is async."""
        perms = self.get_permissions()
        if not any(is_async_method(p, "has_object_permission") for p in perms):
            return await run_sync(self.check_object_permissions, request, obj)
        for permission in perms:
            if not await call_policy(permission, "has_object_permission", request, self, obj):
                self._deny(request, permission)

    async def acheck_throttles(self, request: Request) -> None:
        durations: List[Optional[float]] = []
        for throttle in self.get_throttles():
            if not await call_policy(throttle, "allow_request", request, self):
                durations.append(throttle.wait())
        if durations:
            # As DRF: None means the rate changed since (DRF #1438).
            durations = [d for d in durations if d is not None]
            self.throttled(request, max(durations, default=None))  # type: ignore[type-var,arg-type]

    # -- exceptions ------------------------------------------------------

    async def ahandle_exception(self, exc: Exception) -> Response:
        """DRF's ``handle_exception``; the exception handler may be ``async def``."""
        handler = self.get_exception_handler()
        if handler is drf_views.exception_handler:
            # DRF's default handler does no I/O: no trip to the lane.
            return self.handle_exception(exc)
        if not iscoroutinefunction(handler):
            return await run_sync(_handling, exc, self.handle_exception, exc)
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            auth_header = self.get_authenticate_header(self.request)
            if auth_header:
                exc.auth_header = auth_header
            else:
                exc.status_code = 403
        response: Optional[Response] = await handler(exc, self.get_exception_handler_context())
        if response is None:
            self.raise_uncaught_exception(exc)
        response.exception = True
        return response


#: The name the common blog recipe uses.
AsyncAPIView = APIView
