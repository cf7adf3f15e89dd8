"""``"async_legacy"`` in INSTALLED_APPS: async ORM names on old Django, system checks."""

from django.apps import AppConfig


class AsyncLegacyConfig(AppConfig):
    name = "async_legacy"
    verbose_name = "django-async-legacy"
    default = True

    def ready(self) -> None:
        from . import checks, orm  # noqa: F401 (importing checks registers them)

        self.orm_methods_added = orm.install()
