"""The plant's own types as Python types: `i3x codegen` and `i3x.codegen.generate()`.

Every i3X object type carries the JSON Schema of its instances' values. `generate()`
turns a listing of types into the source of one Python module:

- one pydantic model per type whose schema describes a structured value, named after
  the type's display name (made a valid, unique class name), with the schema's
  descriptions as docstrings and the type's element id and namespace as the class
  variables `i3x_element_id` and `i3x_namespace_uri`;
- `MODELS`, mapping every type's element id to the Python type of its values: its
  model, or `float`, `int`, `str`, `bool`... for a scalar type, `object` for a schema
  that accepts anything.

datamodel-code-generator writes the models (the `codegen` extra), for all types in one
run: each type's schema goes in as an entry of one document's `$defs` (its own `$defs`
hoisted beside it, references rewritten), and a root object referring to every entry
first reserves the types' class names, so that a nested model never takes the name of
a type. One run over 2,877 types takes 4 to 8 s; a run per type would take 80 s
(`bench/codegen.py`).

A type whose schema the generator cannot express (it fails on it, or the code it writes
does not import) is found by bisection and falls back to `dict[str, Any]` (or `object`
for a schema that is not an object) with a comment saying why; it never fails the
module. The written code is imported once, in a module of its own, to prove that.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import json
import keyword
import re
import sys
import types
import unicodedata
import urllib.parse
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import count
from typing import Any, Final

from ._models import ObjectType
from ._version import __version__

__all__ = ["EXTRA_HINT", "Module", "build", "generate", "load"]

EXTRA_HINT: Final = 'code generation needs the codegen extra: pip install "i3x-client[codegen]"'

_PYTHON_TYPES: Final = {
    "string": "str",
    "number": "float",
    "integer": "int",
    "boolean": "bool",
    "null": "type(None)",
}
_STRING_FORMATS: Final = {"date-time": "_datetime.datetime", "date": "_datetime.date"}

# Keywords that constrain a value; a schema with none of them accepts any JSON value.
_CONSTRAINING: Final = frozenset(
    {
        "type",
        "properties",
        "patternProperties",
        "additionalProperties",
        "required",
        "items",
        "prefixItems",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "enum",
        "const",
        "$ref",
        "if",
    }
)

# Where a JSON Schema keeps its subschemas.
_SCHEMA_MAPS: Final = (
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
)
_SCHEMA_LISTS: Final = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
_SCHEMA_ONE: Final = (
    "items",
    "additionalItems",
    "additionalProperties",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
)

_RESERVED_NAMES: Final = frozenset({"MODELS"})
_ELEMENT_ID: Final = "i3x_element_id"
_NAMESPACE: Final = "i3x_namespace_uri"


class _Unexpressible(Exception):
    """A schema the generator is not given: the message says why."""


class _Failed(Exception):
    """The generator failed on a set of types, or wrote code that does not import."""


@dataclasses.dataclass
class _Entry:
    """One object type on its way into the module."""

    object_type: ObjectType
    name: str
    """The class name asked for (the generator may change it: see `cls`)."""
    python: str | None = None
    """The `MODELS` value when the type gets no model: `float`, `object`..."""
    note: str | None = None
    """The comment beside the type in `MODELS`."""
    defs: dict[str, Any] = dataclasses.field(default_factory=dict)
    """The type's entries in the document's `$defs`: its schema first, then its own."""
    cls: str | None = None
    """The generated model, once generated."""
    reason: str | None = None
    """Why the type fell back to `dict[str, Any]` (or `object`), when it did."""

    @property
    def label(self) -> str:
        return _one_line(self.object_type.display_name or self.object_type.element_id)

    def fall_back(self, reason: str) -> None:
        self.python = "dict[str, _typing.Any]" if _objectish(self.object_type.schema) else "object"
        self.note = f"{self.label}: {reason}"
        self.reason = reason
        self.defs = {}


@dataclasses.dataclass(frozen=True)
class _Generated:
    code: str
    """The models: the generator's code from its imports on, with the class variables."""
    classes: dict[str, str]
    """Generated class by `$defs` key."""
    notes: list[str]
    """What the generator, or importing its code, warned about."""


