"""``i3x.__all__`` lists exactly the public names (as httpx's test_exported_members)."""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import types
from pathlib import Path

import pytest

import i3x


def test_every_name_in_all_exists() -> None:
    missing = [name for name in i3x.__all__ if not hasattr(i3x, name)]
    assert missing == []


def test_all_has_no_duplicates() -> None:
    assert len(i3x.__all__) == len(set(i3x.__all__))


def test_every_public_attribute_is_in_all() -> None:
    # Submodules (i3x.testing once imported) are reached by import, not listed.
    public = {
        name
        for name, value in vars(i3x).items()
        # "@py_builtins"-style names are pytest's assertion rewriting, not ours.
        if not name.startswith(("_", "@"))
        and not (isinstance(value, types.ModuleType) and value.__name__.startswith("i3x."))
    }
    assert public - set(i3x.__all__) == set()


def test_version_is_exported() -> None:
    assert "__version__" in i3x.__all__
    assert isinstance(i3x.__version__, str)
    assert i3x.__version__


def test_public_classes_show_as_members_of_i3x() -> None:
    for name in ("Client", "VQT", "LastKnownValue", "NotFoundError", "BulkError", "SyncResult"):
        assert getattr(i3x, name).__module__ == "i3x", name


def test_seed_error_names_do_not_replace_builtins() -> None:
    assert vars(builtins)["ConnectionError"] is not i3x.ConnectionError
    assert vars(builtins)["TimeoutError"] is not i3x.TimeoutError
    assert issubclass(i3x.TimeoutError, i3x.ConnectionError)
    assert issubclass(i3x.ConnectionError, i3x.I3XError)


def test_seed_api_names_exist() -> None:
    # The seed README's models and errors.
    for name in (
        "Namespace",
        "ObjectType",
        "RelationshipType",
        "ObjectInstance",
        "VQT",
        "LastKnownValue",
        "ValueChange",
        "Subscription",
        "I3XError",
        "ConnectionError",
        "AuthenticationError",
        "NotFoundError",
        "ServerError",
        "TimeoutError",
        "SubscriptionError",
        "StreamError",
    ):
        assert name in i3x.__all__, name


def _private_imports() -> list[tuple[str, str, str]]:
    """Every `from .module import name` inside the package: (importer, module, name)."""
    root = Path(i3x.__file__).parent
    found: list[tuple[str, str, str]] = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        importer = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level and node.module:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, node.module])
                found += [(importer, module, alias.name) for alias in node.names]
    return found


def test_private_modules_list_what_other_modules_take_from_them() -> None:
    # Each private module's __all__ says what it offers the rest of the package.
    missing = []
    for importer, module, name in _private_imports():
        imported = importlib.import_module(module)
        is_package = hasattr(imported, "__path__")
        if is_package and importlib.util.find_spec(f"{module}.{name}") is not None:
            continue  # a submodule, not a name
        if name not in getattr(imported, "__all__", ()):
            missing.append(f"{importer} takes {name} from {module}")
    assert missing == []


def test_the_reference_clients_value_names_are_last_known_value() -> None:
    # i3x-client 1.0.0 exports CurrentValue and HistoricalValue from i3x.
    assert {"CurrentValue", "HistoricalValue"} <= set(i3x.__all__)
    assert i3x.CurrentValue is i3x.HistoricalValue is i3x.LastKnownValue


# The 1.0 reference client's public modules, and the names its README and tests import.
REFERENCE_IMPORTS = {
    "i3x.models": (
        "CurrentValue",
        "HistoricalValue",
        "Namespace",
        "ObjectInstance",
        "ObjectInstanceMetadata",
        "ObjectType",
        "RelatedObject",
        "RelationshipType",
        "ServerInfo",
        "Subscription",
        "SyncBatch",
        "ValueChange",
        "VQT",
    ),
    "i3x.errors": (
        "I3XError",
        "ConnectionError",
        "AuthenticationError",
        "NotFoundError",
        "ServerError",
        "TimeoutError",
        "NotSupportedError",
        "SubscriptionError",
        "StreamError",
        "UnsupportedVersionError",
        "InvalidServerResponseError",
        "for_status",
    ),
    "i3x.client": ("Client",),
}


@pytest.mark.parametrize("module_name", sorted(REFERENCE_IMPORTS))
def test_the_reference_clients_modules_export_its_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert set(REFERENCE_IMPORTS[module_name]) <= set(module.__all__)
    assert len(module.__all__) == len(set(module.__all__))
    # "@py_builtins"-style names are pytest's assertion rewriting, not ours.
    public = {n for n in vars(module) if not n.startswith(("_", "@"))}
    assert public == set(module.__all__), "each module lists exactly what it holds"
    for name in module.__all__:
        # The same objects as i3x's: one class per model, error and client.
        if name in i3x.__all__:
            assert getattr(module, name) is getattr(i3x, name), name


def test_models_and_errors_cover_the_packages_models_and_errors() -> None:
    import i3x.errors
    import i3x.models

    models = {
        n
        for n in i3x.__all__
        if isinstance(getattr(i3x, n), type) and hasattr(getattr(i3x, n), "from_dict")
    }
    assert models | {"Quality", "models_json_schema"} <= set(i3x.models.__all__)
    errors = {
        n
        for n in i3x.__all__
        if isinstance(getattr(i3x, n), type) and issubclass(getattr(i3x, n), Exception | Warning)
    }
    assert errors <= set(i3x.errors.__all__)


def test_for_status_maps_as_the_reference_clients() -> None:
    from i3x.errors import for_status

    assert for_status(401) is for_status(403) is i3x.AuthenticationError
    assert for_status(404) is i3x.NotFoundError
    assert for_status(501) is i3x.NotSupportedError
    assert for_status(500) is for_status(503) is i3x.ServerError
    assert issubclass(for_status(418), i3x.I3XError)
