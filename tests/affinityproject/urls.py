try:
    from django.urls import include, re_path
except ImportError:  # Django 1.11
    from django.conf.urls import include
    from django.conf.urls import url as re_path

from django.conf import settings

from . import views

urlpatterns = [
    re_path(r"^page/$", views.page),
    re_path(r"^whoami/$", views.whoami),
    re_path(r"^note/$", views.save_note),
    re_path(r"^note-orm/$", views.save_note_orm),
    re_path(r"^var/async/$", views.var_async),
    re_path(r"^var/sync/$", views.var_sync),
    re_path(r"^log/sync/$", views.log_sync),
    re_path(r"^log/loop/$", views.log_loop),
]

if "debug_toolbar" in settings.INSTALLED_APPS:
    import debug_toolbar

    urlpatterns.append(re_path(r"^__debug__/", include(debug_toolbar.urls)))
