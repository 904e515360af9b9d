"""Fail the import of `i3x.testing` with the install command when the extra is missing.

Imported first by `i3x.testing`: without it, a project that installed the client alone
would read a bare "No module named 'starlette'" (the pytest fixtures pass this message on).
"""

from __future__ import annotations

import importlib.util

__all__: list[str] = []

_missing = [
    m for m in ("starlette", "uvicorn", "jsonschema") if importlib.util.find_spec(m) is None
]
if _missing:
    raise ModuleNotFoundError(
        "i3x.testing (the embedded i3X server) needs the server extra, which is not "
        f'installed (missing: {", ".join(_missing)}): pip install "i3x-client[server]"',
        name=_missing[0],
    )
