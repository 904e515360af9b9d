"""Exploring the address space: `info`, `namespaces`, `types`, `relationships`, `objects`."""

from __future__ import annotations

from typing import Annotated

import typer

import i3x

from . import _render
from ._session import Session

__all__ = [
    "info",
    "namespaces",
    "types",
    "relationships",
    "objects",
    "components_of",
    "with_components",
]


def info(ctx: typer.Context) -> None:
    """The server: spec version, name, version and optional capabilities.

    [bold]Examples[/bold]
      i3x info
      i3x --json info | jq .capabilities
    """
    session = Session.of(ctx)
    with session.guard():
        server = session.client.connect()
        if session.out.json_mode:
            session.out.json(server.to_dict())
        else:
            session.out.print(_render.info_table(server, session.client.base_url))


def namespaces(ctx: typer.Context) -> None:
    """The namespaces that organise the types.

    [bold]Example[/bold]
      i3x namespaces
    """
    session = Session.of(ctx)
    with session.guard():
        found = session.client.get_namespaces()
        if session.out.json_mode:
            session.out.json([ns.to_dict() for ns in found])
        else:
            session.out.print(_render.namespaces_table(found))


def types(
    ctx: typer.Context,
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", metavar="URI", help="Only this namespace's types."),
    ] = None,
) -> None:
    """The object types (with --json: each type's JSON Schema too).

    [bold]Examples[/bold]
      i3x types
      i3x types --namespace https://isa.org/isa95
      i3x --json types | jq '.[] | select(.elementId == "pump-type").schema'
    """
    session = Session.of(ctx)
    with session.guard():
        found = session.client.get_object_types(namespace)
        if session.out.json_mode:
            session.out.json([t.to_dict() for t in found])
        else:
            session.out.print(_render.types_table(found))


def relationships(
    ctx: typer.Context,
    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace", "-n", metavar="URI", help="Only this namespace's relationship types."
        ),
    ] = None,
) -> None:
    """The relationship types, each with its reverse.

    [bold]Example[/bold]
      i3x relationships
    """
    session = Session.of(ctx)
    with session.guard():
        found = session.client.get_relationship_types(namespace)
        if session.out.json_mode:
            session.out.json([r.to_dict() for r in found])
        else:
            session.out.print(_render.relationships_table(found))


def objects(
    ctx: typer.Context,
    type_id: Annotated[
        str | None, typer.Option("--type", "-t", metavar="ID", help="Only objects of this type.")
    ] = None,
    root: Annotated[bool, typer.Option("--root", help="Only root objects (no parent).")] = False,
    tree: Annotated[
        bool,
        typer.Option(
            "--tree", help="Show the organisational tree, components beneath their owner."
        ),
    ] = False,
) -> None:
    """The objects (instances): a table, or the organisational tree.

    The tree follows each object's parent; a composition's components (HasComponent)
    are shown beneath it and marked \\[component]. With --type or --root, the tree
    reads each object's components too, so that a composition is shown whole.

    [bold]Examples[/bold]
      i3x objects
      i3x objects --tree
      i3x objects --type pump-type
      i3x --json objects --root | jq -r '.[].elementId'
    """
    session = Session.of(ctx)
    with session.guard():
        with session.out.busy("Reading objects…") as step:
            found = session.client.get_objects(
                type_id, include_metadata=tree, root=True if root else None
            )
            if tree and not session.out.json_mode and (type_id is not None or root):
                step("Reading their components…")
                found = with_components(session.client, found)
        if session.out.json_mode:
            session.out.json([o.to_dict() for o in found])
        elif tree:
            session.out.print(_render.objects_tree(found, components_of(found)))
        else:
            session.out.print(_render.objects_table(found))


def with_components(
    client: i3x.Client, found: list[i3x.ObjectInstance]
) -> list[i3x.ObjectInstance]:
    """`found` and every component of theirs, and of those, that `found` lacks.

    A filtered read (`--type`, `--root`) returns the compositions alone; their
    tree is only whole with their components (one request per level of nesting).
    Components the server cannot find are left out.
    """
    objects = list(found)
    known = {o.element_id for o in objects}
    latest = objects
    while True:
        missing = [
            member
            for members in components_of(latest).values()
            for member in members
            if member not in known
        ]
        if not missing:
            return objects
        try:
            latest = client.list_objects(list(dict.fromkeys(missing)), include_metadata=True)
        except i3x.BulkError as exc:
            latest = [o for o in exc.results.values() if isinstance(o, i3x.ObjectInstance)]
        known.update(missing)
        objects.extend(latest)


def components_of(found: list[i3x.ObjectInstance]) -> dict[str, list[str]]:
    """Component ids by owner id, from the objects' metadata (`HasComponent`).

    Objects read without metadata, or from a server that does not list
    relationships there, give an empty map: the tree then follows `parentId` alone.
    """
    components: dict[str, list[str]] = {}
    for o in found:
        related = o.metadata.relationships if o.metadata is not None else None
        members = related.get("HasComponent") if related else None
        if not isinstance(members, list):
            continue
        for member in members:
            member_id = member.get("elementId") if isinstance(member, dict) else member
            if isinstance(member_id, str):
                components.setdefault(o.element_id, []).append(member_id)
    return components
