"""i3x: the typed Python SDK for i3X servers."""

from ._version import __version__

__all__ = ["__version__"]