def generate(
    object_types: Iterable[ObjectType],
    *,
    namespace_uri: str | None = None,
    source: str | None = None,
) -> str:
    """The source of a Python module with a model per object type and `MODELS`.

    Args:
        object_types: The types, as `Client.get_object_types()` returns them.
        namespace_uri: Only the types of this namespace.
        source: Where the types come from (a server's URL), for the module docstring.

    Returns:
        The module's source. It imports, and passes `mypy --strict`; a type whose
        schema the generator cannot express is typed `dict[str, Any]`, with a comment.

    Raises:
        ImportError: The `codegen` extra (datamodel-code-generator) is not installed.
        TypeError: `object_types` is not a list of `ObjectType`s.
    """
    return build(object_types, namespace_uri=namespace_uri, source=source).source


@dataclasses.dataclass(frozen=True)
class Module:
    """A generated module and what went into it (for the command line's report)."""

    source: str
    """The module's source."""
    types: int
    """How many object types it covers."""
    models: int
    """How many of them got a model."""
    fallbacks: dict[str, str]
    """The types the generator could not express, by element id: why, and their type
    instead (`dict[str, Any]` or `object`)."""


def build(
    object_types: Iterable[ObjectType],
    *,
    namespace_uri: str | None = None,
    source: str | None = None,
) -> Module:
    """`generate()`, with counts (see `generate()` for the arguments)."""
    try:
        import datamodel_code_generator  # noqa: F401
    except ImportError as exc:
        raise ImportError(EXTRA_HINT, name=exc.name) from exc
    chosen = _unique_types(
        t
        for t in _checked(object_types)
        if namespace_uri is None or t.namespace_uri == namespace_uri
    )
    entries = _plan(chosen)
    generated = _generate_all([e for e in entries if e.defs])
    return Module(
        source=_module(entries, generated, source=source, namespace_uri=namespace_uri),
        types=len(entries),
        models=sum(1 for e in entries if e.cls is not None),
        fallbacks={
            e.object_type.element_id: f"{e.reason}; typed {(e.python or '').replace('_typing.', '')}"
            for e in entries
            if e.reason is not None
        },
    )


def load(source: str, name: str = "i3x_types") -> types.ModuleType:
    """Import module source (as `generate()` returns it) without writing a file.

    Args:
        source: The module's source.
        name: The module's name (`__name__` of its classes).

    Returns:
        The module, not entered in `sys.modules`.
    """
    module = types.ModuleType(name)
    # pydantic resolves the models' postponed annotations in their module's namespace,
    # which it finds through sys.modules while the classes are made.
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        exec(compile(source, f"<{name}>", "exec"), module.__dict__)  # noqa: S102 - the caller's
    finally:
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous
    return module


# ------------------------------------------------------------------------ planning


def _checked(object_types: Iterable[ObjectType]) -> list[ObjectType]:
    given: object = object_types  # checked at run time: callers are not all type-checked
    if isinstance(given, ObjectType | str | bytes | Mapping) or not isinstance(given, Iterable):
        raise TypeError(f"object_types must be a list of ObjectType, not {type(given).__name__}")
    listed = list(given)
    for i, item in enumerate(listed):
        if not isinstance(item, ObjectType):
            raise TypeError(
                f"object_types[{i}] must be an ObjectType, not {type(item).__name__}"
                " (ObjectType.from_dict() reads a wire dict)"
            )
    return listed


def _unique_types(object_types: Iterable[ObjectType]) -> list[ObjectType]:
    seen: dict[str, ObjectType] = {}
    for object_type in object_types:
        seen.setdefault(object_type.element_id, object_type)
    return list(seen.values())


