"""Type names shared by the annotations (``typing`` only: Python 3.7 imports them).

Not public: users annotate with Django's and asgiref's types.
"""

from typing import Any, Awaitable, Callable, Dict, MutableMapping, TypeVar

#: A view function, sync or ``async def``; decorators return the same type.
ViewT = TypeVar("ViewT", bound=Callable[..., Any])
#: Any callable a decorator hands back unchanged (middleware factories).
FuncT = TypeVar("FuncT", bound=Callable[..., Any])

#: ASGI 3, as asgiref.typing spells it (not importable on asgiref 3.7 / Python 3.7).
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: A WSGI environ.
Environ = Dict[str, Any]
