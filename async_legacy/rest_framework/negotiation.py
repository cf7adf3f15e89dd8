"""DRF's content negotiation, with its choices remembered.

DRF's ``DefaultContentNegotiation`` parses the Accept header and every
renderer's media type on each request: before DRF 3.16 that cost as much as
the rest of ``initial()`` together for an anonymous JSON request. Its choice
depends only on the Accept header, the format asked for (URL suffix or query
parameter) and the renderers' classes, media types and formats, so our views
use this subclass when the view keeps DRF's class: the renderer's position
and the media type chosen are remembered for those, and a NotAcceptable or
404 is decided by DRF each time.
"""

from typing import Any, Dict, Optional, Tuple

from rest_framework import negotiation

#: Remembered choices, at most this many (then forgotten all at once): a
#: client sending ever new Accept headers costs DRF's price, not memory.
MAX_CHOICES = 512
#: Longer Accept headers are not remembered.
MAX_ACCEPT = 512


class DefaultContentNegotiation(negotiation.DefaultContentNegotiation):
    _choices: Dict[Any, Tuple[int, str]] = {}

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Optional[str] = None) -> Any:
        accept = request.META.get("HTTP_ACCEPT")
        if accept is not None and len(accept) > MAX_ACCEPT:
            return super().select_renderer(request, renderers, format_suffix)
        format_ = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        key = (accept, format_, tuple((type(r), r.media_type, r.format) for r in renderers))
        choice = self._choices.get(key)
        if choice is not None:
            return renderers[choice[0]], choice[1]
        renderer, media_type = super().select_renderer(request, renderers, format_suffix)
        if len(self._choices) >= MAX_CHOICES:
            self._choices.clear()
        self._choices[key] = (renderers.index(renderer), media_type)
        return renderer, media_type


#: It keeps nothing per request: one for every view.
REMEMBERING = DefaultContentNegotiation()
