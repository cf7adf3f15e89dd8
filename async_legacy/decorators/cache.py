"""django.views.decorators.cache, accepting coroutine views (Django's own from 5.0)."""

from typing import TYPE_CHECKING, Any, Callable, Optional

from django.middleware.cache import CacheMiddleware
from django.views.decorators import cache as django_cache

from .._typing import ViewT
from ..compat import CACHE_PAGE_TIMEOUT_ARG, forwarding
from ._adapt import after, middleware

__all__ = ["cache_page", "cache_control", "never_cache"]


def _cache_page(
    timeout: Optional[float], *, cache: Optional[str] = None, key_prefix: Optional[str] = None
) -> Callable[[ViewT], ViewT]:
    options = {CACHE_PAGE_TIMEOUT_ARG: timeout, "cache_alias": cache, "key_prefix": key_prefix}
    return middleware(django_cache.cache_page(timeout, cache=cache, key_prefix=key_prefix), CacheMiddleware, **options)


def _cache_control(**kwargs: Any) -> Callable[[ViewT], ViewT]:
    return after(django_cache.cache_control(**kwargs), check="cache_control")


if TYPE_CHECKING:  # the names __getattr__ serves, for type checkers

    def cache_page(
        timeout: Optional[float], *, cache: Optional[str] = None, key_prefix: Optional[str] = None
    ) -> Callable[[ViewT], ViewT]: ...
    def cache_control(**kwargs: Any) -> Callable[[ViewT], ViewT]: ...
    def never_cache(view_func: ViewT) -> ViewT: ...


__getattr__ = forwarding(
    __name__,
    {
        "cache_page": _cache_page,
        "cache_control": _cache_control,
        "never_cache": after(django_cache.never_cache, check="never_cache"),
    },
    "django.views.decorators.cache",
    since=(5, 0),
)
