"""django.views.decorators.vary, accepting coroutine views (Django's own from 5.0)."""
from django.views.decorators import vary as django_vary

from ..compat import forwarding
from ._adapt import after

__all__ = ["vary_on_headers", "vary_on_cookie"]


def _vary_on_headers(*headers):
    return after(django_vary.vary_on_headers(*headers))


__getattr__ = forwarding(
    __name__,
    {"vary_on_headers": _vary_on_headers, "vary_on_cookie": after(django_vary.vary_on_cookie)},
    "django.views.decorators.vary",
    since=(5, 0),
)
