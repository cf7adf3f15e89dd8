"""django.views.decorators.gzip, accepting coroutine views (Django's own from 5.0)."""

from typing import TYPE_CHECKING

from django.middleware.gzip import GZipMiddleware
from django.views.decorators import gzip as django_gzip

from .._typing import ViewT
from ..compat import forwarding
from ._adapt import middleware

__all__ = ["gzip_page"]


if TYPE_CHECKING:  # the names __getattr__ serves, for type checkers

    def gzip_page(view_func: ViewT) -> ViewT: ...


__getattr__ = forwarding(
    __name__,
    {"gzip_page": middleware(django_gzip.gzip_page, GZipMiddleware)},
    "django.views.decorators.gzip",
    since=(5, 0),
)
