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
