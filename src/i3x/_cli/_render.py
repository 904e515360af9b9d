"""Models into rich tables, trees and CSV: everything the human output shows, without I/O."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Final

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

import i3x

__all__ = [
    "format_time",
    "format_value",
    "quality_text",
    "value_text",
    "info_table",
    "namespaces_table",
    "types_table",
    "relationships_table",
    "objects_table",
    "objects_tree",
    "value_rows",
    "values_table",
    "history_table",
    "history_csv",
    "sparkline",
    "change_line",
    "notice_line",
]

_QUALITY_STYLES: Final = {
    "good": "green",
    "goodnodata": "cyan",
    "uncertain": "yellow",
    "bad": "bold red",
}
_SPARKS: Final = "▁▂▃▄▅▆▇█"


# ------------------------------------------------------------------------- cells


def format_time(value: datetime | None) -> str:
    """RFC 3339 in UTC with milliseconds (`2025-06-01T08:00:00.000Z`); empty for none."""
    if value is None:
        return ""
    utc = value.astimezone(timezone.utc)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def format_value(value: Any) -> str:
    """A value as one line of text: JSON for structures, booleans and null."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def value_text(value: Any) -> Text:
    """A value as a table cell; a missing value is a dim dash."""
    if value is None:
        return Text("—", style="dim")
    return Text(format_value(value))


def quality_text(quality: str | None) -> Text:
    """A quality, coloured by what it means (on a terminal)."""
    if quality is None:
        return Text("")
    return Text(quality, style=_QUALITY_STYLES.get(quality.lower(), "magenta"))


def _yes(flag: bool) -> Text:
    return Text("yes", style="green") if flag else Text("no", style="dim")


