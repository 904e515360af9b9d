"""`schema`: the JSON Schema of the SDK's models, printed or written to files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

import i3x

from ._session import Session

if TYPE_CHECKING:
    from i3x._models import WireModel

__all__ = ["schema", "model_named"]


def model_named(name: str) -> type[WireModel]:
    """A public model by name, case-insensitively (`serverinfo` is `ServerInfo`).

    Raises:
        typer.BadParameter: No such model; the message lists them.
    """
    # The models, and pydantic, only when the command runs: not for `i3x --help`.
    from i3x._models import PUBLIC_MODELS

    for model in PUBLIC_MODELS:
        if model.__name__.lower() == name.lower():
            return model
    names = ", ".join(m.__name__ for m in PUBLIC_MODELS)
    raise typer.BadParameter(f"no model {name!r}; one of: {names}", param_hint="'MODEL'")


def schema(
    ctx: typer.Context,
    model: Annotated[
        str | None,
        typer.Argument(
            metavar="MODEL",
            help="A model name such as LastKnownValue (any case); all models when omitted.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="Write one file per model (LastKnownValue.json...) into DIR, created if needed.",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
) -> None:
    """The JSON Schema of the i3X models (the wire form, with field descriptions).

    Without MODEL, one document holds every model under $defs; with --out, each
    model gets its own self-contained file.

    [bold]Examples[/bold]
      i3x schema LastKnownValue
      i3x schema > i3x-models.schema.json
      i3x schema --out schemas/
    """
    from i3x._models import PUBLIC_MODELS

    session = Session.of(ctx)
    chosen = [model_named(model)] if model is not None else list(PUBLIC_MODELS)
    with session.guard():
        if out is None:
            document = chosen[0].model_json_schema() if model else i3x.models_json_schema()
            _print_json(session, document)
            return
        out.mkdir(parents=True, exist_ok=True)
        written: list[str] = []
        for m in chosen:
            path = out / f"{m.__name__}.json"
            path.write_text(json.dumps(m.model_json_schema(), indent=2) + "\n", encoding="utf-8")
            written.append(str(path))
        if session.out.json_mode:
            session.out.json(written)
        else:
            for path_text in written:
                session.out.line(f"wrote {path_text}")


def _print_json(session: Session, document: dict[str, Any]) -> None:
    if session.out.json_mode or not session.out.console.is_terminal:
        session.out.json(document)
    else:
        from rich.syntax import Syntax  # pygments, only for a terminal

        text = json.dumps(document, indent=2, ensure_ascii=False)
        session.out.print(Syntax(text, "json", theme="ansi_dark", background_color="default"))
