"""django.views.decorators.gzip, accepting coroutine views (Django's own from 5.0)."""
from django.middleware.gzip import GZipMiddleware
from django.views.decorators import gzip as django_gzip

from ..compat import forwarding
from ._adapt import middleware

__all__ = ["gzip_page"]

__getattr__ = forwarding(
    __name__,
    {"gzip_page": middleware(django_gzip.gzip_page, GZipMiddleware)},
    "django.views.decorators.gzip",
    since=(5, 0),
)
