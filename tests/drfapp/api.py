"""The same API built twice: on DRF's own classes ("sync") and on ours ("async").

The tests send the same requests to /api/sync/... and /api/async/... and
compare the answers. Hand-written handlers and policies are written once; the
async build awaits them where DRF calls them.
"""

import asyncio
import threading

from django.contrib.auth.models import User
from rest_framework import exceptions, permissions, status
from rest_framework.authentication import BasicAuthentication, SessionAuthentication, TokenAuthentication
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import exception_handler

from async_legacy.lane import run_sync

from .models import Book

try:
    from django.urls import re_path
except ImportError:  # Django 1.11
    from django.conf.urls import url as re_path

#: Threads on which the async build's coroutine policies ran (the loop's).
POLICY_THREADS = []
#: Threads on which RecordingJSON encoded a response, and post-render callbacks ran.
ENCODE_THREADS = []


class RecordingEncoder(JSONRenderer.encoder_class):
    def encode(self, obj):
        ENCODE_THREADS.append(threading.current_thread())
        return super().encode(obj)


class RecordingJSON(JSONRenderer):
    """DRF's JSONRenderer (render() not overridden), telling which thread encoded."""

    encoder_class = RecordingEncoder


def rendered_data(kind):
    """What the Rendered view answers: plain data, or values the encoder evaluates."""
    import datetime
    import decimal
    import uuid

    from django.utils.translation import gettext_lazy

    if kind == "queryset":
        return {"titles": Book.objects.order_by("title").values_list("title", flat=True)}
    if kind == "lazy":
        return {"detail": gettext_lazy("Not found.")}
    if kind == "generator":
        return {"squares": (i * i for i in range(4))}
    return {
        "when": datetime.datetime(2020, 1, 2, 3, 4, 5, 678000),
        "day": datetime.date(2020, 1, 2),
        "at": datetime.time(3, 4, 5),
        "took": datetime.timedelta(seconds=90),
        "price": decimal.Decimal("1.50"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "blob": b"bytes",
        "mixed": [1, 2.5, None, True, "\u00e9", ("t", "u")],
        "nested": {"a": {"b": []}},
    }


def build(kind):
    if kind == "sync":
        from rest_framework import decorators, generics, routers, serializers, views, viewsets
    else:
        from async_legacy.rest_framework import decorators, generics, routers, serializers, views, viewsets

    is_async = kind == "async"

    def policy(func):
        """``func`` as DRF calls it (sync) or as an ``async def`` awaited on the loop."""
        if not is_async:
            return func

        async def method(*args):
            POLICY_THREADS.append(threading.current_thread())
            asyncio.get_event_loop()  # a coroutine: only ever runs on the loop
            return await run_sync(func, *args)

        return method

    AUTH = [TokenAuthentication, SessionAuthentication, BasicAuthentication]  # 401s say "Token"

    class BookSerializer(serializers.ModelSerializer):
        class Meta:
            model = Book
            fields = ["id", "title", "owner", "tags"]

    class Pages(PageNumberPagination):
        page_size = 2

    class IsOwnerOrReadOnly(permissions.BasePermission):
        message = "Only the owner may change a book."

        def has_object_permission(self, request, view, obj):
            return request.method in permissions.SAFE_METHODS or obj.owner_id == request.user.pk

    common = dict(
        queryset=Book.objects.order_by("id"),
        serializer_class=BookSerializer,
        authentication_classes=AUTH,
        permission_classes=[permissions.IsAuthenticatedOrReadOnly, IsOwnerOrReadOnly],
    )

    Books = type(
        "Books",
        (generics.ListCreateAPIView,),
        dict(
            common,
            pagination_class=Pages,
            filter_backends=[SearchFilter, OrderingFilter],
            search_fields=["title"],
            ordering_fields=["title", "id"],
        ),
    )
    BookDetail = type("BookDetail", (generics.RetrieveUpdateDestroyAPIView,), dict(common))

    class BookViewSet(viewsets.ModelViewSet):
        queryset = Book.objects.order_by("id")
        serializer_class = BookSerializer
        authentication_classes = AUTH
        permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrReadOnly]
        pagination_class = Pages

        def get_serializer_context(self):
            context = super().get_serializer_context()
            context["action"] = self.action  # DRF's action names on both builds
            return context

        if is_async:

            @decorators.action(detail=True, methods=["get"])
            async def tag_names(self, request, pk=None):
                book = await self.aget_object()
                names = await run_sync(lambda: sorted(t.name for t in book.tags.all()))
                return Response({"tags": names, "action": self.action})

            @decorators.action(detail=False)
            async def count(self, request):
                return Response({"count": await run_sync(self.get_queryset().count), "action": self.action})

        else:

            @decorators.action(detail=True, methods=["get"])
            def tag_names(self, request, pk=None):
                book = self.get_object()
                return Response({"tags": sorted(t.name for t in book.tags.all()), "action": self.action})

            @decorators.action(detail=False)
            def count(self, request):
                return Response({"count": self.get_queryset().count(), "action": self.action})

    class ReadOnlyBooks(viewsets.ReadOnlyModelViewSet):
        queryset = Book.objects.order_by("id")
        serializer_class = BookSerializer

    # -- APIView and @api_view --------------------------------------------

    def echo_body(self, request):
        if request.query_params.get("boom"):
            raise ValueError("echo exploded on purpose")
        if request.query_params.get("denied"):
            raise exceptions.PermissionDenied("not you")
        files = {name: f.read().decode() for name, f in request.FILES.items()}
        data = {k: v for k, v in request.data.items() if k not in files}
        return Response({"data": data, "files": files, "user": str(request.user)}, headers={"X-Echo": "1"})

    def echo_get(self, request):
        return Response({"method": "GET", "user": str(request.user), "version": request.version})

    def handler_of(func):
        if not is_async:
            return func

        async def handler(self, request, *args, **kwargs):
            await asyncio.sleep(0)
            return func(self, request, *args, **kwargs)

        return handler

    Echo = type(
        "Echo",
        (views.APIView,),
        {
            "authentication_classes": AUTH,
            "post": handler_of(echo_body),
            "put": handler_of(echo_body),
            "get": handler_of(echo_get),
        },
    )
    JsonOnly = type(
        "JsonOnly",
        (views.APIView,),
        {
            "renderer_classes": [JSONRenderer],
            "parser_classes": [JSONParser],
            "get": handler_of(echo_get),
            "post": handler_of(echo_body),
        },
    )

    def rendered(self, request):
        response = Response(rendered_data(request.query_params.get("kind")))
        if request.query_params.get("callback"):
            response.add_post_render_callback(lambda r: ENCODE_THREADS.append(threading.current_thread()))
        return response

    Rendered = type(
        "Rendered",
        (views.APIView,),
        {"renderer_classes": [RecordingJSON], "permission_classes": [], "get": handler_of(rendered)},
    )

    class OncePerMinute(AnonRateThrottle):
        scope = "anon-" + kind
        rate = "1/min"

        def get_cache_key(self, request, view):
            return "throttle-%s-%s" % (kind, request.META.get("HTTP_X_CLIENT", "x"))

    Throttled = type(
        "Throttled",
        (views.APIView,),
        {
            "throttle_classes": [OncePerMinute],
            "get": handler_of(echo_get),
        },
    )

    # Policy classes whose methods are async def in the async build.
    class HeaderAuthentication:
        def _authenticate(self, request):
            name = request.META.get("HTTP_X_USER")
            if not name:
                return None
            if name == "nobody":
                raise exceptions.AuthenticationFailed("no such user")
            return User.objects.get(username=name), None

        authenticate = policy(_authenticate)

        def authenticate_header(self, request):
            return 'Header realm="api"'

    class HeaderPermission(permissions.BasePermission):
        message = "X-Deny says no."

        def _has_permission(self, request, view):
            return "HTTP_X_DENY" not in request.META

        def _has_object_permission(self, request, view, obj):
            return obj.owner_id == getattr(request.user, "pk", None)

        has_permission = policy(_has_permission)
        has_object_permission = policy(_has_object_permission)

    class HeaderThrottle:
        def _allow_request(self, request, view):
            return "HTTP_X_THROTTLE" not in request.META

        allow_request = policy(_allow_request)

        def wait(self):
            return 42

    policies = dict(
        authentication_classes=[HeaderAuthentication],
        permission_classes=[permissions.IsAuthenticated, HeaderPermission],
        throttle_classes=[HeaderThrottle],
    )
    Policies = type("Policies", (views.APIView,), dict(policies, get=handler_of(echo_get)))
    PolicyBook = type("PolicyBook", (generics.RetrieveAPIView,), dict(common, **policies))
    # DRF's & | ~ operators with an async operand.
    Composed = type(
        "Composed",
        (views.APIView,),
        dict(
            policies,
            permission_classes=[permissions.IsAuthenticated & ~HeaderPermission],
            get=handler_of(echo_get),
        ),
    )

    def custom_handler(exc, context):
        response = exception_handler(exc, context)
        if response is None:
            return Response({"custom": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response.data = {"custom": response.data, "view": type(context["view"]).__name__}
        return response

    async def async_custom_handler(exc, context):
        await asyncio.sleep(0)
        return custom_handler(exc, context)

    CustomErrors = type("CustomErrors", (Echo,), {"get_exception_handler": lambda self: custom_handler})
    AsyncCustomErrors = type(
        "CustomErrors",
        (Echo,),
        {
            "get_exception_handler": lambda self: async_custom_handler if is_async else custom_handler,
        },
    )

    if is_async:

        @decorators.api_view(["GET", "POST"])
        @decorators.authentication_classes(AUTH)
        @decorators.permission_classes([permissions.IsAuthenticatedOrReadOnly])
        async def function_view(request):
            await asyncio.sleep(0)
            return Response({"method": request.method, "data": dict(request.data.items())})

    else:

        @decorators.api_view(["GET", "POST"])
        @decorators.authentication_classes(AUTH)
        @decorators.permission_classes([permissions.IsAuthenticatedOrReadOnly])
        def function_view(request):
            return Response({"method": request.method, "data": dict(request.data.items())})

    router = routers.DefaultRouter()
    router.register(r"viewset-books", BookViewSet, basename="book-" + kind)
    router.register(r"readonly-books", ReadOnlyBooks, basename="robook-" + kind)

    return [
        re_path(r"^books/$", Books.as_view()),
        re_path(r"^books/(?P<pk>[^/]+)/$", BookDetail.as_view()),
        re_path(r"^echo/$", Echo.as_view()),
        re_path(r"^json-only/$", JsonOnly.as_view()),
        re_path(r"^rendered/$", Rendered.as_view()),
        re_path(r"^throttled/$", Throttled.as_view()),
        re_path(r"^policies/$", Policies.as_view()),
        re_path(r"^policy-books/(?P<pk>[^/]+)/$", PolicyBook.as_view()),
        re_path(r"^composed/$", Composed.as_view()),
        re_path(r"^custom-errors/$", CustomErrors.as_view()),
        re_path(r"^async-custom-errors/$", AsyncCustomErrors.as_view()),
        re_path(r"^function/$", function_view),
    ] + router.urls
