"""testproject with the mistakes of check_urls.py and ATOMIC_REQUESTS on (for `check`)."""

from .settings import *  # noqa: F401,F403
from .settings import DATABASES

ROOT_URLCONF = "testproject.check_urls"
DATABASES["default"]["ATOMIC_REQUESTS"] = True
