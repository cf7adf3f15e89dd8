import json

from django.contrib.auth import get_user_model
from django.contrib.auth import login as django_login
from django.http import HttpResponse
from django.urls import get_script_prefix, reverse
from django.views.decorators.csrf import csrf_exempt


async def where(request):
    """What the project makes of its mount point: reverse(), the script
    prefix, and the request's path and path_info."""
    data = {
        "reverse": reverse("where"),
        "script_prefix": get_script_prefix(),
        "path": request.path,
        "path_info": request.path_info,
        "absolute": request.build_absolute_uri(),
    }
    return HttpResponse(json.dumps(data), content_type="application/json")


@csrf_exempt
def login(request):
    """Logs in ?user= (creating it); the response sets the session cookie."""
    user = get_user_model().objects.get_or_create(username=request.GET["user"])[0]
    django_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponse("logged in as %s" % user.username)
