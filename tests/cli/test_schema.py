"""schema: one model, all models, or one file per model."""

from __future__ import annotations

import json
from pathlib import Path

import i3x
from i3x._models import PUBLIC_MODELS

from .conftest import Cli


def test_one_model_any_case(cli: Cli) -> None:
    out = cli("schema", "lastknownvalue")
    assert out.exit_code == 0, out.stderr
    schema = json.loads(out.stdout)
    assert schema == i3x.LastKnownValue.model_json_schema()
    body = schema["$defs"]["LastKnownValue"]  # a recursive model: the top is a $ref
    assert body["properties"]["elementId"]["description"]


def test_all_models_in_one_document(cli: Cli) -> None:
    schema = cli("schema").json()
    assert schema == i3x.models_json_schema()
    assert {"ServerInfo", "VQT", "ValueChange"} <= set(schema["$defs"])


def test_json_flag_prints_the_same(cli: Cli) -> None:
    assert cli("--json", "schema", "VQT").json() == i3x.VQT.model_json_schema()


def test_out_writes_one_file_per_model(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "schemas" / "nested"
    out = cli("schema", "--out", str(target))
    assert out.exit_code == 0, out.stderr
    names = sorted(p.name for p in target.iterdir())
    assert names == sorted(f"{m.__name__}.json" for m in PUBLIC_MODELS)
    written = json.loads((target / "ServerInfo.json").read_text(encoding="utf-8"))
    assert written == i3x.ServerInfo.model_json_schema()
    assert out.stdout.count("wrote ") == len(PUBLIC_MODELS)


def test_out_one_model_json(cli: Cli, tmp_path: Path) -> None:
    paths = cli("--json", "schema", "Subscription", "--out", str(tmp_path)).json()
    assert paths == [str(tmp_path / "Subscription.json")]
    assert json.loads(Path(paths[0]).read_text(encoding="utf-8"))["title"] == "Subscription"


def test_unknown_model_is_a_usage_error(cli: Cli) -> None:
    out = cli("schema", "Pump")
    assert out.exit_code == 2
    assert "no model 'Pump'" in out.stderr
    assert "LastKnownValue" in out.stderr


def test_out_onto_a_file_fails_cleanly(cli: Cli, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    out = cli("schema", "--out", str(blocker / "sub"))
    assert out.exit_code == 1
    assert out.stderr.startswith("error: ")
    assert "Traceback" not in out.stderr
