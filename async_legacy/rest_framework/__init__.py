"""Async Django REST framework views on Django 1.11 to 6.1.

Mirrors DRF's layout (and adrf's names): ``views.APIView``,
``decorators.api_view``, ``generics``, ``mixins``, ``viewsets``, ``routers``,
``serializers`` and ``test``. Each class extends DRF's own; handlers may be
``async def`` and blocking steps run off the event loop on the request's lane
(legacy path) or through asgiref's thread-sensitive ``sync_to_async``.
Needs ``djangorestframework`` (``pip install "django-async-legacy[drf]"``).
"""
