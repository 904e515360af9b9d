"""The `i3x` command group: global options anywhere, help that reads cleanly, one-line errors.

Global options after the command: `i3x info --url URL --json` means `i3x --url
URL --json info`. Before parsing, every global option found after the command's
name (and its value) is moved in front of it, behind those already there, so that
when an option is given in both places the later one wins (as in kubectl and gh).
An option the command defines itself under the same name stays the command's.
This works on the group's own parameters and each command's, so a command added
later gets it without any code of its own.

Help: typer prints each docstring line as written and shows a type placeholder
(`<bool>`, `<int range>`, `<list[str]>`) for every parameter without a
metavar. Before a help is printed, prose paragraphs are joined into one line each
(rich then wraps them at the terminal's width; indented lines such as examples keep
their breaks), flags lose the placeholder, other options get a metavar named after
them, and arguments (already shown by name) lose the type column.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import typer
from typer.core import TyperArgument, TyperGroup

from ._errors import ExitCode, UsageProblem, one_line
from ._output import Output

__all__ = ["Group", "hoist_global_options", "reflow"]

GLOBAL_OPTIONS_NOTE: Final = (
    "Global options (--url, --token, --json, --verbose...: see 'i3x --help') "
    "may come before or after the command."
)
_HEADING: Final = re.compile(r"\[(\w+)\][^\[\]]*\[/\1?\]:?")


class Group(TyperGroup):
    """Typer's group, with global options anywhere and usage errors on one `error:` line."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        tidy_help(self)
        try:
            given = sys.argv[1:] if args is None else list(args)
            result = super().main(
                hoist_global_options(self, given),
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except typer.TyperException as exc:  # typer's click errors: usage, bad values
            code = exc.exit_code
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help is printed already
                return _finish(code, standalone_mode)
            Output().error(one_line(exc.format_message()) + _hint(exc))
        except typer.Abort:
            Output().error("aborted")
            code = ExitCode.ERROR
        else:
            code = result if isinstance(result, int) else ExitCode.OK
        return _finish(code, standalone_mode)


def _hint(exc: typer.TyperException) -> str:
    if exc.exit_code != ExitCode.USAGE:
        return ""
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else getattr(exc, "command", None)
    return f" (see '{command} --help')" if command else ""


def _finish(code: int, standalone_mode: bool) -> int:
    if standalone_mode:
        sys.exit(int(code))
    return code


# ----------------------------------------------------------------- global options


def _options(params: Iterable[Any]) -> dict[str, bool]:
    """Option names (long, short, `--no-` forms) to whether each takes a value."""
    names: dict[str, bool] = {}
    for param in params:
        if getattr(param, "param_type_name", None) != "option":
            continue
        takes_value = not (getattr(param, "is_flag", False) or getattr(param, "count", False))
        for name in (*param.opts, *param.secondary_opts):
            names[name] = takes_value
    return names


def _is_option(arg: str) -> bool:
    return arg.startswith("-") and arg != "-"


def hoist_global_options(group: TyperGroup, args: Sequence[str]) -> list[str]:
    """`args` with every global option after the command moved in front of it.

    Args:
        group: The group whose options are the global ones.
        args: The command line after the program's name.

    Returns:
        The arguments to parse: the options before the command, then the ones
        moved (in the order given, so that the later of two wins), then the
        command and the rest. Unchanged when there is no known command.

    Raises:
        UsageProblem: A global option after the command lacks its value.
    """
    global_options = _options(group.params)
    position = 0
    while position < len(args) and args[position] != "--" and _is_option(args[position]):
        position += 2 if global_options.get(args[position], False) else 1
    if position >= len(args) or args[position] not in group.commands:
        return list(args)
    name = args[position]
    moved, kept = _split(args[position + 1 :], global_options, group.commands[name])
    return [*args[:position], *moved, name, *kept]


def _split(
    rest: Sequence[str], global_options: Mapping[str, bool], command: Any
) -> tuple[list[str], list[str]]:
    """The global options among the arguments after a command, and the arguments that stay."""
    own = _options(command.params)
    subcommands: Mapping[str, Any] | None = getattr(command, "commands", None)
    moved: list[str] = []
    kept: list[str] = []
    position = 0
    while position < len(rest):
        arg = rest[position]
        position += 1
        if arg == "--":  # everything after it is an argument
            kept.extend(rest[position - 1 :])
            break
        if not _is_option(arg):
            kept.append(arg)
            # A nested group's first argument names its command, whose options follow.
            nested = subcommands.get(arg) if subcommands is not None else None
            if nested is not None:
                own = _options(nested.params)
            subcommands = getattr(nested, "commands", None)
            continue
        option, has_equals, _ = arg.partition("=")
        option = option if option.startswith("--") else arg
        if option in own:
            target = kept
            takes_value = own[option]
        elif option in global_options:
            target = moved
            takes_value = global_options[option]
        else:  # unknown: the command reports it
            kept.append(arg)
            continue
        target.append(arg)
        if takes_value and not has_equals:
            if position >= len(rest):
                if target is moved:
                    raise UsageProblem(f"Option '{arg}' requires an argument.", "i3x")
                break
            target.append(rest[position])
            position += 1
    return moved, kept


# -------------------------------------------------------------------------- help


class _Argument(TyperArgument):
    """An argument shown by its name alone: no type placeholder beside it."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def tidy_help(group: TyperGroup) -> None:
    """Make every help of `group` read cleanly at any width (see the module docstring)."""
    ctx = typer.Context(group, help_option_names=group.context_settings.get("help_option_names"))
    group.help = reflow(group.help)
    _tidy_params(group, ctx)
    for command in group.commands.values():
        _tidy_command(command, ctx)


def _tidy_command(command: Any, parent: typer.Context) -> None:
    command.help = reflow(command.help)
    epilog = command.epilog or ""
    if GLOBAL_OPTIONS_NOTE not in epilog:
        command.epilog = f"{epilog}\n\n{GLOBAL_OPTIONS_NOTE}" if epilog else GLOBAL_OPTIONS_NOTE
    ctx = typer.Context(command, parent=parent)
    _tidy_params(command, ctx)
    for subcommand in getattr(command, "commands", {}).values():
        _tidy_command(subcommand, ctx)


def _tidy_params(command: Any, ctx: typer.Context) -> None:
    # The help option is made on first use and then kept: made now, it is the one shown.
    for param in [*command.params, command.get_help_option(ctx)]:
        if isinstance(param, TyperArgument):
            # typer shows an argument's type whatever its metavar; no setting hides it.
            param.__class__ = _Argument
        elif getattr(param, "param_type_name", None) == "option" and param.metavar is None:
            param.metavar = _metavar(param)


def _metavar(option: Any) -> str:
    if getattr(option, "is_flag", False) or getattr(option, "count", False):
        return ""
    descriptor = getattr(option, "type_descriptor", None)
    choices = getattr(descriptor, "choices", None) if descriptor is not None else None
    if choices:
        return "|".join(str(getattr(c, "value", c)) for c in choices)
    return str(option.name).upper()


def reflow(text: str | None) -> str | None:
    """Help text whose prose paragraphs are each one line, for rich to wrap.

    A line that starts with a space (an example, a table) or follows such a line,
    a line after a heading such as `[bold]Examples[/bold]`, and paragraphs that
    start with click's `\\b` keep their line breaks.
    """
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    joined = [_join_lines(p) if not p.startswith("\b") else p for p in paragraphs]
    summary, *rest = joined
    if not rest:
        return summary
    # typer dedents what follows the summary by the indentation its lines share: a
    # leading blank line gives it nothing to share, so that examples stay indented.
    return summary + "\n\n\n" + "\n\n".join(rest)


def _join_lines(paragraph: str) -> str:
    lines = paragraph.strip("\n").split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        previous = out[-1]
        keep_break = (
            not line.strip()
            or line[:1].isspace()
            or previous[:1].isspace()
            or _HEADING.fullmatch(previous.strip()) is not None
        )
        if keep_break:
            out.append(line)
        else:
            out[-1] = f"{previous} {line.strip()}"
    return "\n".join(out)
