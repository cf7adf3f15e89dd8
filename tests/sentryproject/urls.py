try:
    from django.urls import re_path
except ImportError:  # Django 1.11
    from django.conf.urls import url as re_path

from sentryproject import views

urlpatterns = [
    re_path(r"^sync/fail/$", views.sync_fail),
    re_path(r"^async/fail/$", views.async_fail),
    re_path(r"^sync/page/$", views.sync_page),
    re_path(r"^async/page/$", views.async_page),
    re_path(r"^async/spawn-fail/$", views.async_spawn_fail),
]
