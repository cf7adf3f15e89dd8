"""Views written the modern way with async_legacy's helpers: the same code on every Django."""

from django.http import HttpResponse

from async_legacy.auth import auser
from async_legacy.decorators import login_required, permission_required


@login_required
async def whoami(request):
    user = await auser(request)
    return HttpResponse("you are %s" % user.get_username())


@permission_required("auth.add_user", raise_exception=True)
async def add_user_page(request):
    return HttpResponse("you may add users")


@login_required
def sync_whoami(request):
    return HttpResponse("sync: you are %s" % request.user.get_username())


async def set_cookie(request):
    response = HttpResponse("set")
    response.set_cookie("flavour", request.GET.get("flavour", "oat"))
    return response


async def echo_cookie(request):
    return HttpResponse("flavour=%s" % request.COOKIES.get("flavour", ""))


async def user_count(request):
    from django.contrib.auth.models import User

    return HttpResponse("users=%d" % await User.objects.acount())


# Django's response decorators, async-aware through async_legacy.decorators.
import datetime  # noqa: E402
import itertools  # noqa: E402

from django.middleware.csrf import get_token  # noqa: E402

from async_legacy import decorators as d  # noqa: E402


@d.never_cache
async def never_cached(request):
    return HttpResponse("fresh")


@d.cache_control(max_age=60, private=True)
async def cache_controlled(request):
    return HttpResponse("mine for a minute")


@d.vary_on_headers("Accept-Language")
@d.vary_on_cookie
async def varied(request):
    return HttpResponse("varies")


@d.xframe_options_deny
async def frame_deny(request):
    return HttpResponse("no frames")


@d.xframe_options_sameorigin
async def frame_sameorigin(request):
    return HttpResponse("same origin frames")


@d.xframe_options_exempt
async def frame_exempt(request):
    return HttpResponse("any frames")


def _users_etag(request):
    # A database query: the decorator must call it off the event loop
    # (Django 3.0+ raises SynchronousOnlyOperation on the loop).
    from django.contrib.auth.models import User

    return '"users-%d"' % User.objects.count()


@d.etag(_users_etag)
async def users_tagged(request):
    return HttpResponse("tagged")


@d.last_modified(lambda request: datetime.datetime(2020, 2, 2, 12, 0, tzinfo=datetime.timezone.utc))
async def dated(request):
    return HttpResponse("dated")


@d.gzip_page
async def zipped(request):
    return HttpResponse("squeeze me " * 200)


_renders = itertools.count(1)


@d.cache_page(60)
async def cached_page(request):
    return HttpResponse("render %d" % next(_renders))


@d.ensure_csrf_cookie
async def with_csrf_cookie(request):
    return HttpResponse("cookie please")


async def token_in_page(request):
    return HttpResponse("token=%s" % get_token(request))


@d.csrf_exempt
async def exempt_post(request):
    # (request.POST is not read: Django 3.1/3.2's AsyncClient cannot replay a
    # multipart body the CSRF check did not read.)
    return HttpResponse("posted")


async def guarded_post(request):
    return HttpResponse("posted")


@d.csrf_exempt  # hides the view from the middleware; the decorator still checks
@d.csrf_protect
async def protected_post(request):
    return HttpResponse("posted")


@d.require_POST
async def post_only(request):
    return HttpResponse("posted")


@d.conditional_page
async def conditional(request):
    response = HttpResponse("same as ever")
    response["ETag"] = '"ever"'
    return response


async def echo_header(request):
    answer = "x-flavour=%s" % request.META.get("HTTP_X_FLAVOUR", "")
    if "q" in request.GET:
        answer += ";q=%s" % request.GET["q"]
    return HttpResponse(answer)
