try:
    from django.urls import include, re_path
except ImportError:  # Django 1.11
    from django.conf.urls import include
    from django.conf.urls import url as re_path

import django

from . import db_views, fault_views, gates, lane_views, modern_views, views

try:
    import rest_framework  # noqa: F401 - the drf extra
except ImportError:
    rest_framework = None

urlpatterns = [
    re_path(r"^webob/$", views.webob_view),
    re_path(r"^modern/whoami/$", modern_views.whoami),
    re_path(r"^modern/add-user/$", modern_views.add_user_page),
    re_path(r"^modern/sync-whoami/$", modern_views.sync_whoami),
    re_path(r"^modern/set-cookie/$", modern_views.set_cookie),
    re_path(r"^modern/count/$", modern_views.user_count),
    re_path(r"^modern/echo-cookie/$", modern_views.echo_cookie),
    re_path(r"^modern/never-cached/$", modern_views.never_cached),
    re_path(r"^modern/cache-controlled/$", modern_views.cache_controlled),
    re_path(r"^modern/varied/$", modern_views.varied),
    re_path(r"^modern/frame-deny/$", modern_views.frame_deny),
    re_path(r"^modern/frame-sameorigin/$", modern_views.frame_sameorigin),
    re_path(r"^modern/frame-exempt/$", modern_views.frame_exempt),
    re_path(r"^modern/users-tagged/$", modern_views.users_tagged),
    re_path(r"^modern/dated/$", modern_views.dated),
    re_path(r"^modern/zipped/$", modern_views.zipped),
    re_path(r"^modern/cached-page/$", modern_views.cached_page),
    re_path(r"^modern/with-csrf-cookie/$", modern_views.with_csrf_cookie),
    re_path(r"^modern/token-in-page/$", modern_views.token_in_page),
    re_path(r"^modern/exempt-post/$", modern_views.exempt_post),
    re_path(r"^modern/guarded-post/$", modern_views.guarded_post),
    re_path(r"^modern/protected-post/$", modern_views.protected_post),
    re_path(r"^modern/post-only/$", modern_views.post_only),
    re_path(r"^modern/conditional/$", modern_views.conditional),
    re_path(r"^modern/echo-header/$", modern_views.echo_header),
    re_path(r"^sync/$", views.sync_view),
    re_path(r"^async/$", views.async_view),
    re_path(r"^hello/$", views.hello),
    re_path(r"^gated/$", gates.gated),
    re_path(r"^meet/sync/$", gates.meet_sync),
    re_path(r"^meet/async/$", gates.meet_async),
    re_path(r"^dict/$", views.returns_dict),
    re_path(r"^sync-coroutine/$", views.sync_returns_coroutine),
    re_path(r"^generator/$", views.generator_coroutine),
    re_path(r"^protected/$", views.protected),
    re_path(r"^post-only/$", views.post_only),
    re_path(r"^upload/$", views.upload),
    re_path(r"^cbv/$", views.AsyncCBV.as_view()),
    re_path(r"^dispatch-cbv/$", views.LoggedInCBV.as_view()),
    re_path(r"^stream/async/$", views.stream_async),
    re_path(r"^stream/sync/$", views.stream_sync),
    re_path(r"^file/$", views.file_view),
    re_path(r"^locale/$", views.locale_view),
    re_path(r"^atomic/$", views.atomic_decorated),
    re_path(r"^non-atomic/$", views.non_atomic),
    re_path(r"^sync-db/$", views.sync_db),
    re_path(r"^session/$", views.async_session),
    re_path(r"^slow/$", views.slow),
    re_path(r"^thread/$", views.thread_name),
    re_path(r"^lane/s2a-sleep/$", lane_views.s2a_sleep),
    re_path(r"^lane/s2a-same-thread/$", lane_views.s2a_same_thread),
    re_path(r"^lane/async-to-sync/$", lane_views.async_to_sync_inside),
    re_path(r"^lane/poll/$", lane_views.poll),
    re_path(r"^lane/gated-poll/$", lane_views.gated_poll),
    re_path(r"^lane/burst/$", lane_views.burst),
    re_path(r"^lane/language/$", lane_views.language),
    re_path(r"^lane/s2a-count/$", lane_views.s2a_count),
    re_path(r"^lane/pg-burst/$", lane_views.pg_burst),
    re_path(r"^lane/template-after-wait/$", lane_views.template_after_wait),
    re_path(r"^lane/async-render/$", lane_views.async_render),
    re_path(r"^lane/spin/$", lane_views.spin),
    re_path(r"^lane/nap/$", lane_views.nap),
    re_path(r"^lane/blocked/$", lane_views.blocked),
    re_path(r"^faults/census/$", fault_views.census),
    re_path(r"^faults/raise/$", fault_views.raises),
    re_path(r"^faults/forwarded/$", fault_views.forwarded),
    re_path(r"^faults/sync-raise/$", fault_views.sync_raises),
    re_path(r"^faults/upload/$", fault_views.upload),
    re_path(r"^faults/stream/$", fault_views.stream),
    re_path(r"^faults/poll/$", fault_views.poll),
    re_path(r"^faults/block/$", fault_views.block),
    re_path(r"^faults/sync-orm/$", fault_views.sync_orm),
    re_path(r"^faults/async-orm/$", fault_views.async_orm),
    re_path(r"^faults/stream-orm/$", fault_views.stream_orm),
    re_path(r"^faults/isolation/$", fault_views.isolation),
    re_path(r"^faults/login/$", fault_views.login),
    re_path(r"^language/$", views.current_language),
    re_path(r"^nested/$", views.nested_request),
    re_path(r"^db/atomic/$", db_views.atomic_block),
]

if rest_framework is not None:
    # The same API on DRF's classes and on async_legacy.rest_framework's.
    urlpatterns.append(re_path(r"^api/", include("drfapp.urls")))

if django.VERSION < (4, 1):
    # Django 4.1+ refuses views mixing sync and async handlers.
    urlpatterns.append(re_path(r"^mixed-cbv/$", views.MixedCBV.as_view()))
