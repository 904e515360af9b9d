"""The version of the i3x package (read by hatchling at build time)."""

__all__ = ["__version__"]

__version__ = "2.0.0"
