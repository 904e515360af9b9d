"""The bar every change meets: ruff (lint and format) and mypy --strict over src/, tests/ and the
site's hooks, and pyright over typed user code.

Run as tests so that the README's test command and CI enforce them from a clean clone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["src", "tests", "noxfile.py", "mkdocs_hooks.py"]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is not installed: install the dev extra (pip install -e '.[dev]')")
    return found


def test_ruff_lint() -> None:
    result = _run(_tool("ruff"), "check", *TARGETS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = _run(_tool("ruff"), "format", "--check", *TARGETS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    result = _run(sys.executable, "-m", "mypy", "src", "tests", "mkdocs_hooks.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_pyright_accepts_typed_user_code() -> None:
    # What a user's editor (Pylance) says about code written the pydantic way.
    # --outputjson: machine-readable, and the wrapper then skips its online version check.
    result = _run(
        _tool("pyright"),
        "--outputjson",
        "--pythonpath",
        sys.executable,
        "tests/unit/test_typed_usage.py",
    )
    report = json.loads(result.stdout)
    problems = [
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
    ]
    assert problems == []
    assert report["summary"]["filesAnalyzed"] == 1
    assert result.returncode == 0, result.stderr


def test_pyright_sees_the_public_api_fully_typed() -> None:
    # What IDEs show users: every public name, and everything it exposes, has a known type.
    # --verifytypes finds the (editable) install through the `python` on PATH only.
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])}
    result = subprocess.run(
        [_tool("pyright"), "--outputjson", "--verifytypes", "i3x", "--ignoreexternal"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    report = json.loads(result.stdout)["typeCompleteness"]
    problems = [
        f"{symbol['name']}: {d['message']}"
        for symbol in report["symbols"]
        for d in symbol.get("diagnostics", [])
        if d["severity"] == "error"
    ]
    assert problems == []
    assert report["completenessScore"] == 1
    assert report["missingFunctionDocStringCount"] == 0
    assert report["missingClassDocStringCount"] == 0
