try:
    from django.urls import re_path
except ImportError:  # Django 1.11
    from django.conf.urls import url as re_path

from . import views

urlpatterns = [
    re_path(r"^where/$", views.where, name="where"),
    re_path(r"^login/$", views.login, name="login"),
]