def _plan(object_types: Sequence[ObjectType]) -> list[_Entry]:
    names = _class_names(object_types)
    entries = []
    for object_type in object_types:
        entry = _Entry(object_type, names[object_type.element_id])
        schema = object_type.schema
        kind = schema.get("type")
        if isinstance(kind, str) and kind in _PYTHON_TYPES:
            entry.python = _PYTHON_TYPES[kind]
            string_format = schema.get("format")
            if kind == "string" and isinstance(string_format, str):
                entry.python = _STRING_FORMATS.get(string_format, "str")
            entry.note = entry.label
        elif not _CONSTRAINING & schema.keys():
            entry.python = "object"
            entry.note = f"{entry.label}: any JSON value"
        else:
            try:
                entry.defs = _hoisted(schema, entry.name)
            except _Unexpressible as exc:
                entry.fall_back(str(exc))
        entries.append(entry)
    return entries


def _class_names(object_types: Sequence[ObjectType]) -> dict[str, str]:
    """A valid, unique class name per type, from its display name.

    Types are named in the order of their element ids, so that the same listing gives
    the same names whatever order the server lists it in.
    """
    taken: set[str] = set(_RESERVED_NAMES)
    names: dict[str, str] = {}
    for object_type in sorted(object_types, key=lambda t: t.element_id):
        base = _identifier(object_type.display_name or object_type.element_id)
        name = base
        for number in count(2):
            if name not in taken:
                break
            name = f"{base}{number}"
        taken.add(name)
        names[object_type.element_id] = name
    return names


