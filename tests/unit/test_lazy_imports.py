"""`import i3x` imports the errors only; the client, the models and their libraries come on first use.

Each check runs in a fresh interpreter: what a module imports shows in its
`sys.modules`, which this test process has long filled. Nothing here is timed
(the times are bench/'s: `python bench/run.py --only startup`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import i3x

# What a plain `import i3x` must not pull in: the HTTP and model libraries, the
# client itself, and the optional parts (the command line, the embedded server,
# code generation, pandas).
HEAVY = (
    "httpx",
    "httpx_sse",
    "pydantic",
    "pydantic_core",
    "tenacity",
    "i3x._client",
    "i3x._async_client",
    "i3x._models",
)
OPTIONAL = (
    "i3x._cli",
    "i3x.testing",
    "i3x.codegen",
    "i3x._codegen",
    "starlette",
    "uvicorn",
    "jsonschema",
    "typer",
    "rich",
    "pandas",
    "datamodel_code_generator",
)


def _modules_after(code: str) -> dict[str, object]:
    """Run `code` in a fresh interpreter; it sets `result`, returned with `modules` added."""
    script = textwrap.dedent(code) + textwrap.dedent(
        """
        import json as _json, sys as _sys
        result["modules"] = sorted(_sys.modules)
        print(_json.dumps(result))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", "result = {}\n" + script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return answer


def _loaded(modules: object, names: tuple[str, ...]) -> list[str]:
    assert isinstance(modules, list)
    return [m for m in modules if m in names or m.startswith(tuple(f"{n}." for n in names))]


def test_import_i3x_imports_neither_the_client_nor_its_libraries() -> None:
    answer = _modules_after("import i3x")
    assert _loaded(answer["modules"], HEAVY + OPTIONAL) == []


def test_the_errors_need_no_import_of_the_client() -> None:
    # What the command line and the pytest plugin use before any request.
    answer = _modules_after(
        """
        import i3x
        result["is_error"] = issubclass(i3x.NotFoundError, i3x.I3XError)
        result["module"] = i3x.NotFoundError.__module__
        """
    )
    assert answer["is_error"] is True
    assert answer["module"] == "i3x"
    assert _loaded(answer["modules"], HEAVY) == []


def test_the_client_imports_none_of_the_optional_parts() -> None:
    answer = _modules_after(
        """
        import i3x
        result["client"] = repr(i3x.Client)
        """
    )
    assert answer["client"] == "<class 'i3x.Client'>"
    assert _loaded(answer["modules"], ("i3x._client", "httpx", "pydantic")) != []
    # rich is left out: `import httpx` imports httpx's own command line, rich and
    # all, wherever rich and click are installed (they are here, for ours).
    ours = tuple(m for m in OPTIONAL if m != "rich")
    assert _loaded(answer["modules"], (*ours, "i3x._async_client")) == []


def test_the_pytest_plugin_imports_nothing_heavy() -> None:
    # Every pytest session of a project with i3x-client installed loads the plugin.
    answer = _modules_after("import i3x._pytest_plugin")
    assert _loaded(answer["modules"], HEAVY + OPTIONAL) == []


def test_names_imported_together_all_show_as_members_of_i3x() -> None:
    # The client's answers are models: however they were reached first, they read as
    # i3x.VQT, not i3x._models.VQT.
    answer = _modules_after(
        """
        import sys
        import i3x
        i3x.Client
        models = sys.modules["i3x._models"]
        result["shown"] = {n: getattr(models, n).__module__ for n in ("VQT", "ServerInfo")}
        result["bound"] = "VQT" in vars(i3x)
        """
    )
    assert answer["shown"] == {"VQT": "i3x", "ServerInfo": "i3x"}
    assert answer["bound"] is True


def test_dir_lists_every_public_name_before_any_is_used() -> None:
    answer = _modules_after(
        """
        import i3x
        result["missing"] = sorted(set(i3x.__all__) - set(dir(i3x)))
        """
    )
    assert answer["missing"] == []
    assert _loaded(answer["modules"], HEAVY) == []


def test_every_public_name_resolves_to_its_object() -> None:
    from i3x import _async_client, _models

    assert i3x.AsyncClient is _async_client.AsyncClient
    assert i3x.ObjectInstance is _models.ObjectInstance
    assert i3x.models_json_schema is _models.models_json_schema
    assert all(getattr(i3x, name) is not None for name in i3x.__all__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'i3x' has no attribute 'Clientt'"):
        i3x.Clientt  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(i3x, "_client_of_no_kind")


def test_field_descriptions_are_there_on_first_need() -> None:
    # Read from the attribute docstrings when first asked for, not when the models are
    # made: a subclass asked first still has its base's, in model_fields and the schema.
    answer = _modules_after(
        """
        import i3x
        schema = i3x.RelatedObject.model_json_schema()
        result["schema"] = {
            name: schema["properties"][name].get("description")
            for name in ("elementId", "sourceRelationship")
        }
        fields = i3x.RelatedObject.model_fields
        result["fields"] = {n: fields[n].description for n in ("element_id", "source_relationship")}
        result["base"] = i3x.ObjectInstance.model_fields["element_id"].description
        """
    )
    assert answer["schema"] == {
        "elementId": "Unique id of the object.",
        "sourceRelationship": (
            "The relationship type that leads from the queried object to this one."
        ),
    }
    assert answer["fields"] == {
        "element_id": "Unique id of the object.",
        "source_relationship": (
            "The relationship type that leads from the queried object to this one."
        ),
    }
    assert answer["base"] == "Unique id of the object."
