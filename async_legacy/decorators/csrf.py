"""django.views.decorators.csrf, accepting coroutine views (Django's own from 5.0).

``get_token()`` called inside a coroutine view needs no decorator: the
request's CsrfViewMiddleware sets the cookie on the way out, as for sync views.
"""

import functools
from typing import TYPE_CHECKING, Any

from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators import csrf as django_csrf

from .._typing import ViewT
from ..compat import forwarding, iscoroutinefunction
from ._adapt import middleware

__all__ = ["csrf_exempt", "csrf_protect", "requires_csrf_token", "ensure_csrf_cookie"]


def _csrf_exempt(view_func: ViewT) -> ViewT:
    if not iscoroutinefunction(view_func):
        return django_csrf.csrf_exempt(view_func)

    @functools.wraps(view_func)
    async def _view_wrapper(*args: Any, **kwargs: Any) -> Any:
        return await view_func(*args, **kwargs)

    _view_wrapper.csrf_exempt = True  # type: ignore[attr-defined]
    return _view_wrapper  # type: ignore[return-value]  # same signature, as functools.wraps says


if TYPE_CHECKING:  # the names __getattr__ serves, for type checkers

    def csrf_exempt(view_func: ViewT) -> ViewT: ...
    def csrf_protect(view_func: ViewT) -> ViewT: ...
    def requires_csrf_token(view_func: ViewT) -> ViewT: ...
    def ensure_csrf_cookie(view_func: ViewT) -> ViewT: ...


__getattr__ = forwarding(
    __name__,
    {
        "csrf_exempt": _csrf_exempt,
        "csrf_protect": middleware(django_csrf.csrf_protect, CsrfViewMiddleware),
        # Django's private subclasses (no rejection; the second forces the cookie).
        "requires_csrf_token": middleware(django_csrf.requires_csrf_token, django_csrf._EnsureCsrfToken),
        "ensure_csrf_cookie": middleware(django_csrf.ensure_csrf_cookie, django_csrf._EnsureCsrfCookie),
    },
    "django.views.decorators.csrf",
    since=(5, 0),
)
