"""``i3x.__all__`` lists exactly the public names (as httpx's test_exported_members)."""

from __future__ import annotations

import builtins
import types

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
