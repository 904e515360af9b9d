"""Tests of the ``i3x`` command line, in-process against the embedded server."""
