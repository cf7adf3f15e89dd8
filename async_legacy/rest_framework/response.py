"""DRF's ``Response`` rendered on the loop when its JSON needs no I/O.

The pipeline renders a template response on the request's lane, since
rendering a template may query the database. DRF's ``JSONRenderer`` only calls
``json.dumps``, and its encoder touches the database only for values that are
not plain data (a ``QuerySet``, an iterable, a lazy object). So a response
whose renderer is DRF's ``JSONRenderer`` (``render`` not overridden) and that
has no post-render callback is rendered inline, with the encoder told to give
up on anything but plain data: then it renders on the lane as before. The
encoding is pure CPU either way (json's C encoder holds the GIL), and a JSON
API saves a thread trip per request.
"""

import datetime
import decimal
import uuid
from typing import Any, Dict

from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .. import pipeline

# What DRF's encoder turns into JSON by computation alone (plus what json
# encodes natively: str, numbers, lists, tuples, dicts and their subclasses).
_PLAIN = (datetime.datetime, datetime.date, datetime.time, datetime.timedelta, decimal.Decimal, uuid.UUID, bytes)


class _NeedsThread(Exception):
    """A value the encoder may evaluate with I/O."""


_guarded: Dict[Any, Any] = {}


def _guarded_encoder(encoder_class: Any) -> Any:
    try:
        return _guarded[encoder_class]
    except KeyError:
        pass

    class Guarded(encoder_class):  # type: ignore[misc]  # whichever encoder the renderer has
        def default(self, obj: Any) -> Any:
            if isinstance(obj, _PLAIN):
                return super().default(obj)
            raise _NeedsThread

    Guarded.__name__ = Guarded.__qualname__ = encoder_class.__name__
    _guarded[encoder_class] = Guarded
    return Guarded


def render_on_loop(response: Response) -> bool:
    """Render ``response`` here if that does no I/O; False (nothing done) if not."""
    renderer = getattr(response, "accepted_renderer", None)
    if renderer is None or type(renderer).render is not JSONRenderer.render or response._post_render_callbacks:
        return False
    had_own = "encoder_class" in vars(renderer)
    encoder_class = renderer.encoder_class
    renderer.encoder_class = _guarded_encoder(encoder_class)
    try:
        response.render()
    except _NeedsThread:
        return False
    finally:
        if had_own:
            renderer.encoder_class = encoder_class
        else:
            del renderer.encoder_class
    return True


pipeline.render_on_loop_for(Response, render_on_loop)
