"""example_montage's API: async DRF views on whichever Django runs it."""
import asyncio
import time

from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from async_legacy.rest_framework import routers, serializers, viewsets
from async_legacy.rest_framework.views import APIView

from .models import Clip, Tag


class ClipSerializer(serializers.ModelSerializer):
    owner = serializers.ReadOnlyField(source="owner.username")
    tags = serializers.SlugRelatedField(slug_field="name", many=True, queryset=Tag.objects.all(), required=False)

    class Meta:
        model = Clip
        fields = ["id", "title", "seconds", "owner", "tags"]


class Pages(PageNumberPagination):
    page_size = 5


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
        import aiohttp

        base = "%s://%s" % (request.scheme, request.get_host())
        delay = request.query_params.get("delay", "0.5")
        started = time.monotonic()
        async with aiohttp.ClientSession() as session:

            async def fetch(name):
                async with session.get("%s/upstream/%s/?delay=%s" % (base, name, delay)) as response:
                    return await response.json()

            results = await asyncio.gather(fetch("weather"), fetch("news"), fetch("stocks"))
        return Response({"results": results, "elapsed": round(time.monotonic() - started, 3)})


router = routers.DefaultRouter()
router.register(r"clips", ClipViewSet)
