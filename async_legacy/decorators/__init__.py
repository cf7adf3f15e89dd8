"""Django's view decorators, accepting coroutine views on every Django.

Before Django 5.0 (5.1 for the auth decorators) Django's view decorators wrap
``async def`` views in a plain function and break them. The same names here
are async-aware; on releases where Django's are, the names are Django's own
(with a DeprecationWarning naming the import to switch to). Import from this
package or from the submodule mirroring Django's (``async_legacy.decorators.cache``
for ``django.views.decorators.cache``).
"""
import importlib

#: The submodules, each mirroring a Django module and listing its names in ``__all__``.
_SUBMODULES = ("auth", "cache", "clickjacking", "csrf", "gzip", "http", "vary")


def _submodule(name):
    return importlib.import_module("%s.%s" % (__name__, name))


def __getattr__(name):
    for submodule in _SUBMODULES:
        module = _submodule(submodule)
        if name in module.__all__:
            return getattr(module, name)
    raise AttributeError("module 'async_legacy.decorators' has no attribute %r" % name)


def __dir__():
    return sorted(set(globals()) | {name for sub in _SUBMODULES for name in _submodule(sub).__all__})
