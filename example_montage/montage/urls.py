import importlib.util

try:
    from django.urls import include, re_path
except ImportError:  # Django 1.11
    from django.conf.urls import include
    from django.conf.urls import url as re_path
from django.contrib.auth import views as auth_views

from . import api, views

urlpatterns = [
    re_path(r"^$", views.index, name="index"),
    re_path(r"^hello_world/$", views.hello_world, name="hello_world"),
    re_path(r"^hello/async/$", views.hello_async),
    re_path(r"^hello/sync/$", views.hello_sync),
    re_path(r"^sleep/async/$", views.sleep_async),
    re_path(r"^sleep/sync/$", views.sleep_sync),
    re_path(r"^sleep/blocking/$", views.sleep_blocking),
    re_path(r"^docs-stack/$", views.docs_stack),
    re_path(r"^fanout/$", views.fanout, name="fanout"),
    re_path(r"^upstream/(?P<name>\w+)/$", views.upstream),
    re_path(r"^guestbook/$", views.guestbook, name="guestbook"),
    re_path(r"^stream/$", views.stream, name="stream"),
    re_path(r"^whoami/$", views.whoami, name="whoami"),
    re_path(r"^whoami/sync/$", views.whoami_sync),
    re_path(r"^poll/$", views.poll),
    re_path(r"^sync-work/$", views.sync_work),
    re_path(r"^boom/$", views.boom, name="boom"),
    re_path(r"^smoke/$", views.smoke, name="smoke"),
    re_path(r"^accounts/login/$", auth_views.LoginView.as_view(), name="login"),
    re_path(r"^api/dashboard/$", api.Dashboard.as_view(), name="dashboard"),
    re_path(r"^api/wait/$", api.Wait.as_view()),
    re_path(r"^api/sync/wait/$", api.SyncWait.as_view()),
    re_path(r"^api/sync/clips/$", api.SyncClips.as_view()),
    re_path(r"^api/sync/clips/(?P<pk>\d+)/$", api.SyncClip.as_view()),
    re_path(r"^api/", include(api.router.urls)),
]

if importlib.util.find_spec("adrf"):  # adrf (Django >= 4.1), for scripts/bench_servers.py --drf only
    from . import adrf_api

    urlpatterns.append(re_path(r"^api/adrf/clips/(?P<pk>\d+)/$", adrf_api.Clip.as_view()))
