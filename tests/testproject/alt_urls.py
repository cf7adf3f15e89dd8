try:
    from django.urls import re_path
except ImportError:  # Django 1.11
    from django.conf.urls import url as re_path

from . import fault_views, views

urlpatterns = [re_path(r"^locale/$", views.locale_view), re_path(r"^faults/isolation/$", fault_views.isolation)]
