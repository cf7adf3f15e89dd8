"""django.views.decorators.clickjacking, accepting coroutine views (Django's own from 5.0)."""

from typing import TYPE_CHECKING

from django.views.decorators import clickjacking as django_clickjacking

from .._typing import ViewT
from ..compat import forwarding
from ._adapt import after

__all__ = ["xframe_options_deny", "xframe_options_sameorigin", "xframe_options_exempt"]


if TYPE_CHECKING:  # the names __getattr__ serves, for type checkers

    def xframe_options_deny(view_func: ViewT) -> ViewT: ...
    def xframe_options_sameorigin(view_func: ViewT) -> ViewT: ...
    def xframe_options_exempt(view_func: ViewT) -> ViewT: ...


__getattr__ = forwarding(
    __name__,
    {name: after(getattr(django_clickjacking, name)) for name in __all__},
    "django.views.decorators.clickjacking",
    since=(5, 0),
)
