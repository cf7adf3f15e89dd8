from django.conf import settings
from django.db import models


class Tag(models.Model):
    name = models.CharField(max_length=40, unique=True)

    def __str__(self):
        return self.name


class Clip(models.Model):
    """A clip of the montage: an owner (foreign key) and tags (many-to-many)."""

    title = models.CharField(max_length=100)
    seconds = models.PositiveIntegerField(default=1)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clips")
    tags = models.ManyToManyField(Tag, blank=True, related_name="clips")

    class Meta:
        ordering = ["id"]
