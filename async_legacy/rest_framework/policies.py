"""When DRF's ``initial()`` does no I/O for a request, so it may run on the loop.

``initial()`` (content negotiation, versioning, authentication, permissions,
throttles) is a trip to the request's lane, because a policy class may query
the database. For DRF's own classes the request itself tells: a session with
no key is never loaded, so the user of a request without a session cookie is
anonymous without a query; ``TokenAuthentication`` and ``BasicAuthentication``
return before any query when the request carries no ``Authorization`` header
of theirs; ``AllowAny``, ``IsAuthenticated``, ``IsAdminUser`` and
``IsAuthenticatedOrReadOnly`` read attributes of the user already known, and a
permission that only checks objects inherits ``BasePermission``'s ``True``. An
anonymous API request (a public endpoint awaiting an upstream service) then
costs no thread at all, as the same middleware hooks do (``hooks.py``).

Anything else keeps the trip: another class, a subclass overriding the method
that would run, a throttle (its cache may be remote), a view overriding one
of the steps, a session that would have to be loaded.
"""

from typing import Any, Callable, Dict

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils.functional import LazyObject, SimpleLazyObject, empty
from rest_framework import authentication, negotiation, permissions, versioning
from rest_framework import views as drf_views
from rest_framework.request import Request

from . import negotiation as own_negotiation

_SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
#: DRF's content negotiation, and ours that remembers its choices.
_NEGOTIATION = (negotiation.DefaultContentNegotiation, own_negotiation.DefaultContentNegotiation)
#: The steps initial() takes: a view overriding one of them keeps the trip.
_VIEW_STEPS = (
    "initial",
    "get_format_suffix",
    "perform_content_negotiation",
    "determine_version",
    "perform_authentication",
    "check_permissions",
    "check_throttles",
)


def _anonymous_without_io(user: Any, django_request: Any) -> bool:
    """True if AuthenticationMiddleware's lazy ``user`` will be anonymous without a query.

    Decided without evaluating it: reading the session marks it accessed
    (``Vary: Cookie``), which initial() may never do (a 406 comes first).
    """
    setup = getattr(user, "_setupfunc", None)
    if not isinstance(user, SimpleLazyObject) or getattr(setup, "__module__", None) != "django.contrib.auth.middleware":
        return False  # someone else's lazy user: unknown
    # auth.get_user() queries only for a session holding a user id; a
    # session without a key is never loaded.
    session = getattr(django_request, "session", None)
    if session is None:
        return False
    cache = getattr(session, "_session_cache", None)
    if cache is not None:
        return SESSION_KEY not in cache
    return session.session_key is None


def _session_auth(auth: Any, request: Request) -> bool:
    django_request = request._request
    user = getattr(django_request, "user", None)
    if isinstance(user, LazyObject):
        if user._wrapped is empty:
            # authenticate() will find it anonymous and return None (no CSRF check).
            return _anonymous_without_io(user, django_request)
        user = user._wrapped
    if not user or not user.is_active:
        return True  # none, or a user some middleware loaded already
    # A logged-in user: the CSRF check reads only the cookie for a safe method.
    return request.method in _SAFE_METHODS and not settings.CSRF_USE_SESSIONS


def _header_auth(keyword: Callable[[Any], bytes]) -> Callable[[Any, Request], bool]:
    def io_free(auth: Any, request: Request) -> bool:
        header = authentication.get_authorization_header(request).split()
        return not header or header[0].lower() != keyword(auth)

    return io_free


#: {DRF's own method: predicate (policy object, request) -> no I/O for this request}.
_AUTHENTICATE: Dict[Any, Callable[[Any, Request], bool]] = {
    authentication.SessionAuthentication.authenticate: _session_auth,
    authentication.TokenAuthentication.authenticate: _header_auth(lambda auth: auth.keyword.lower().encode()),
    authentication.BasicAuthentication.authenticate: _header_auth(lambda auth: b"basic"),
}
_HAS_PERMISSION = frozenset(
    klass.has_permission
    for klass in (
        # BasePermission's answers True: the tutorial's IsOwnerOrReadOnly checks objects only.
        permissions.BasePermission,
        permissions.AllowAny,
        permissions.IsAuthenticated,
        permissions.IsAdminUser,
        permissions.IsAuthenticatedOrReadOnly,
    )
)
_VERSIONING = frozenset(
    getattr(versioning, name)
    for name in (
        "AcceptHeaderVersioning",
        "URLPathVersioning",
        "NamespaceVersioning",
        "HostNameVersioning",
        "QueryParameterVersioning",
    )
)


def _own(obj: Any, name: str) -> Any:
    """The function ``type(obj).name`` resolves to."""
    return getattr(type(obj), name, None)


def initial_is_io_free(view: drf_views.APIView, request: Request) -> bool:
    """True if ``view.initial(request)`` does no I/O (see the module doc)."""
    view_class = type(view)
    for name in _VIEW_STEPS:
        if getattr(view_class, name) is not getattr(drf_views.APIView, name):
            return False
    if view.get_throttles():
        return False
    if type(view.get_content_negotiator()) not in _NEGOTIATION:
        return False
    if view.versioning_class is not None and view.versioning_class not in _VERSIONING:
        return False
    for auth in request.authenticators:
        predicate = _AUTHENTICATE.get(_own(auth, "authenticate"))
        if predicate is None or not predicate(auth, request):
            return False
    return all(_own(permission, "has_permission") in _HAS_PERMISSION for permission in view.get_permissions())
