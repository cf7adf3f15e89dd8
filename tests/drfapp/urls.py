try:
    from django.urls import include, re_path
except ImportError:  # Django 1.11
    from django.conf.urls import include
    from django.conf.urls import url as re_path

from .api import build

urlpatterns = [
    re_path(r"^sync/", include(build("sync"))),
    re_path(r"^async/", include(build("async"))),
]