def _table(*columns: str, title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for name in columns:
        table.add_column(name, overflow="fold")
    return table


# -------------------------------------------------------------------- exploration


def info_table(info: i3x.ServerInfo, url: str) -> Table:
    """The server's identity and capabilities."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    caps = info.capabilities
    rows: list[tuple[str, Text]] = [
        ("URL", Text(url)),
        ("Server", Text(info.server_name or "—")),
        ("Server version", Text(info.server_version or "—")),
        ("Spec version", Text(info.spec_version)),
        ("History queries", _yes(caps.query.history)),
        ("Current value writes", _yes(caps.update.current)),
        ("History writes", _yes(caps.update.history)),
        ("Streaming (SSE)", _yes(caps.subscribe.stream)),
    ]
    rows.extend((name, Text(format_value(value))) for name, value in info.model_extra.items())
    for name, cell in rows:
        table.add_row(name, cell)
    return table


def namespaces_table(namespaces: Iterable[i3x.Namespace]) -> Table:
    """Namespaces: URI and name."""
    table = _table("URI", "Name")
    for ns in namespaces:
        table.add_row(Text(ns.uri), Text(ns.display_name or ""))
    return table


def types_table(types: Iterable[i3x.ObjectType]) -> Table:
    """Object types: id, name, namespace and the JSON type of their values."""
    table = _table("Type", "Name", "Namespace", "Value type")
    for t in types:
        kind = t.schema.get("type", "")
        table.add_row(
            Text(t.element_id),
            Text(t.display_name or ""),
            Text(t.namespace_uri or "", style="dim"),
            Text(format_value(kind) if kind else "", style="cyan"),
        )
    return table


def relationships_table(types: Iterable[i3x.RelationshipType]) -> Table:
    """Relationship types with their reverse."""
    table = _table("Relationship", "Name", "Reverse", "Namespace")
    for r in types:
        table.add_row(
            Text(r.element_id),
            Text(r.display_name or ""),
            Text(r.reverse_of or ""),
            Text(r.namespace_uri or "", style="dim"),
        )
    return table


def objects_table(objects: Iterable[i3x.ObjectInstance]) -> Table:
    """Objects: id, name (compositions marked), type and parent."""
    table = _table("Element", "Name", "Type", "Parent")
    for o in objects:
        name = Text(o.display_name or "")
        if o.is_composition:
            name.append(" [composition]", style="magenta")
        table.add_row(
            Text(o.element_id),
            name,
            Text(o.type_id or "", style="cyan"),
            Text(o.parent_id or "", style="dim"),
        )
    return table


def _object_label(obj: i3x.ObjectInstance, *, component: bool) -> Text:
    label = Text()
    label.append(obj.display_name or obj.element_id, style="bold")
    label.append(f"  {obj.element_id}", style="dim" if obj.display_name else "")
    if obj.type_id:
        label.append(f"  {obj.type_id}", style="cyan")
    if obj.is_composition:
        label.append("  [composition]", style="magenta")
    if component:
        label.append("  [component]", style="blue")
    return label


def objects_tree(
    objects: Sequence[i3x.ObjectInstance], components: Mapping[str, Sequence[str]]
) -> Tree:
    """The organisational tree (`parentId`), each composition's components beneath it.

    Args:
        objects: The objects to show, in the server's order.
        components: Component ids by owner id (`HasComponent`); a component is
            shown beneath its owner even where its `parentId` says otherwise.
    """
    by_id = {o.element_id: o for o in objects}
    owner_of: dict[str, str] = {}
    for owner, members in components.items():
        for member in members:
            if member in by_id and owner in by_id and member != owner:
                owner_of.setdefault(member, owner)
    children: dict[str | None, list[str]] = {}
    for o in objects:
        parent = owner_of.get(o.element_id)
        if parent is None and o.parent_id in by_id and o.parent_id != o.element_id:
            parent = o.parent_id
        children.setdefault(parent, []).append(o.element_id)

    tree = Tree(Text("objects"), hide_root=True, guide_style="dim")
    placed: set[str] = set()

    def add(node: Tree, element_id: str) -> None:
        placed.add(element_id)
        branch = node.add(_object_label(by_id[element_id], component=element_id in owner_of))
        for child in children.get(element_id, []):
            if child not in placed:
                add(branch, child)

    for root in children.get(None, []):
        add(tree, root)
    for o in objects:  # parent cycles: show what no root reached at the top
        if o.element_id not in placed:
            add(tree, o.element_id)
    return tree


# ------------------------------------------------------------------------- values


def value_rows(
    values: Iterable[i3x.LastKnownValue], parents: Mapping[str, str | None] | None = None
) -> list[tuple[int, str, i3x.VQT | None]]:
    """Rows `(depth, element id, vqt)` with composition children beneath their owner.

    i3X 1.0 sends a composition's components flat, whatever their depth; where
    `parents` (element id to parent id, from the objects) knows a deeper owner
    among the rows, the child is put beneath it.
    """
    rows: list[tuple[int, str, i3x.VQT | None]] = []
    for top in values:
        rows.extend(_ValueTree(top, parents or {}).rows())
    return rows


class _ValueTree:
    """One value and its children, re-nested by the objects' parents."""

    def __init__(self, top: i3x.LastKnownValue, parents: Mapping[str, str | None]) -> None:
        self.top = top.element_id
        self.latest: dict[str, i3x.VQT | None] = {top.element_id: top.latest}
        self.natural: dict[str, str] = {}
        self.order: list[str] = []
        self._walk(top)
        self.kids: dict[str, list[str]] = {}
        for child_id in self.order:
            parent = parents.get(child_id)
            if parent is None or parent not in self.latest or parent == child_id:
                parent = self.natural[child_id]
            self.kids.setdefault(parent, []).append(child_id)

    def _walk(self, value: i3x.LastKnownValue) -> None:
        for child_id, child in value.children.items():
            if child_id in self.latest:
                continue
            self.natural[child_id] = value.element_id
            self.order.append(child_id)
            self.latest[child_id] = child.latest
            self._walk(child)

    def rows(self) -> list[tuple[int, str, i3x.VQT | None]]:
        out: list[tuple[int, str, i3x.VQT | None]] = []
        seen: set[str] = set()

        def emit(element_id: str, depth: int) -> None:
            seen.add(element_id)
            out.append((depth, element_id, self.latest[element_id]))
            for child_id in self.kids.get(element_id, []):
                if child_id not in seen:
                    emit(child_id, depth + 1)

        emit(self.top, 0)
        for child_id in self.order:  # parent cycles: what the top did not reach
            if child_id not in seen:
                emit(child_id, 1)
        return out


def values_table(
    rows: Iterable[tuple[int, str, i3x.VQT | None]], title: str | None = None
) -> Table:
    """Current values: element (children indented), value, quality, timestamp."""
    table = _table("Element", "Value", "Quality", "Timestamp", title=title)
    for depth, element_id, vqt in rows:
        name = Text("  " * depth + element_id, style="" if depth == 0 else "dim")
        if depth == 0:
            name.stylize("bold")
        if vqt is None:
            table.add_row(name, value_text(None), Text(""), Text(""))
        else:
            table.add_row(
                name,
                value_text(vqt.value),
                quality_text(vqt.quality),
                Text(format_time(vqt.timestamp)),
            )
    return table


def history_table(history: Sequence[i3x.VQT], title: str | None = None) -> Table:
    """A history, oldest first: timestamp, value, quality."""
    table = _table("Timestamp", "Value", "Quality", title=title)
    for vqt in history:
        table.add_row(
            Text(format_time(vqt.timestamp)), value_text(vqt.value), quality_text(vqt.quality)
        )
    return table


def history_csv(history: Iterable[i3x.VQT] | Mapping[str, Iterable[i3x.VQT]]) -> str:
    """A history as CSV with a header: `timestamp,value,quality` (structures as JSON).

    Several histories by element id (a deep read) get an `element` column first.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    by_element = history if isinstance(history, Mapping) else {None: history}
    many = isinstance(history, Mapping)
    writer.writerow(["element", "timestamp", "value", "quality"][0 if many else 1 :])
    for element_id, vqts in by_element.items():
        for vqt in vqts:
            value = "" if vqt.value is None else format_value(vqt.value)
            row = [format_time(vqt.timestamp), value, vqt.quality]
            writer.writerow([element_id, *row] if many else row)
    return buffer.getvalue()


def sparkline(values: Iterable[Any], width: int | None = None) -> str:
    """A one-line chart of the numbers among `values` (others are skipped).

    Args:
        values: The values, in order.
        width: At most this many characters: longer series are averaged in
            `width` equal slices. `None`: one character per number.
    """
    numbers = [
        float(v)
        for v in values
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    ]
    if width is not None and len(numbers) > width:
        count = len(numbers)
        slices = (numbers[i * count // width : (i + 1) * count // width] for i in range(width))
        numbers = [sum(s) / len(s) for s in slices]
    if not numbers:
        return ""
    low, high = min(numbers), max(numbers)
    span = high - low
    if span == 0:
        return _SPARKS[len(_SPARKS) // 2] * len(numbers)
    return "".join(_SPARKS[round((n - low) / span * (len(_SPARKS) - 1))] for n in numbers)


# ------------------------------------------------------------------- subscriptions


def change_line(element_id: str, vqt: i3x.VQT | None, width: int = 0) -> Text:
    """One line for a change: timestamp, element (padded to `width`), value, quality."""
    line = Text()
    line.append(format_time(vqt.timestamp if vqt is not None else None) or "-", style="dim")
    line.append("  ")
    line.append(element_id.ljust(width), style="bold")
    line.append("  ")
    line.append_text(value_text(vqt.value if vqt is not None else None))
    line.append("  ")
    line.append_text(quality_text(vqt.quality if vqt is not None else None))
    return line


def notice_line(notice: i3x.SubscriptionError) -> Text:
    """One line for a subscription notice: a drop, a gap, a re-created subscription."""
    if isinstance(notice, i3x.UpdatesLostError):
        count = f"{notice.count} " if notice.count is not None else ""
        return Text(
            f"! updates lost: {count}updates will not arrive ({notice})", style="bold yellow"
        )
    if isinstance(notice, i3x.SubscriptionLostError):
        return Text(
            f"! subscription re-created, changes meanwhile may be missing ({notice})",
            style="bold yellow",
        )
    if isinstance(notice, i3x.StreamError):
        return Text(f"! connection lost, reconnecting: {notice}", style="bold red")
    return Text(f"! {notice}", style="bold red")
