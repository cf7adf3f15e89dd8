"""django.views.decorators.vary, accepting coroutine views (Django's own from 5.0)."""

from typing import TYPE_CHECKING, Callable

from django.views.decorators import vary as django_vary

from .._typing import ViewT
from ..compat import forwarding
from ._adapt import after

__all__ = ["vary_on_headers", "vary_on_cookie"]


def _vary_on_headers(*headers: str) -> Callable[[ViewT], ViewT]:
    return after(django_vary.vary_on_headers(*headers))


if TYPE_CHECKING:  # the names __getattr__ serves, for type checkers

    def vary_on_headers(*headers: str) -> Callable[[ViewT], ViewT]: ...
    def vary_on_cookie(view_func: ViewT) -> ViewT: ...


__getattr__ = forwarding(
    __name__,
    {"vary_on_headers": _vary_on_headers, "vary_on_cookie": after(django_vary.vary_on_cookie)},
    "django.views.decorators.vary",
    since=(5, 0),
)
