"""`codegen`: the server's object types as a Python module of pydantic models."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

import i3x

from ._errors import ExitCode
from ._session import Session

__all__ = ["codegen", "TypedRead", "typed_read"]


def codegen(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            help="Write the module to FILE instead of stdout.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", metavar="URI", help="Only this namespace's types."),
    ] = None,
) -> None:
    """Write the server's object types as Python types (needs the 'codegen' extra).

    One pydantic model per type whose schema describes a structured value, named
    after the type, with the schema's descriptions as docstrings; MODELS maps each
    type's element id to its Python type (float, int, str... for scalar types).
    Read values as them: client.get_value(ID).value_as(TemperatureSetpoint).
    With --json: a report, and the module's source when there is no --out.

    [bold]Examples[/bold]
      i3x codegen --out plant.py
      i3x codegen --namespace https://isa.org/isa95 > isa95.py
    """
    # Imported here: `i3x --help` should not pay for the code generation's imports.
    from i3x._codegen import EXTRA_HINT, build

    session = Session.of(ctx)
    try:
        import datamodel_code_generator  # noqa: F401
    except ImportError:
        session.out.error(EXTRA_HINT)
        raise typer.Exit(ExitCode.ERROR) from None
    with session.guard():
        with session.out.busy("Reading object types…"):
            found = session.client.get_object_types(namespace)
            known = [n.uri for n in session.client.get_namespaces()] if not found else []
        if namespace is not None and not found:
            # Most likely a mistyped URI: an empty module would hide it.
            said = "the server has none" if namespace not in known else "it has no object types"
            listed = ", ".join(known) if known else "none"
            session.out.error(
                f"no object types in namespace {namespace!r} ({said}); its namespaces: {listed}"
            )
            raise typer.Exit(ExitCode.NOT_FOUND)
        with session.out.busy(f"Writing models for {len(found)} object types…"):
            module = build(found, namespace_uri=namespace, source=session.client.base_url)
        for element_id, reason in module.fallbacks.items():
            session.out.note(f"note: {element_id}: {reason}")
        if out is not None:
            out.write_text(module.source, encoding="utf-8")
        report = {"objectTypes": module.types, "models": module.models}
        if session.out.json_mode:
            where = {"out": str(out)} if out is not None else {"source": module.source}
            session.out.json({**where, **report, "fallbacks": module.fallbacks})
        elif out is None:
            sys.stdout.write(module.source)
            sys.stdout.flush()
        else:
            session.out.line(f"wrote {out}: {module.types} object types, {module.models} models")


@dataclasses.dataclass(frozen=True)
class TypedRead:
    """An element's value read as the model `i3x codegen` writes for its type (the tour)."""

    types: int
    """How many object types the server has."""
    models: int
    """How many of them got a model."""
    class_source: str
    """The source of the element's model, as written."""
    value: Any
    """The element's value, read as that model."""


def typed_read(client: i3x.Client, element_id: str) -> TypedRead | None:
    """Generate the server's types in memory and read `element_id` as its model.

    Returns:
        What happened, or `None` without the `codegen` extra.
    """
    import ast

    from i3x._codegen import build, load

    try:
        module = build(client.get_object_types(), source=client.base_url)
    except ImportError:
        return None
    types = load(module.source, "i3x_tour_types")
    model = types.MODELS[client.get_object(element_id).type_id]
    tree = ast.parse(module.source)
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == model.__name__)
    class_source = ast.get_source_segment(module.source, node) or ""
    value = client.get_value(element_id).value_as(model)
    return TypedRead(module.types, module.models, class_source, value)
