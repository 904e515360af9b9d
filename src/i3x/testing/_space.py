"""The address space the embedded server serves: types, objects, relationships and values.

An `AddressSpace` is plain, thread-safe Python: the server reads it on its event loop
while a test changes it from its own thread. Every change to current values goes through
`AddressSpace.apply`, which validates first, then commits, then tells the change
listeners (the server's subscriptions) about it, all under one lock so that the order of
changes is the order subscribers see.
"""

from __future__ import annotations

import bisect
import copy
import json
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, best_match

__all__ = [
    "Quality",
    "QUALITIES",
    "CORE_NAMESPACE_URI",
    "Reading",
    "Namespace",
    "ObjectType",
    "RelationshipType",
    "ObjectInstance",
    "AddressSpace",
    "ChangeListener",
    "Simulation",
    "utc_now",
]

Quality = Literal["Good", "GoodNoData", "Bad", "Uncertain"]
"""The four i3X quality names."""

QUALITIES: tuple[Quality, ...] = ("Good", "GoodNoData", "Bad", "Uncertain")

CORE_NAMESPACE_URI = "https://cesmii.org/i3x"
"""Namespace of the relationship types every i3X address space has."""

_HAS_PARENT = "HasParent"
_HAS_CHILDREN = "HasChildren"
_HAS_COMPONENT = "HasComponent"
_COMPONENT_OF = "ComponentOf"
_STRUCTURAL = frozenset({_HAS_PARENT, _HAS_CHILDREN, _HAS_COMPONENT, _COMPONENT_OF})
_NULL_ALLOWED: frozenset[str] = frozenset({"GoodNoData", "Bad"})
# Values of these exact types are immutable and always JSON (floats: when finite), so
# storing one needs no copy and checking one needs no trial encoding.
_SCALARS = frozenset({str, int, bool})


def _own_copy(value: Any) -> Any:
    """A copy the caller cannot change later (scalars are shared as they are)."""
    return value if type(value) in _SCALARS or type(value) is float else copy.deepcopy(value)


def utc_now() -> datetime:
    """Return the current UTC time cut to milliseconds, the precision the wire carries."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass(frozen=True)
class Reading:
    """One stored value-quality-timestamp sample (an i3X VQT)."""

    value: Any
    quality: Quality
    timestamp: datetime


@dataclass(frozen=True)
class Namespace:
    """A namespace that types and relationship types belong to."""

    uri: str
    display_name: str


@dataclass(frozen=True)
class ObjectType:
    """An object type: a JSON Schema that every value of its objects must satisfy."""

    element_id: str
    display_name: str
    namespace_uri: str
    schema: Mapping[str, Any]
    source_type_id: str


@dataclass(frozen=True)
class RelationshipType:
    """A relationship type; every one has a reverse (`reverse_of`)."""

    element_id: str
    display_name: str
    namespace_uri: str
    reverse_of: str


@dataclass(frozen=True)
class ObjectInstance:
    """A snapshot of one object of the address space."""

    element_id: str
    display_name: str
    type_id: str
    parent_id: str | None
    component_of: str | None
    is_composition: bool
    description: str | None
    relationships: Mapping[str, tuple[str, ...]]
    """Relationship type to target ids, in both directions, in the order they were added."""


ChangeListener = Callable[[Sequence[str]], None]
"""Called with the ids changed by one change event, while the space's lock is held."""

Simulation = Callable[["AddressSpace", datetime], Mapping[str, Reading]]
"""One simulation step: given the space and the time, return the new readings."""


@dataclass
class _Node:
    element_id: str
    display_name: str
    type_id: str
    parent_id: str | None
    component_of: str | None
    description: str | None
    current: Reading
    history: list[Reading]
    components: list[str] = field(default_factory=list)
    relationships: dict[str, list[str]] = field(default_factory=dict)

    def link(self, relationship_type: str, target_id: str) -> None:
        targets = self.relationships.setdefault(relationship_type, [])
        if target_id not in targets:
            targets.append(target_id)


def _timestamp_of(reading: Reading) -> datetime:
    return reading.timestamp