def _identifier(text: str) -> str:
    """`PascalCase` ASCII: what the generator keeps as it is, and Python accepts."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.split(r"[^0-9A-Za-z]+", ascii_text)
    name = "".join(word[:1].upper() + word[1:] for word in words)
    if not name or name[0].isdigit():
        name = f"Type{name}"
    if keyword.iskeyword(name):
        name = f"{name}Type"
    return name


def _hoisted(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """The type's schema as `$defs` entries: `name` first, then its own definitions.

    A type's schema is a document of its own: its references (`#/$defs/Point`, `#`)
    point into it. Inside the one document of all types they point at the type's
    entries instead.

    Raises:
        _Unexpressible: The schema refers to something outside itself.
    """
    schema = copy.deepcopy(schema)
    for keyword_ in ("$schema", "$id", "title"):
        schema.pop(keyword_, None)
    own: dict[tuple[str, str], str] = {}
    definitions: dict[str, Any] = {}
    for group in ("$defs", "definitions"):
        found = schema.pop(group, None)
        if not isinstance(found, dict):
            continue
        for def_name, def_schema in found.items():
            key = f"{name}__{_identifier(def_name)}"
            while key in definitions:
                key += "_"
            own[(group, def_name)] = key
            definitions[key] = def_schema
    entries = {name: schema, **definitions}
    for entry in entries.values():
        if isinstance(entry, dict):
            _rewrite(entry, name, own)
    return entries


def _rewrite(schema: dict[str, Any], name: str, own: dict[tuple[str, str], str]) -> None:
    """Point the references of one type's schema at its `$defs` entries, in place.

    An object schema that does not say whether it takes other properties says
    `additionalProperties: true`, which JSON Schema means by its silence: the models
    keep the properties a server adds rather than dropping them.
    """
    for sub in _walk(schema):
        sub.pop("$id", None)
        ref = sub.get("$ref")
        if isinstance(ref, str):
            sub["$ref"] = _local_ref(ref, name, own)
        members = sub.get("allOf")
        composed = isinstance(members, list) and any(
            isinstance(m, dict) and _objectish(m) for m in members
        )
        if (composed or _objectish(sub)) and not (
            {"additionalProperties", "unevaluatedProperties"} & sub.keys()
        ):
            sub["additionalProperties"] = True


def _objectish(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return (
        kind == "object" or (isinstance(kind, list) and "object" in kind) or "properties" in schema
    )


def _local_ref(ref: str, name: str, own: dict[tuple[str, str], str]) -> str:
    if not ref.startswith("#"):
        raise _Unexpressible(f"its schema refers to {ref!r}, outside itself")
    pointer = ref[1:]
    segments = pointer.split("/")[1:] if pointer.startswith("/") else []
    if len(segments) >= 2:
        group = urllib.parse.unquote(segments[0])
        def_name = urllib.parse.unquote(segments[1]).replace("~1", "/").replace("~0", "~")
        key = own.get((group, def_name))
        if key is not None:
            return "/".join([f"#/$defs/{key}", *segments[2:]])
    if pointer and not pointer.startswith("/"):
        raise _Unexpressible(f"its schema refers to the anchor {ref!r}")
    return f"#/$defs/{name}{pointer}"


def _walk(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """`schema` and every subschema in it."""
    stack = [schema]
    while stack:
        current = stack.pop()
        yield current
        for key in _SCHEMA_MAPS:
            group = current.get(key)
            if isinstance(group, dict):
                stack.extend(s for s in group.values() if isinstance(s, dict))
        for key in _SCHEMA_LISTS:
            group = current.get(key)
            if isinstance(group, list):
                stack.extend(s for s in group if isinstance(s, dict))
        for key in _SCHEMA_ONE:
            sub = current.get(key)
            if isinstance(sub, dict):
                stack.append(sub)


# ---------------------------------------------------------------------- generating


def _generate_all(entries: list[_Entry]) -> _Generated | None:
    """Generate the models; the types the generator cannot express fall back, one by one."""
    while entries:
        try:
            generated = _attempt(entries)
        except _Failed:
            for culprit, reason in _culprits(entries):
                culprit.fall_back(reason)
            entries = [e for e in entries if e.defs]
            continue
        for entry in entries:
            entry.cls = generated.classes.get(entry.name)
            if entry.cls is None:  # not seen so far; kept safe all the same
                entry.fall_back("the generator gave it no model")
        return generated
    return None


def _culprits(entries: list[_Entry]) -> list[tuple[_Entry, str]]:
    """The types the generator fails on, found by bisection (a run per step)."""
    if len(entries) == 1:
        try:
            _attempt(entries)
        except _Failed as exc:
            return [(entries[0], f"the generator could not express its schema ({exc})")]
        return []
    half = len(entries) // 2
    found = []
    for part in (entries[:half], entries[half:]):
        try:
            _attempt(part)
        except _Failed:
            found.extend(_culprits(part))
    if not found:  # each half works, only the two together fail
        reason = "the generator could not express its schema together with the others"
        found = [(entry, reason) for entry in entries]
    return found


def _attempt(entries: list[_Entry]) -> _Generated:
    """One generator run over `entries`, its code checked by importing it.

    Raises:
        _Failed: The generator failed, or its code does not import.
    """
    root = "I3xTypesRoot"
    while any(root in e.defs for e in entries):
        root += "_"
    definitions: dict[str, Any] = {}
    for entry in entries:
        definitions.update(entry.defs)
    document = {
        "$defs": definitions,
        "type": "object",
        # Referring to every type from the root first gives each its name before any
        # nested model is named; the fields are named t0, t1... to keep them simple.
        "properties": {f"t{i}": {"$ref": f"#/$defs/{e.name}"} for i, e in enumerate(entries)},
    }
    code, notes = _run_generator(document, root)
    try:
        generated = _with_class_variables(code, root, entries)
        # A warning is no failure, but whoever imports the module will see it too.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            load(_imports(generated.code) + generated.code, f"_i3x_codegen_check_{next(_CHECKS)}")
    except Exception as exc:  # whatever the written code does wrong
        raise _Failed(_reason(exc)) from exc
    notes += sorted({f"importing it warns: {_one_line(w.message)}" for w in caught})
    return dataclasses.replace(generated, notes=notes)


def _run_generator(document: dict[str, Any], root: str) -> tuple[str, list[str]]:
    from datamodel_code_generator import InputFileType, LiteralType, PythonVersion
    from datamodel_code_generator import generate as run
    from datamodel_code_generator.enums import DataModelType
    from datamodel_code_generator.format import Formatter

    # The generator warns through `warnings` (an unresolved $ref, a default about to
    # change); those about the schemas become notes in the module.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = run(
                json.dumps(document),
                input_file_type=InputFileType.JsonSchema,
                output_model_type=DataModelType.PydanticV2BaseModel,
                target_python_version=PythonVersion.PY_310,
                class_name=root,
                use_schema_description=True,
                use_field_description=True,
                use_single_line_docstring=True,
                use_standard_collections=True,
                use_union_operator=True,
                use_annotated=True,
                field_constraints=True,
                enum_field_as_literal=LiteralType.All,
                disable_timestamp=True,
                formatters=[Formatter.BUILTIN],
            )
        except Exception as exc:  # the generator's own errors, pydantic's, ...
            raise _Failed(_reason(exc)) from exc
    if not isinstance(code, str):
        raise _Failed(f"the generator returned {type(code).__name__}, not code")
    notes = sorted(
        {
            f"datamodel-code-generator: {_one_line(w.message)}"
            for w in caught
            if not issubclass(w.category, DeprecationWarning | FutureWarning)
        }
    )
    return code, notes


def _with_class_variables(code: str, root: str, entries: list[_Entry]) -> _Generated:
    """The generator's code without its header and the root, the class variables added."""
    tree = ast.parse(code)
    lines = code.splitlines()
    top = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    root_node = top.pop(root, None)
    if root_node is None:
        raise _Failed("the generator did not write the root model")
    classes: dict[str, str] = {}
    for stmt in root_node.body:
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        field = re.fullmatch(r"t(\d+)", stmt.target.id)
        cls = _annotated_class(stmt.annotation)
        if field is not None and cls in top and int(field[1]) < len(entries):
            classes[entries[int(field[1])].name] = cls

    # Edits from the bottom up keep the line numbers above them valid.
    edits: list[tuple[int, int, list[str]]] = []  # (first line, end line, replacement)
    for node in tree.body:
        if node is root_node or _mentions(node, root):
            edits.append((node.lineno - 1, _end(node), []))
    claimed: set[str] = set()
    for entry in entries:
        cls = classes.get(entry.name)
        if cls is None or cls in claimed:
            continue
        claimed.add(cls)
        edit = _class_variables(top[cls], entry.object_type)
        if edit is not None:
            edits.append(edit)
    for first, end, replacement in sorted(edits, key=lambda e: e[0], reverse=True):
        lines[first:end] = replacement

    start = next(
        (i for i, line in enumerate(lines) if line.startswith("from __future__ import")), -1
    )
    body = "\n".join(lines[start + 1 :]).strip("\n")
    body = re.sub(r"\n{4,}", "\n\n\n", body)
    return _Generated(body + "\n", classes, [])


