"""Django's view decorators, accepting coroutine views on every Django.

Before Django 5.0 (5.1 for the auth decorators) Django's view decorators wrap
``async def`` views in a plain function and break them. The same names here
are async-aware; on releases where Django's are, the names are Django's own
(with a DeprecationWarning naming the import to switch to). Import from this
package or from the submodule mirroring Django's (``async_legacy.decorators.cache``
for ``django.views.decorators.cache``).
"""

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any, List

if TYPE_CHECKING:  # the names __getattr__ serves, for type checkers
    from .auth import login_required as login_required
    from .auth import permission_required as permission_required
    from .auth import user_passes_test as user_passes_test
    from .cache import cache_control as cache_control
    from .cache import cache_page as cache_page
    from .cache import never_cache as never_cache
    from .clickjacking import xframe_options_deny as xframe_options_deny
    from .clickjacking import xframe_options_exempt as xframe_options_exempt
    from .clickjacking import xframe_options_sameorigin as xframe_options_sameorigin
    from .csrf import csrf_exempt as csrf_exempt
    from .csrf import csrf_protect as csrf_protect
    from .csrf import ensure_csrf_cookie as ensure_csrf_cookie
    from .csrf import requires_csrf_token as requires_csrf_token
    from .gzip import gzip_page as gzip_page
    from .http import condition as condition
    from .http import conditional_page as conditional_page
    from .http import etag as etag
    from .http import last_modified as last_modified
    from .http import require_GET as require_GET
    from .http import require_http_methods as require_http_methods
    from .http import require_POST as require_POST
    from .http import require_safe as require_safe
    from .vary import vary_on_cookie as vary_on_cookie
    from .vary import vary_on_headers as vary_on_headers

#: The submodules, each mirroring a Django module and listing its names in ``__all__``.
_SUBMODULES = ("auth", "cache", "clickjacking", "csrf", "gzip", "http", "vary")


def _submodule(name: str) -> ModuleType:
    return importlib.import_module("%s.%s" % (__name__, name))


def __getattr__(name: str) -> Any:
    for submodule in _SUBMODULES:
        module = _submodule(submodule)
        if name in module.__all__:
            return getattr(module, name)
    raise AttributeError("module 'async_legacy.decorators' has no attribute %r" % name)


def __dir__() -> List[str]:
    return sorted(set(globals()) | {name for sub in _SUBMODULES for name in _submodule(sub).__all__})
