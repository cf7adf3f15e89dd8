"""django.contrib.auth.decorators, accepting coroutine views (Django's own from 5.1).

Before 5.1, ``login_required`` around an ``async def`` view evaluates
``request.user`` on the event loop (SynchronousOnlyOperation on 3.0+, blocking
I/O before) and hides the coroutine function from Django's ASGIHandler on
3.1-5.0. Here Django's check runs off the loop and the wrapper is an
``async def``.
"""

from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Union, overload

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import decorators as django_auth

from .._typing import ViewT
from ..compat import forwarding
from ._adapt import gate

__all__ = ["user_passes_test", "login_required", "permission_required"]


def _user_passes_test(
    test_func: Callable[[Any], bool],
    login_url: Optional[str] = None,
    redirect_field_name: Optional[str] = REDIRECT_FIELD_NAME,
) -> Callable[[ViewT], ViewT]:
    return gate(django_auth.user_passes_test(test_func, login_url, redirect_field_name))


def _login_required(
    function: Optional[ViewT] = None,
    redirect_field_name: Optional[str] = REDIRECT_FIELD_NAME,
    login_url: Optional[str] = None,
) -> Union[ViewT, Callable[[ViewT], ViewT]]:
    decorator = _user_passes_test(
        lambda u: u.is_authenticated, login_url=login_url, redirect_field_name=redirect_field_name
    )
    return decorator(function) if function else decorator


def _permission_required(
    perm: Union[str, Iterable[str]], login_url: Optional[str] = None, raise_exception: bool = False
) -> Callable[[ViewT], ViewT]:
    return gate(django_auth.permission_required(perm, login_url, raise_exception))


if TYPE_CHECKING:  # the names __getattr__ serves, for type checkers

    def user_passes_test(
        test_func: Callable[[Any], bool], login_url: Optional[str] = None, redirect_field_name: Optional[str] = ...
    ) -> Callable[[ViewT], ViewT]: ...

    @overload
    def login_required(
        function: ViewT, redirect_field_name: Optional[str] = ..., login_url: Optional[str] = None
    ) -> ViewT: ...
    @overload
    def login_required(
        function: None = None, redirect_field_name: Optional[str] = ..., login_url: Optional[str] = None
    ) -> Callable[[ViewT], ViewT]: ...
    def login_required(
        function: Optional[ViewT] = None, redirect_field_name: Optional[str] = ..., login_url: Optional[str] = None
    ) -> Union[ViewT, Callable[[ViewT], ViewT]]: ...

    def permission_required(
        perm: Union[str, Iterable[str]], login_url: Optional[str] = None, raise_exception: bool = False
    ) -> Callable[[ViewT], ViewT]: ...


__getattr__ = forwarding(
    __name__,
    {
        "user_passes_test": _user_passes_test,
        "login_required": _login_required,
        "permission_required": _permission_required,
    },
    "django.contrib.auth.decorators",
    since=(5, 1),
)
