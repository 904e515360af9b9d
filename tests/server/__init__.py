"""Tests of the embedded i3X server (i3x.testing), driven over loopback with plain httpx."""