class AddressSpace:
    """Namespaces, object and relationship types, objects, their values and history.

    A new space already holds the i3X core namespace with the relationship type pairs
    HasParent/HasChildren and HasComponent/ComponentOf. Build the rest with the `add_*`
    methods; each raises `ValueError` naming the argument it rejects.

    Args:
        history_limit: The most history entries kept per object; the oldest go first.
    """

    def __init__(self, *, history_limit: int = 10_000) -> None:
        if history_limit < 1:
            raise ValueError("history_limit: must be at least 1")
        self._lock = threading.RLock()
        self._history_limit = history_limit
        self._namespaces: dict[str, Namespace] = {}
        self._object_types: dict[str, ObjectType] = {}
        self._validators: dict[str, Draft202012Validator] = {}
        self._relationship_types: dict[str, RelationshipType] = {}
        self._nodes: dict[str, _Node] = {}
        self._structure_version = 0
        self._listeners: list[ChangeListener] = []
        self._simulation: Simulation | None = None
        self.add_namespace(CORE_NAMESPACE_URI, "i3X core")
        self.add_relationship_type(
            _HAS_PARENT, "HasParent", namespace_uri=CORE_NAMESPACE_URI, reverse_of=_HAS_CHILDREN
        )
        self.add_relationship_type(
            _HAS_COMPONENT,
            "HasComponent",
            namespace_uri=CORE_NAMESPACE_URI,
            reverse_of=_COMPONENT_OF,
        )

    @property
    def lock(self) -> threading.RLock:
        """The lock every method holds; hold it to read several things consistently."""
        return self._lock

    @property
    def structure_version(self) -> int:
        """A number that changes whenever objects are added (so `descendants` may change)."""
        return self._structure_version

    # -- building -------------------------------------------------------------------------

    def add_namespace(self, uri: str, display_name: str) -> None:
        """Add a namespace.

        Raises:
            ValueError: The uri is empty or already present.
        """
        with self._lock:
            if not uri:
                raise ValueError("uri: must not be empty")
            if uri in self._namespaces:
                raise ValueError(f"uri: namespace {uri!r} already exists")
            self._namespaces[uri] = Namespace(uri, display_name)

    def add_object_type(
        self,
        element_id: str,
        display_name: str,
        *,
        namespace_uri: str,
        schema: Mapping[str, Any],
        source_type_id: str | None = None,
    ) -> None:
        """Add an object type whose values must satisfy `schema` (JSON Schema 2020-12).

        Args:
            element_id: The type's id, used as `type_id` of its objects.
            display_name: A human-readable name.
            namespace_uri: A namespace added before.
            schema: The JSON Schema of the values; unknown keywords such as `unit` are kept.
            source_type_id: The name of the type in its namespace; defaults to display_name.

        Raises:
            ValueError: Duplicate id, unknown namespace or a schema that is not valid.
        """
        with self._lock:
            self._check_new_id(element_id, self._object_types, "element_id")
            self._check_namespace(namespace_uri)
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as err:
                raise ValueError(f"schema: not a valid JSON Schema: {err.message}") from err
            frozen_schema = copy.deepcopy(dict(schema))
            self._object_types[element_id] = ObjectType(
                element_id,
                display_name,
                namespace_uri,
                frozen_schema,
                source_type_id if source_type_id is not None else display_name,
            )
            self._validators[element_id] = Draft202012Validator(
                frozen_schema, format_checker=Draft202012Validator.FORMAT_CHECKER
            )

    def add_relationship_type(
        self, element_id: str, display_name: str, *, namespace_uri: str, reverse_of: str
    ) -> None:
        """Add a relationship type and its reverse, both in `namespace_uri`.

        Args:
            element_id: The forward type, e.g. "SuppliesTo".
            display_name: Its human-readable name.
            namespace_uri: A namespace added before.
            reverse_of: The reverse type, e.g. "SuppliedBy"; its display name is its id.

        Raises:
            ValueError: Either id is taken, they are equal, or the namespace is unknown.
        """
        with self._lock:
            self._check_new_id(element_id, self._relationship_types, "element_id")
            self._check_new_id(reverse_of, self._relationship_types, "reverse_of")
            if element_id == reverse_of:
                raise ValueError("reverse_of: must differ from element_id")
            self._check_namespace(namespace_uri)
            self._relationship_types[element_id] = RelationshipType(
                element_id, display_name, namespace_uri, reverse_of
            )
            self._relationship_types[reverse_of] = RelationshipType(
                reverse_of, reverse_of, namespace_uri, element_id
            )

    def add_object(
        self,
        element_id: str,
        display_name: str,
        *,
        type_id: str,
        parent_id: str | None = None,
        component_of: str | None = None,
        value: Any = None,
        quality: Quality | None = None,
        timestamp: datetime | None = None,
        description: str | None = None,
    ) -> None:
        """Add an object with its first value.

        `parent_id` places it in the organisational tree (HasParent/HasChildren).
        `component_of` makes it a HasComponent child of that object, which becomes a
        composition; a component's parent is its owner, so `parent_id` may be left out.

        Args:
            element_id: Any non-empty string; spaces, slashes and brackets are fine.
            display_name: A human-readable name.
            type_id: An object type added before; `value` must satisfy its schema.
            parent_id: The parent in the tree, or None for a root object.
            component_of: The composition this object is part of.
            value: The first value; None means "no data yet".
            quality: Defaults to "GoodNoData" when value is None, else "Good".
            timestamp: When the value was taken; defaults to now.
            description: Free text shown in the object's metadata.

        Raises:
            ValueError: Duplicate id, unknown type, parent or owner, or a bad value.
        """
        with self._lock:
            self._check_new_id(element_id, self._nodes, "element_id")
            if type_id not in self._object_types:
                raise ValueError(f"type_id: unknown object type {type_id!r}")
            if component_of is not None:
                if component_of not in self._nodes:
                    raise ValueError(f"component_of: unknown object {component_of!r}")
                if parent_id is None:
                    parent_id = component_of
                elif parent_id != component_of:
                    raise ValueError("parent_id: a component's parent must be its owner")
            if parent_id is not None and parent_id not in self._nodes:
                raise ValueError(f"parent_id: unknown object {parent_id!r}")
            if quality is None:
                quality = "GoodNoData" if value is None else "Good"
            reading = Reading(
                _own_copy(value), quality, timestamp if timestamp is not None else utc_now()
            )
            self._check_reading(type_id, reading)
            node = _Node(
                element_id,
                display_name,
                type_id,
                parent_id,
                component_of,
                description,
                current=reading,
                history=[reading],
            )
            self._nodes[element_id] = node
            self._structure_version += 1
            if parent_id is not None:
                node.link(_HAS_PARENT, parent_id)
                self._nodes[parent_id].link(_HAS_CHILDREN, element_id)
            if component_of is not None:
                node.link(_COMPONENT_OF, component_of)
                owner = self._nodes[component_of]
                owner.link(_HAS_COMPONENT, element_id)
                owner.components.append(element_id)

    def add_relationship(self, source_id: str, relationship_type: str, target_id: str) -> None:
        """Relate two objects; the reverse relationship is stored as well.

        Raises:
            ValueError: Unknown object or relationship type, or a structural type
                (HasParent, HasChildren, HasComponent, ComponentOf), which come from
                `parent_id` and `component_of` instead.
        """
        with self._lock:
            if source_id not in self._nodes:
                raise ValueError(f"source_id: unknown object {source_id!r}")
            if target_id not in self._nodes:
                raise ValueError(f"target_id: unknown object {target_id!r}")
            rel = self._relationship_types.get(relationship_type)
            if rel is None:
                raise ValueError(
                    f"relationship_type: unknown relationship type {relationship_type!r}"
                )
            if relationship_type in _STRUCTURAL:
                raise ValueError(
                    f"relationship_type: {relationship_type} follows from parent_id and "
                    "component_of of add_object"
                )
            self._nodes[source_id].link(relationship_type, target_id)
            self._nodes[target_id].link(rel.reverse_of, source_id)

    def set_simulation(self, simulation: Simulation | None) -> None:
        """Install the function `step` calls to make values change (None removes it)."""
        with self._lock:
            self._simulation = simulation

    # -- changing values ------------------------------------------------------------------

    def set_value(
        self,
        element_id: str,
        value: Any,
        quality: Quality = "Good",
        timestamp: datetime | None = None,
    ) -> Reading:
        """Set one current value as one change event (recorded in history, pushed to subscribers).

        Raises:
            ValueError: Unknown element, unknown quality, or a value its schema rejects.
        """
        reading = Reading(value, quality, timestamp if timestamp is not None else utc_now())
        return self.apply({element_id: reading})[element_id]

    def set_values(
        self,
        changes: Mapping[str, Any],
        *,
        quality: Quality = "Good",
        timestamp: datetime | None = None,
    ) -> dict[str, Reading]:
        """Set several current values (same quality and time) as one change event.

        Raises:
            ValueError: As `set_value`; then nothing is changed.
        """
        when = timestamp if timestamp is not None else utc_now()
        return self.apply({eid: Reading(value, quality, when) for eid, value in changes.items()})

    def apply(
        self, readings: Mapping[str, Reading], *, check_schema: bool = True
    ) -> dict[str, Reading]:
        """Record readings as one change event: all are checked before any is applied.

        Args:
            readings: The new reading of each element.
            check_schema: `False` stores values their type's schema rejects, as some
                real servers do (the `node-i3x` dialect stores what it was sent);
                qualities and timestamps are still checked.

        Returns:
            The readings as stored (values copied, so later changes to yours don't leak in).

        Raises:
            ValueError: The first reading that is not acceptable, naming its element.
        """
        with self._lock:
            stored: dict[str, Reading] = {}
            for element_id, reading in readings.items():
                node = self._node(element_id, "element_id")
                try:
                    self._check_reading(node.type_id, reading, check_schema=check_schema)
                except ValueError as err:
                    raise ValueError(f"{element_id}: {err}") from None
                stored[element_id] = Reading(
                    _own_copy(reading.value), reading.quality, reading.timestamp
                )
            for element_id, reading in stored.items():
                node = self._nodes[element_id]
                node.current = reading
                self._insert_history(node, reading)
            if stored:
                changed = list(stored)
                for listener in list(self._listeners):
                    listener(changed)
            return stored

    def insert_history(
        self, element_id: str, reading: Reading, *, check_schema: bool = True
    ) -> None:
        """Insert a past reading into history in time order; the current value stays.

        `check_schema=False` stores a value the type's schema rejects (as `apply`).

        Raises:
            ValueError: Unknown element or a reading its schema rejects.
        """
        with self._lock:
            node = self._node(element_id, "element_id")
            self._check_reading(node.type_id, reading, check_schema=check_schema)
            self._insert_history(
                node, Reading(_own_copy(reading.value), reading.quality, reading.timestamp)
            )

    def step(self, now: datetime | None = None) -> dict[str, Reading]:
        """Run the simulation one step as one change event; without one, nothing happens."""
        with self._lock:
            if self._simulation is None:
                return {}
            return self.apply(self._simulation(self, now if now is not None else utc_now()))

    def check_value(self, element_id: str, value: Any, quality: str = "Good") -> None:
        """Check a value and quality for an element without storing anything.

        Raises:
            ValueError: Unknown element, unknown quality, null with a quality that
                needs a value, or a value the type's schema rejects; the message says why.
        """
        with self._lock:
            node = self._node(element_id, "element_id")
            self._check_quality(quality)
            self._check_value(node.type_id, value, quality)

    def add_listener(self, listener: ChangeListener) -> Callable[[], None]:
        """Call `listener` after every change event; returns a function that removes it."""
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    # -- reading --------------------------------------------------------------------------

    def __contains__(self, element_id: object) -> bool:
        with self._lock:
            return element_id in self._nodes

    def namespaces(self) -> list[Namespace]:
        """All namespaces in the order they were added."""
        with self._lock:
            return list(self._namespaces.values())

    def object_types(self) -> list[ObjectType]:
        """All object types in the order they were added."""
        with self._lock:
            return list(self._object_types.values())

    def get_object_type(self, element_id: str) -> ObjectType | None:
        """The object type with this id, or None."""
        with self._lock:
            return self._object_types.get(element_id)

    def relationship_types(self) -> list[RelationshipType]:
        """All relationship types (each pair together) in the order they were added."""
        with self._lock:
            return list(self._relationship_types.values())

    def get_relationship_type(self, element_id: str) -> RelationshipType | None:
        """The relationship type with this id, or None."""
        with self._lock:
            return self._relationship_types.get(element_id)

    def objects(self) -> list[ObjectInstance]:
        """All objects in the order they were added."""
        with self._lock:
            return [self._snapshot(node) for node in self._nodes.values()]

    def get_object(self, element_id: str) -> ObjectInstance | None:
        """The object with this id, or None."""
        with self._lock:
            node = self._nodes.get(element_id)
            return None if node is None else self._snapshot(node)

    def get_value(self, element_id: str) -> Reading:
        """The current reading of an element.

        Raises:
            ValueError: Unknown element.
        """
        with self._lock:
            return self._node(element_id, "element_id").current

    def get_history(
        self, element_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[Reading]:
        """Readings with start <= timestamp <= end, oldest first.

        Raises:
            ValueError: Unknown element.
        """
        with self._lock:
            history = self._node(element_id, "element_id").history
            lo = 0 if start is None else bisect.bisect_left(history, start, key=_timestamp_of)
            hi = (
                len(history)
                if end is None
                else bisect.bisect_right(history, end, key=_timestamp_of)
            )
            return history[lo:hi]

    def descendants(self, element_id: str, max_depth: int) -> list[tuple[str, int]]:
        """Components reached through HasComponent within an i3X `maxDepth`.

        maxDepth 1 is the element alone (no descendants), N follows HasComponent N-1
        levels, 0 follows it without limit.

        Returns:
            (element id, level) pairs, depth first, level 1 being direct components.

        Raises:
            ValueError: Unknown element.
        """
        with self._lock:
            found: list[tuple[str, int]] = []

            def walk(node: _Node, level: int) -> None:
                if max_depth != 0 and level >= max_depth:
                    return
                for child_id in node.components:
                    found.append((child_id, level))
                    walk(self._nodes[child_id], level + 1)

            walk(self._node(element_id, "element_id"), 1)
            return found

    # -- internals ------------------------------------------------------------------------

    def _node(self, element_id: str, argument: str) -> _Node:
        node = self._nodes.get(element_id)
        if node is None:
            raise ValueError(f"{argument}: unknown object {element_id!r}")
        return node

    def _snapshot(self, node: _Node) -> ObjectInstance:
        return ObjectInstance(
            element_id=node.element_id,
            display_name=node.display_name,
            type_id=node.type_id,
            parent_id=node.parent_id,
            component_of=node.component_of,
            is_composition=bool(node.components),
            description=node.description,
            relationships={rel: tuple(ids) for rel, ids in node.relationships.items()},
        )

    def _insert_history(self, node: _Node, reading: Reading) -> None:
        bisect.insort_right(node.history, reading, key=_timestamp_of)
        excess = len(node.history) - self._history_limit
        if excess > 0:
            del node.history[:excess]

    @staticmethod
    def _check_new_id(element_id: str, taken: Mapping[str, object], argument: str) -> None:
        if not isinstance(element_id, str) or not element_id:
            raise ValueError(f"{argument}: must be a non-empty string")
        if element_id in taken:
            raise ValueError(f"{argument}: {element_id!r} already exists")

    def _check_namespace(self, namespace_uri: str) -> None:
        if namespace_uri not in self._namespaces:
            raise ValueError(f"namespace_uri: unknown namespace {namespace_uri!r}")

    @staticmethod
    def _check_quality(quality: str) -> None:
        if quality not in QUALITIES:
            raise ValueError(f"quality: must be one of {', '.join(QUALITIES)}, not {quality!r}")

    def _check_reading(self, type_id: str, reading: Reading, *, check_schema: bool = True) -> None:
        self._check_quality(reading.quality)
        ts = reading.timestamp
        if not isinstance(ts, datetime) or ts.tzinfo is None:
            raise ValueError("timestamp: must be a timezone-aware datetime")
        if check_schema:
            self._check_value(type_id, reading.value, reading.quality)

    def _check_value(self, type_id: str, value: Any, quality: str) -> None:
        if value is None:
            if quality not in _NULL_ALLOWED:
                raise ValueError(
                    f"value: null is only allowed with quality GoodNoData or Bad, not {quality}"
                )
            return
        kind = type(value)
        if kind not in _SCALARS and (kind is not float or not math.isfinite(value)):
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError) as err:
                raise ValueError(f"value: not representable as JSON ({err})") from None
        validator = self._validators[type_id]
        # is_valid stops at the first error; best_match (for the message) weighs them all.
        if validator.is_valid(value):
            return
        error = best_match(validator.iter_errors(value))
        if error is not None:
            where = "" if not error.absolute_path else f" at {error.json_path}"
            raise ValueError(
                f"value does not match the schema of type {type_id!r}{where}: {error.message}"
            )
