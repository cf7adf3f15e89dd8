"""django.views.decorators.clickjacking, accepting coroutine views (Django's own from 5.0)."""
from django.views.decorators import clickjacking as django_clickjacking

from ..compat import forwarding
from ._adapt import after

__all__ = ["xframe_options_deny", "xframe_options_sameorigin", "xframe_options_exempt"]

__getattr__ = forwarding(
    __name__,
    {name: after(getattr(django_clickjacking, name)) for name in __all__},
    "django.views.decorators.clickjacking",
    since=(5, 0),
)
