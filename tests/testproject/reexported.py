"""A middleware module that re-exports a class defined elsewhere, as apps do
(``from .impl import Recorder``): settings name this path, not the class's own."""

from .middleware import Recorder

__all__ = ["Recorder"]
