"""The clip endpoint on adrf (installed by scripts/bench_servers.py --drf on Django 5.2)."""

from adrf import generics
from rest_framework import serializers

from .api import ClipViewSet
from .models import Clip as ClipModel
from .models import Tag


class ClipSerializer(serializers.ModelSerializer):
    """api.ClipSerializer on DRF's own base class (adrf reads its data off the loop)."""

    owner = serializers.ReadOnlyField(source="owner.username")
    tags = serializers.SlugRelatedField(slug_field="name", many=True, queryset=Tag.objects.all(), required=False)

    class Meta:
        model = ClipModel
        fields = ["id", "title", "seconds", "owner", "tags"]


class Clip(generics.RetrieveAPIView):
    queryset = ClipViewSet.queryset
    serializer_class = ClipSerializer
    permission_classes = ClipViewSet.permission_classes
