from django.conf import settings
from django.db import models

if settings.HAS_SIMPLE_HISTORY:
    from simple_history.models import HistoricalRecords
else:
    HistoricalRecords = None


class Note(models.Model):
    """Saved by the history test; its history rows name the user who saved it."""

    text = models.CharField(max_length=200)

    if HistoricalRecords is not None:
        history = HistoricalRecords()
