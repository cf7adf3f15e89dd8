"""example_montage's API: async DRF views on whichever Django runs it."""

import asyncio
import os
import time
import urllib.request

from rest_framework import generics as drf_generics
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView as DRFAPIView

from async_legacy.rest_framework import routers, serializers, viewsets
from async_legacy.rest_framework.views import APIView

from .models import Clip, Tag
from .views import call_upstreams


class ClipSerializer(serializers.ModelSerializer):
    owner = serializers.ReadOnlyField(source="owner.username")
    tags = serializers.SlugRelatedField(slug_field="name", many=True, queryset=Tag.objects.all(), required=False)

    class Meta:
        model = Clip
        fields = ["id", "title", "seconds", "owner", "tags"]


class Pages(PageNumberPagination):
    page_size = 5
    page_size_query_param = "page_size"
    max_page_size = 100


class ClipViewSet(viewsets.ModelViewSet):
    """alist / acreate / aretrieve / aupdate / adestroy, session or token authenticated."""

    queryset = Clip.objects.select_related("owner").prefetch_related("tags")
    serializer_class = ClipSerializer
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = Pages

    async def perform_acreate(self, serializer):
        await serializer.asave(owner=self.request.user)


class Dashboard(APIView):
    """Three upstream calls at once (the example's /upstream/ views stand in for them)."""

    permission_classes = []

    async def get(self, request):
        return Response(await call_upstreams(request))


_upstream_sessions = {}


async def _upstream_session():
    # One client session per event loop (per worker), reused across requests.
    import aiohttp

    loop = asyncio.get_event_loop()
    session = _upstream_sessions.get(loop)
    if session is None:
        # No cap on connections (aiohttp's default is 100 at a time).
        session = _upstream_sessions[loop] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    return session


class Wait(APIView):
    """Awaits one upstream call: MONTAGE_UPSTREAM's /hello_world/ (1 s), else a 1 s sleep."""

    permission_classes = []

    async def get(self, request):
        upstream = os.environ.get("MONTAGE_UPSTREAM")
        if not upstream:
            await asyncio.sleep(1)
            return Response({"waited": 1})
        session = await _upstream_session()
        async with session.get(upstream + "/hello_world/") as response:
            return Response({"waited": 1, "upstream": response.status})


# The same endpoints on DRF's own sync classes, to compare with (scripts/bench_servers.py --drf).
class SyncClip(drf_generics.RetrieveAPIView):
    queryset = ClipViewSet.queryset
    serializer_class = ClipSerializer


class SyncClips(drf_generics.ListAPIView):
    queryset = ClipViewSet.queryset
    serializer_class = ClipSerializer
    pagination_class = Pages


class SyncWait(DRFAPIView):
    permission_classes = []

    def get(self, request):
        upstream = os.environ.get("MONTAGE_UPSTREAM")
        if not upstream:
            time.sleep(1)
            return Response({"waited": 1})
        with urllib.request.urlopen(upstream + "/hello_world/") as response:
            return Response({"waited": 1, "upstream": response.status})


router = routers.DefaultRouter()
router.register(r"clips", ClipViewSet)