def _annotated_class(annotation: ast.expr) -> str | None:
    """`X` of a root field annotated `X | None` (or `X`)."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [annotation.left, annotation.right]
        named = [s for s in sides if not (isinstance(s, ast.Constant) and s.value is None)]
        if len(named) == 1:
            annotation = named[0]
    return annotation.id if isinstance(annotation, ast.Name) else None


def _mentions(node: ast.stmt, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _end(node: ast.stmt) -> int:
    return node.end_lineno if node.end_lineno is not None else node.lineno


def _class_variables(
    node: ast.ClassDef, object_type: ObjectType
) -> tuple[int, int, list[str]] | None:
    """The edit that gives a class its type's element id and namespace."""
    fields = {
        target.id
        for stmt in node.body
        for target in (
            stmt.targets
            if isinstance(stmt, ast.Assign)
            else [stmt.target]
            if isinstance(stmt, ast.AnnAssign)
            else []
        )
        if isinstance(target, ast.Name)
    }
    bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
    if {_ELEMENT_ID, _NAMESPACE} & fields or bases & {"Enum", "IntEnum", "StrEnum"}:
        return None
    first = node.body[0]
    indent = " " * first.col_offset
    variables = [
        f"{indent}{_ELEMENT_ID}: _typing.ClassVar[str] = {object_type.element_id!r}",
        f"{indent}{_NAMESPACE}: _typing.ClassVar[str | None] = {object_type.namespace_uri!r}",
    ]
    if len(node.body) == 1 and isinstance(first, ast.Pass):
        return (first.lineno - 1, _end(first), variables)
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        at = _end(first)  # after the docstring, whose blank line then follows them
        return (at, at, ["", *variables])
    return (first.lineno - 1, first.lineno - 1, [*variables, ""])


