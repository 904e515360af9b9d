"""codegen: the server's types as a Python module, and the user's path through it.

The user's path runs the README's example against the demo plant: `i3x codegen --out
plant.py`, then typed code reading through the models passes `mypy --strict` and runs.
"""

from __future__ import annotations

import re
import subprocess
import sys
import typing
from collections.abc import Callable
from pathlib import Path

import pytest

import i3x
import i3x.codegen
from i3x.testing import AddressSpace, DemoServer

from .conftest import Cli, invoke

ROOT = Path(__file__).resolve().parent.parent.parent
_MAIN = "import sys; sys.argv[0] = 'i3x'; from i3x._cli import main; main()"
_NO_GENERATOR = "import sys; sys.modules['datamodel_code_generator'] = None; "


def _readme_example(marker: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks: list[str] = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    found = [block for block in blocks if marker in block]
    assert len(found) == 1, marker
    return found[0]


def _mypy_strict(*paths: Path, cache: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file=",  # no project configuration: what a user's strict run sees
            "--cache-dir",
            str(cache),
            "--no-color-output",
            *map(str, paths),
        ],
        cwd=paths[0].parent,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _python(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_users_path(
    plant: Cli,
    i3x_server: DemoServer,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    out = plant("codegen", "--out", str(tmp_path / "plant.py"))
    assert out.exit_code == 0, out.stderr
    assert out.stdout == f"wrote {tmp_path / 'plant.py'}: 19 object types, 10 models\n"
    app = tmp_path / "app.py"
    example = _readme_example("from plant import")
    app.write_text(example.replace("http://localhost:8080", i3x_server.url), encoding="utf-8")

    _mypy_strict(app, tmp_path / "plant.py", cache=tmp_path_factory.getbasetemp() / "mypy-cache")
    done = _python(str(app), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "72.0 °C, auto"
    assert lines[1].startswith("pump-101-state mode='running' since=datetime.datetime(")


def test_to_stdout_by_default(plant: Cli, i3x_server: DemoServer) -> None:
    out = plant("codegen")
    assert out.exit_code == 0, out.stderr
    assert out.stderr == ""
    assert "class TemperatureSetpoint(BaseModel):" in out.stdout
    with i3x.Client(i3x_server.url) as client:
        expected = i3x.codegen.generate(client.get_object_types(), source=client.base_url)
    assert out.stdout == expected
    assert i3x_server.url in out.stdout  # the docstring says where the types came from


def test_out_with_json_reports_what_it_wrote(plant: Cli, tmp_path: Path) -> None:
    target = tmp_path / "types.py"
    report = plant("--json", "codegen", "-o", str(target)).json()
    assert report == {"out": str(target), "objectTypes": 19, "models": 10, "fallbacks": {}}
    module = i3x.codegen.load(target.read_text(encoding="utf-8"))
    assert module.MODELS["pump-state-type"] is module.PumpState


def test_json_without_out_carries_the_source(plant: Cli) -> None:
    report = plant("--json", "codegen").json()
    assert set(report) == {"source", "objectTypes", "models", "fallbacks"}
    assert i3x.codegen.load(report["source"]).MODELS["level-type"] is float


def test_namespace_limits_the_types(plant: Cli) -> None:
    out = plant("codegen", "--namespace", "https://isa.org/isa95")
    assert out.exit_code == 0, out.stderr
    module = i3x.codegen.load(out.stdout)
    assert list(module.MODELS) == ["site-type", "area-type", "production-line-type"]


def test_a_namespace_without_types_is_an_error_that_lists_the_servers(plant: Cli) -> None:
    # A mistyped URI would otherwise write an empty module and succeed.
    out = plant("codegen", "--namespace", "https://isa.org/isa-95")
    assert out.exit_code == 5
    assert out.stdout == ""
    (line,) = out.stderr.splitlines()
    assert "no object types in namespace 'https://isa.org/isa-95' (the server has none)" in line
    assert "https://isa.org/isa95" in line


def test_a_type_it_cannot_express_is_a_note(
    i3x_server_factory: Callable[..., DemoServer],
) -> None:
    space = AddressSpace()
    space.add_namespace("urn:test", "Test")
    space.add_object_type(
        "remote-type",
        "Remote",
        namespace_uri="urn:test",
        schema={"type": "object", "properties": {"x": {"$ref": "https://example.com/x.json"}}},
    )
    space.add_object_type(
        "point-type",
        "Point",
        namespace_uri="urn:test",
        schema={"type": "object", "properties": {"x": {"type": "number"}}},
    )
    server = i3x_server_factory(space)
    out = invoke("--url", server.url, "codegen")
    assert out.exit_code == 0, out.stderr
    assert out.stderr == (
        "note: remote-type: its schema refers to 'https://example.com/x.json', outside "
        "itself; typed dict[str, Any]\n"
    )
    module = i3x.codegen.load(out.stdout)
    assert typing.get_origin(module.MODELS["remote-type"]) is dict
    assert module.Point(x=1.0).x == 1.0


def test_unwritable_out_is_one_error_line(plant: Cli, tmp_path: Path) -> None:
    out = plant("codegen", "--out", str(tmp_path / "missing" / "plant.py"))
    assert out.exit_code == 1
    assert out.stderr.startswith("error: ")
    assert len(out.stderr.splitlines()) == 1


def test_without_the_codegen_extra(i3x_server: DemoServer) -> None:
    done = _python("-c", _NO_GENERATOR + _MAIN, "--url", i3x_server.url, "codegen")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        'error: code generation needs the codegen extra: pip install "i3x-client[codegen]"'
    )


def test_the_tour_without_the_codegen_extra_says_what_to_install() -> None:
    done = _python("-c", _NO_GENERATOR + _MAIN, "tour", "--seconds", "0")
    assert done.returncode == 0, done.stderr
    assert "6. The plant's own types as Python types" in done.stdout
    assert 'pip install "i3x-client[codegen]"' in done.stdout
    # Checked writes need no generated code: the refused write is shown all the same.
    assert "i3x.ValueValidationError: the value of 'tank-201-setpoint'" in done.stdout
