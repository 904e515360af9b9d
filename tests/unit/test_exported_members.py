"""``i3x.__all__`` lists exactly the public names (as httpx's test_exported_members)."""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import types
from pathlib import Path

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
