"""Django's view decorators, accepting coroutine views on every Django.

Before Django 5.0 (5.1 for the auth decorators) Django's view decorators wrap
``async def`` views in a plain function and break them. The same names here
are async-aware; on releases where Django's are, the names are Django's own
(with a DeprecationWarning naming the import to switch to). Import from this
package or from the submodule mirroring Django's (``async_legacy.decorators.cache``
for ``django.views.decorators.cache``).
"""
import importlib

_MODULES = {
    "auth": ["user_passes_test", "login_required", "permission_required"],
    "cache": ["cache_page", "cache_control", "never_cache"],
    "clickjacking": ["xframe_options_deny", "xframe_options_sameorigin", "xframe_options_exempt"],
    "csrf": ["csrf_exempt", "csrf_protect", "requires_csrf_token", "ensure_csrf_cookie"],
    "gzip": ["gzip_page"],
    "http": [
        "require_http_methods",
        "require_GET",
        "require_POST",
        "require_safe",
        "condition",
        "etag",
        "last_modified",
        "conditional_page",
    ],
    "vary": ["vary_on_headers", "vary_on_cookie"],
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted(_HOME)


def __getattr__(name):
    if name not in _HOME:
        raise AttributeError("module 'async_legacy.decorators' has no attribute %r" % name)
    return getattr(importlib.import_module("%s.%s" % (__name__, _HOME[name])), name)
