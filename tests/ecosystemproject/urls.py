try:
    from django.urls import include, re_path
except ImportError:  # Django 1.11
    from django.conf.urls import include
    from django.conf.urls import url as re_path

from django.conf import settings

from . import views

urlpatterns = [
    re_path(r"^sync/$", views.page_sync),
    re_path(r"^async/$", views.page_async),
    re_path(r"^boom-sync/$", views.boom_sync),
    re_path(r"^boom-async/$", views.boom_async),
    re_path(r"^spans/$", views.spans),
]

if settings.PACKAGE == "prometheus":
    urlpatterns.append(re_path(r"^", include("django_prometheus.urls")))
elif settings.PACKAGE == "toolbar":
    import debug_toolbar

    urlpatterns.append(re_path(r"^__debug__/", include(debug_toolbar.urls)))
elif settings.PACKAGE == "silk":
    urlpatterns.append(re_path(r"^silk/", include("silk.urls", namespace="silk")))