# ------------------------------------------------------------------------ the module

_CHECKS: Final = count()
"""Numbers the modules the import check makes, so that no two share a name."""


def _imports(code: str) -> str:
    """The module's first imports: what `code` uses of the names this module adds."""
    lines = ["from __future__ import annotations", ""]
    lines += [f"import {m} as _{m}" for m in ("datetime", "typing") if f"_{m}." in code]
    return "\n".join(lines) + ("\n\n" if len(lines) > 2 else "\n")


def _module(
    entries: list[_Entry],
    generated: _Generated | None,
    *,
    source: str | None,
    namespace_uri: str | None,
) -> str:
    models = [e for e in entries if e.cls is not None]
    # The example reads a value as a model with fields, when there is one.
    shaped = [e for e in models if e.object_type.schema.get("properties")] or models
    example = shaped[0].cls if shaped else None
    notes = generated.notes if generated is not None else []
    body = (generated.code + "\n\n" if generated is not None else "") + _models_table(entries)
    parts = [_docstring(entries, models, example, source, namespace_uri)]
    parts.extend(f"# Note: {note}\n" for note in notes)
    parts += ["\n", _imports(body), body]
    return "".join(parts)


def _docstring(
    entries: list[_Entry],
    models: list[_Entry],
    example: str | None,
    source: str | None,
    namespace_uri: str | None,
) -> str:
    fallbacks = sum(1 for e in entries if e.reason is not None)
    what = f"{len(entries)} object type{'s' if len(entries) != 1 else ''}"
    if namespace_uri is not None:
        what += f" in {_safe(namespace_uri)}"
    if source:
        what += f" from {_safe(source)}"
    from importlib import metadata

    try:
        generator = f"datamodel-code-generator {metadata.version('datamodel-code-generator')}"
    except metadata.PackageNotFoundError:
        generator = "datamodel-code-generator"
    lines = [
        '"""Python types for the object types of an i3X server, written by `i3x codegen`.',
        "",
        f"{what}: {len(models)} model{'s' if len(models) != 1 else ''}"
        + (f", {fallbacks} left untyped (see `MODELS`)" if fallbacks else "")
        + ".",
        f"Written by i3x-client {__version__} with {generator}. Do not edit:",
        "run `i3x codegen` again when the server's types change.",
        "",
        "Each model keeps its type's element id and namespace in `i3x_element_id` and",
        "`i3x_namespace_uri`; `MODELS` maps every type's element id to its Python type.",
    ]
    if example is not None:
        lines += [
            "Read a value as its type:",
            "",
            f"    value = client.get_value(element_id).value_as({example})",
        ]
    lines.append('"""')
    return "\n".join(lines) + "\n"


def _models_table(entries: list[_Entry]) -> str:
    lines = ["MODELS: dict[str, type] = {"]
    for entry in entries:
        python = entry.cls or entry.python or "object"
        comment = f"  # {entry.note}" if entry.note else ""
        lines.append(f"    {entry.object_type.element_id!r}: {python},{comment}")
    lines += [
        "}",
        '"""The Python type of the values of each object type, by element id."""',
        "",
    ]
    return "\n".join(lines)


def _reason(exc: BaseException) -> str:
    """What went wrong, on one line: pydantic's nested "Error building" lines left out."""
    name = type(exc).__name__
    lines = [
        line.removeprefix(f"{name}: ")
        for line in (raw.strip() for raw in str(exc).splitlines())
        if line and not re.match(r'(SchemaError: )?(Error building|Field ")', line)
    ]
    return _one_line(f"{name}: {' '.join(lines)}")


def _one_line(text: object) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= 200 else line[:199] + "…"


def _safe(text: str) -> str:
    """Text for the module docstring: one line, no quotes or backslashes to escape."""
    return _one_line(text).replace("\\", "/").replace('"""', "'''")
