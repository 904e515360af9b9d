"""The docstrings the API reference renders are Markdown, with no Sphinx or reST markup left.

The site renders docstrings with mkdocstrings as Markdown (Google sections); a
Sphinx role such as :class:`~i3x.VQT` or an ``inline literal`` shows there as
stray colons and backticks. Links are autorefs: [`VQT`][i3x.VQT]. The docstrings
are read statically with griffe, as mkdocstrings reads them: every public name of
`i3x` and `i3x.testing`, and every public member of those that are classes,
inherited ones included.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import griffe

import i3x
import i3x.testing

ROOT = Path(__file__).resolve().parent.parent
ROLE = re.compile(r":(?:py:)?[a-z]+:`[^`]+`")
INLINE_LITERAL = re.compile(r"(?<!`)``(?!`)[^`\n]+``(?!`)")
LITERAL_BLOCK = re.compile(r"::\s*$")
FENCE = re.compile(r"^\s*```(\w*)")


@cache
def _public_docstrings() -> dict[str, str]:
    """Identifier to docstring, for every docstring the reference shows."""
    loaded = griffe.load("i3x", search_paths=[str(ROOT / "src")], resolve_aliases=True)
    assert isinstance(loaded, griffe.Module)
    package: griffe.Module = loaded
    found: dict[str, str] = {}

    def visit(obj: griffe.Object | griffe.Alias, identifier: str) -> None:
        if isinstance(obj, griffe.Alias):
            try:
                obj = obj.final_target
            except (griffe.AliasResolutionError, griffe.CyclicAliasError):
                return  # something of another package (a typing construct, say)
        if identifier in found:
            return
        found[identifier] = obj.docstring.value if obj.docstring else ""
        if isinstance(obj, griffe.Class):
            for name, member in obj.all_members.items():
                if not name.startswith("_") or name == "__init__":
                    visit(member, f"{identifier}.{name}")

    for module, names in (("i3x", i3x.__all__), ("i3x.testing", i3x.testing.__all__)):
        container = package.modules_collection[module]
        visit(container, module)
        for name in names:
            visit(container[name], f"{module}.{name}")
    return found


def _outside_code(docstring: str) -> list[str]:
    """The docstring's lines that are text: fenced code blocks left out."""
    lines, fenced = [], False
    for line in docstring.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def test_the_walk_sees_the_public_api() -> None:
    docstrings = _public_docstrings()
    # Members defined on a private base class count too (Client's come from BaseClient).
    assert {"i3x.Client.get_value", "i3x.AsyncClient.get_info", "i3x.VQT.to_dict"} <= set(
        docstrings
    )
    assert "max_depth" in docstrings["i3x.Client.get_value"]
    assert len(docstrings) > 300


def test_public_docstrings_have_no_sphinx_roles_or_rest_markup() -> None:
    offenders = [
        f"{identifier}: {line.strip()}"
        for identifier, docstring in _public_docstrings().items()
        for line in _outside_code(docstring)
        if ROLE.search(line) or INLINE_LITERAL.search(line) or LITERAL_BLOCK.search(line)
    ]
    assert not offenders, (
        "Sphinx/reST markup in docstrings the site renders (use Markdown `code` and "
        "autorefs links such as [`VQT`][i3x.VQT]):\n" + "\n".join(offenders)
    )


def test_python_examples_in_public_docstrings_are_python() -> None:
    """They are fragments (`client` is whatever client you hold), so they compile, not run."""
    failures = []
    for identifier, docstring in _public_docstrings().items():
        language: str | None = None
        block: list[str] = []
        for line in docstring.splitlines():
            fence = FENCE.match(line)
            if fence and language is None:
                language, block = fence.group(1) or "text", []
            elif fence:
                if language == "python":
                    try:
                        compile(
                            "\n".join(block),
                            identifier,
                            "exec",
                            flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                            dont_inherit=True,
                        )
                    except SyntaxError as exc:
                        failures.append(f"{identifier}: {exc}")
                language = None
            else:
                block.append(line)
    assert not failures, failures
