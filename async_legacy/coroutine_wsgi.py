"""The coroutine-WSGI calling convention (version 1.0).

A coroutine-WSGI application is a WSGI callable with ``coroutine_wsgi =
(1, 0)`` set on it. A server that speaks the convention:

1. buffers the request body, then builds a WSGI ``environ`` whose
   ``wsgi.input`` can be read synchronously without blocking (a BytesIO or a
   spooled file), and sets ``environ[ENVIRON_KEY] = (1, 0)``;
2. calls ``result = app(environ, start_response)`` and awaits ``result``
   on its event loop; ``start_response(status, headers)`` has been called by
   the time the await returns the response body;
3. iterates the body with ``async for`` when it has ``__aiter__`` (else with
   ``for``), sending each bytes chunk as it comes; a body whose ``whole``
   attribute is bytes is all in memory, and the server may send those bytes
   instead of iterating (with the response head, in one write);
4. always closes it afterwards - ``await body.aclose()`` when it has
   ``aclose``, else ``body.close()`` - also when the client went away;
5. cancels the awaiting task when the client disconnects.

Called by a plain WSGI server (no ``ENVIRON_KEY``), the application answers
500 and logs how to serve it properly.
"""

from typing import Any, Optional

VERSION = (1, 0)
ENVIRON_KEY = "coroutine_wsgi.version"
APP_ATTRIBUTE = "coroutine_wsgi"


def is_coroutine_wsgi_app(app: Any) -> bool:
    return tuple(getattr(app, APP_ATTRIBUTE, ()) or ())[:1] == VERSION[:1]


def whole_body(body: Any) -> Optional[bytes]:
    """The body's bytes when it says it is all in memory (point 3), else None."""
    whole = getattr(body, "whole", None)
    return whole if type(whole) is bytes else None


async def close_body(body: Any) -> None:
    aclose = getattr(body, "aclose", None)
    if aclose is not None:
        await aclose()
    elif hasattr(body, "close"):
        body.close()
