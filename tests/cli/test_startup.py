"""`i3x --help` starts without the client: no httpx, pydantic or models to import first.

Run as the console script runs, in a fresh interpreter, so that its `sys.modules`
shows what the start imported. Nothing here is timed (bench/run.py --only startup).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

_SCRIPT = """
import json, sys
from i3x._cli import main
sys.argv = ["i3x", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""

NOT_FOR_HELP = (
    "httpx",
    "tenacity",
    "i3x._client",
    "i3x._models",
    "i3x._wire",
    "i3x.testing",
    "starlette",
)
# typer itself converts a command's parameters with pydantic: only the top level's
# help goes without it.
NOT_FOR_TOP_HELP = (*NOT_FOR_HELP, "pydantic", "pydantic_core")


def _start(*args: str) -> tuple[str, dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "100"},
    )
    report: dict[str, object] = json.loads(done.stderr.splitlines()[-1])
    return done.stdout, report


@pytest.mark.parametrize(
    ("args", "not_imported"),
    [
        (("--help",), NOT_FOR_TOP_HELP),
        ((), NOT_FOR_TOP_HELP),
        (("get", "--help"), NOT_FOR_HELP),
        (("schema", "--help"), NOT_FOR_HELP),
    ],
)
def test_help_imports_neither_the_client_nor_its_libraries(
    args: tuple[str, ...], not_imported: tuple[str, ...]
) -> None:
    stdout, report = _start(*args)
    assert "Usage" in stdout
    assert report["code"] in (0, 2)  # no arguments: usage, with click's exit code 2
    modules = report["modules"]
    assert isinstance(modules, list)
    assert [m for m in modules if _within(m, not_imported)] == []


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in packages)


def test_a_command_still_reaches_the_client() -> None:
    # The lazy imports are where the work is: `schema` needs the models, and gets them.
    stdout, report = _start("schema", "VQT")
    assert report["code"] in (0, None)
    assert json.loads(stdout)["title"] == "VQT"
    modules = report["modules"]
    assert isinstance(modules, list)
    assert "i3x._models" in modules
