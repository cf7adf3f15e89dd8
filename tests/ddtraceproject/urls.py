from django.urls import re_path

from ddtraceproject import views

urlpatterns = [
    re_path(r"^sync/page/$", views.sync_page),
    re_path(r"^async/page/$", views.async_page),
    re_path(r"^sync/fail/$", views.sync_fail),
    re_path(r"^async/fail/$", views.async_fail),
]
