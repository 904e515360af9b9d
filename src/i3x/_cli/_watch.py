"""`watch`: live changes from a subscription, one line each, until Ctrl-C or `--count`."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Annotated, Any

import typer
from rich.text import Text

import i3x

from . import _render
from ._output import Output
from ._session import Session

__all__ = ["watch", "WatchMode", "notice_dict", "Watcher"]


class WatchMode(str, enum.Enum):
    """How changes arrive."""

    auto = "auto"
    stream = "stream"
    sync = "sync"


def watch(
    ctx: typer.Context,
    element_ids: Annotated[
        list[str], typer.Argument(metavar="ID", help="Element ids.", show_default=False)
    ],
    mode: Annotated[
        WatchMode,
        typer.Option(
            "--mode",
            "-m",
            help="stream: SSE (at most once); sync: polling (at least once); auto: stream when offered.",
        ),
    ] = WatchMode.auto,
    depth: Annotated[
        int,
        typer.Option(
            "--depth",
            "-d",
            metavar="N",
            min=0,
            help="Levels of composition children followed; 0 = all.",
        ),
    ] = 0,
    count: Annotated[
        int | None,
        typer.Option(
            "--count",
            "-c",
            min=1,
            metavar="N",
            help="Stop after N changes shown (for scripts; --json shows every change).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print live changes, one line each, until Ctrl-C (or --count changes).

    Each line is one element's new value, quality and timestamp. A composition's
    change carries all its components: only those with something new get a line
    (all of them the first time), so a line is always news. With --json every
    change is printed whole, as it came.

    A dropped connection, lost updates and a re-created subscription each get a
    line starting with '!' (on stdout, in order with the changes); so does the
    recovery. With --json every line is a JSON object: a change (the wire form
    of a value change) or a notice ({"notice": ..., "message": ...}).

    [bold]Examples[/bold]
      i3x watch pump-101-flow pt-304
      i3x watch pump-101 --depth 0 --mode sync
      i3x --json watch pt-304 --count 10 > changes.jsonl
    """
    session = Session.of(ctx)
    with session.guard():
        client = session.client
        client.connect()
        try:
            with client.subscription(
                element_ids, depth, mode=mode.value, display_name="i3x watch"
            ) as changes:
                session.out.note(
                    f"watching {len(element_ids)} element(s) by {changes.mode}; Ctrl-C to stop"
                )
                Watcher(session.out, count, width=max(map(len, element_ids))).run(changes)
        except KeyboardInterrupt:
            session.out.interrupted()
            session.out.note("stopped")


def notice_dict(notice: i3x.SubscriptionError) -> dict[str, Any]:
    """A subscription notice as a JSON object."""
    data: dict[str, Any] = {
        "notice": type(notice).__name__,
        "message": str(notice),
        "subscriptionId": notice.subscription_id,
    }
    if isinstance(notice, i3x.UpdatesLostError):
        data.update(first=notice.first, last=notice.last)
    return data


class Watcher:
    """Prints a subscription's events; says when a drop has been recovered from.

    A composition's change carries every component, changed or not, and the
    server may send a component's own change as well: each element gets a line
    only when its value, quality or timestamp differs from the last one shown
    for it, so that a line is always news. JSON lines keep every change whole.

    Args:
        out: Where to print.
        count: Stop after this many changes shown (`None`: until the stream ends). A
            table leaves out a change that brings nothing new, and does not count it.
        width: Pad element ids to this many characters, so that values line up.
    """

    def __init__(self, out: Output, count: int | None = None, *, width: int = 0) -> None:
        self.out = out
        self.count = count
        self.width = width
        self.changes = 0
        self._dropped = False
        self._shown: dict[str, i3x.VQT | None] = {}

    def run(self, events: Iterable[i3x.ValueChange | i3x.SubscriptionError]) -> None:
        """Print events until `count` changes arrived or the subscription closed."""
        if self.count is not None and self.changes >= self.count:
            return
        for event in events:
            self.show(event)
            if self.count is not None and self.changes >= self.count:
                return

    def show(self, event: i3x.ValueChange | i3x.SubscriptionError) -> None:
        """Print one event (and a recovery line first, after a drop)."""
        if isinstance(event, i3x.StreamError):
            self._dropped = True
            self._notice(event)
            return
        if self._dropped:
            self._dropped = False
            self._recovered()
        if isinstance(event, i3x.SubscriptionError):
            self._notice(event)
            return
        if self.out.json_mode:
            self.changes += 1
            self.out.json_line(event.to_dict())
            return
        news = self.news(event)
        if news:  # what shows nothing is no change to the reader: --count ignores it
            self.changes += 1
        # Components have longer ids than the watched elements: widen once for them.
        self.width = max([self.width, *(len(element_id) for element_id, _ in news)])
        for element_id, vqt in news:
            self.out.line(_render.change_line(element_id, vqt, self.width))

    def news(self, change: i3x.ValueChange) -> list[tuple[str, i3x.VQT | None]]:
        """The elements of `change` (it and its components) not shown as they are now.

        A component with nothing new is left out, and so is a composition's own
        VQT once shown (it rarely has one of its own: i3X gives it GoodNoData).
        """
        news: list[tuple[str, i3x.VQT | None]] = []

        def visit(
            element_id: str, vqt: i3x.VQT | None, children: dict[str, i3x.LastKnownValue]
        ) -> None:
            if element_id not in self._shown or self._shown[element_id] != vqt:
                self._shown[element_id] = vqt
                news.append((element_id, vqt))
            for child_id, child in children.items():
                visit(child_id, child.latest, child.children)

        visit(change.element_id, change.latest, change.children)
        return news

    def _notice(self, notice: i3x.SubscriptionError) -> None:
        if self.out.json_mode:
            self.out.json_line(notice_dict(notice))
        else:
            self.out.line(_render.notice_line(notice))

    def _recovered(self) -> None:
        if self.out.json_mode:
            self.out.json_line({"notice": "recovered", "message": "receiving changes again"})
        else:
            self.out.line(
                Text("! connection restored, receiving changes again", style="bold green")
            )
