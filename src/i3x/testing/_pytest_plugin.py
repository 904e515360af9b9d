"""pytest fixtures for testing code against the embedded i3X server (placeholder)."""
