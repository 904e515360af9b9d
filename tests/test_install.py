"""The package installed without extras, into a fresh virtualenv, as a user's project has it.

`pip install i3x-client` registers the pytest plugin (entry point `pytest11`); it must
cost nothing without the `server` extra, and its fixtures must say how to get the extra.
Builds the worktree with pip (its index and cache), so it takes ten to thirty seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

USER_TEST = """
import importlib.util
import sys

import pytest

import i3x


def test_the_client_works_without_the_server_extra() -> None:
    assert importlib.util.find_spec("starlette") is None
    assert "i3x.testing" not in sys.modules
    client = i3x.Client("http://localhost:8080")
    assert client.base_url == "http://localhost:8080"
    assert not client.is_connected


def test_checked_writes_name_the_extra_they_need() -> None:
    assert importlib.util.find_spec("jsonschema") is None
    with pytest.raises(ImportError, match=r'pip install "i3x-client\\[validation\\]"'):
        i3x.Client("http://localhost:8080", validate_writes=True)
"""

FIXTURE_TEST = """
def test_asks_for_the_embedded_server(i3x_server) -> None:
    raise AssertionError("not reached: the fixture needs the server extra")
"""


def _run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "VIRTUAL_ENV")
        and not k.startswith("PYTEST_DISABLE")
    }
    return subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with `i3x-client` (no extras) and pytest installed."""
    where = tmp_path_factory.mktemp("bare-install")
    venv = where / "venv"
    made = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=where)
    assert made.returncode == 0, made.stderr
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    # The outer pip installs into the new environment (--python): no pip bootstrap there.
    installed = _run(
        sys.executable, "-m", "pip", "--python", python, "install", "-q", ROOT, "pytest", cwd=where
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return python


def _project(where: Path, name: str, source: str) -> Path:
    where.mkdir()
    (where / "pytest.ini").write_text("[pytest]\n")  # the rootdir: nothing of ours applies
    (where / name).write_text(source)
    return where


@pytest.mark.venv
@pytest.mark.timeout(600)
def test_pytest_runs_in_a_project_that_installed_the_client_alone(
    bare_python: Path, tmp_path: Path
) -> None:
    project = _project(tmp_path / "project", "test_user.py", USER_TEST)

    result = _run(bare_python, "-m", "pytest", "-p", "no:cacheprovider", cwd=project)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "2 passed" in output
    assert "Error while loading plugin" not in output
    assert "starlette" not in output


@pytest.mark.venv
@pytest.mark.timeout(600)
def test_a_fixture_used_without_the_extra_names_the_install_command(
    bare_python: Path, tmp_path: Path
) -> None:
    project = _project(tmp_path / "project", "test_fixture.py", FIXTURE_TEST)

    result = _run(bare_python, "-m", "pytest", "-p", "no:cacheprovider", cwd=project)

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "1 error" in output
    assert 'pip install "i3x-client[server]"' in output
    assert "not reached" not in output
