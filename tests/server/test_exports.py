"""i3x.testing shows exactly the names in its __all__, under its own module name."""

from __future__ import annotations

import i3x.testing


def test_all_lists_exactly_the_public_names() -> None:
    # pytest's assertion rewriting adds names such as "@py_builtins" to plugin packages.
    public = {n for n in dir(i3x.testing) if n.isidentifier() and not n.startswith("_")}
    assert public == set(i3x.testing.__all__)


def test_public_classes_claim_the_public_module() -> None:
    for name in ("DemoServer", "AddressSpace", "Capabilities", "Faults", "Reading"):
        assert getattr(i3x.testing, name).__module__ == "i3x.testing"
