"""Unit tests: the sync client against respx-mocked i3X answers (no sockets, no sleeping)."""
