"""Checks at import and boot, so a broken install stops with the fix instead
of a traceback from deep inside aiohttp or gunicorn."""

import os
from typing import Any, List, Optional

#: "1" runs the worker on aiohttp's pure-Python parser anyway (environment variable).
ALLOW_PY_PARSER_ENV = "GAIOHTTP_ALLOW_PY_PARSER"


def require_dependencies() -> None:
    """The worker's own dependencies, named with the extra that installs them."""
    missing: List[str] = []
    for module in ("aiohttp", "gunicorn"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise ImportError(
            "The gaiohttp worker (async_legacy.worker) needs %s, which is not installed. "
            'Install the worker extra: pip install "django-async-legacy[worker]"' % " and ".join(missing)
        )


def c_parser_problem() -> Optional[str]:
    """Why aiohttp's C HTTP parser is not in use, or None when it is."""
    from aiohttp import http_parser

    if http_parser.HttpRequestParser is not getattr(http_parser, "HttpRequestParserPy", None):
        return None
    if os.environ.get("AIOHTTP_NO_EXTENSIONS"):
        return "AIOHTTP_NO_EXTENSIONS is set in the environment"
    return "aiohttp's compiled extension aiohttp._http_parser does not import (no wheel for this platform?)"


def check_c_parser(log: Any) -> None:
    """Refuse aiohttp's pure-Python parser (slower, and the one with most of
    aiohttp's request-smuggling advisories), unless the user allows it."""
    reason = c_parser_problem()
    if reason is None:
        return
    message = (
        "aiohttp is running without its C HTTP parser: %s. Its pure-Python parser is several "
        "times slower and had request-smuggling bugs the C parser did not (CVE-2024-23829, "
        "CVE-2024-52304, CVE-2025-53643). Unset AIOHTTP_NO_EXTENSIONS or install an aiohttp "
        "wheel for this platform; %s=1 runs on the Python parser anyway." % (reason, ALLOW_PY_PARSER_ENV)
    )
    if os.environ.get(ALLOW_PY_PARSER_ENV, "").strip().lower() in ("1", "true", "yes", "on"):
        log.warning(message)
        return
    raise RuntimeError(message)
