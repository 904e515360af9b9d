"""Exploring the address space: namespaces, types, objects and their relations.

Each function is an operation written as a flow (see `i3x._flows`): the clients run
`get_objects_flow(ctx, ...)` and friends with their drivers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from ._checks import check_bool, check_id, check_ids, check_optional_str
from ._flows import BulkPairs, Context, Flow, bulk_flow, get_result_flow, single_flow
from ._models import (
    Namespace,
    ObjectInstance,
    ObjectType,
    RelatedObject,
    RelationshipType,
    ServerInfo,
)
from ._wire import Call, as_model, decode_result

__all__ = [
    "get_info_flow",
    "get_namespaces_flow",
    "get_object_flow",
    "get_object_types_flow",
    "get_objects_flow",
    "get_related_objects_flow",
    "get_relationship_types_flow",
    "list_objects_by_id_flow",
    "list_objects_flow",
    "query_object_types_flow",
    "query_relationship_types_flow",
]


def get_info_flow(ctx: Context) -> Flow[ServerInfo]:
    """`GET /info` again: spec version, server identity, capabilities."""

    def parse(response: httpx.Response) -> ServerInfo:
        info, _ = decode_result(response, ServerInfo, "ServerInfo")
        return as_model(ServerInfo, info, response, "ServerInfo")

    info: ServerInfo = yield Call("GET", "/info", parse=parse)
    return info


def get_namespaces_flow(ctx: Context) -> Flow[list[Namespace]]:
    """`GET /namespaces`."""
    result: list[Namespace] = yield from get_result_flow(
        "/namespaces", list[Namespace], "Namespace"
    )
    return result


def get_object_types_flow(ctx: Context, namespace_uri: str | None) -> Flow[list[ObjectType]]:
    uri = check_optional_str(namespace_uri, "namespace_uri")
    params = {"namespaceUri": uri} if uri else None
    result: list[ObjectType] = yield from get_result_flow(
        "/objecttypes", list[ObjectType], "ObjectType", params
    )
    return result


def query_object_types_flow(ctx: Context, element_ids: Iterable[str]) -> Flow[list[ObjectType]]:
    ids = check_ids(element_ids, "element_ids")
    pairs, _ = yield from bulk_flow(
        ctx, "/objecttypes/query", ids, lambda c: {"elementIds": c}, ObjectType, "object types"
    )
    return [v for _, v in pairs]


def get_relationship_types_flow(
    ctx: Context, namespace_uri: str | None
) -> Flow[list[RelationshipType]]:
    uri = check_optional_str(namespace_uri, "namespace_uri")
    params = {"namespaceUri": uri} if uri else None
    result: list[RelationshipType] = yield from get_result_flow(
        "/relationshiptypes", list[RelationshipType], "RelationshipType", params
    )
    return result


def query_relationship_types_flow(
    ctx: Context, element_ids: Iterable[str]
) -> Flow[list[RelationshipType]]:
    ids = check_ids(element_ids, "element_ids")
    pairs, _ = yield from bulk_flow(
        ctx,
        "/relationshiptypes/query",
        ids,
        lambda c: {"elementIds": c},
        RelationshipType,
        "relationship types",
    )
    return [v for _, v in pairs]


def get_objects_flow(
    ctx: Context,
    type_id: str | None,
    include_metadata: bool,
    root: bool | None,
    type_element_id: str | None = None,
) -> Flow[list[ObjectInstance]]:
    if type_id is not None and type_element_id is not None and type_id != type_element_id:
        raise ValueError("pass type_id or type_element_id (the same filter), not both")
    if type_id is not None:
        type_filter = check_optional_str(type_id, "type_id")
    else:
        type_filter = check_optional_str(type_element_id, "type_element_id")
    params: dict[str, str] = {}
    if type_filter is not None:
        params["typeElementId"] = type_filter
    if check_bool(include_metadata, "include_metadata"):
        params["includeMetadata"] = "true"
    if root is not None:
        params["root"] = "true" if check_bool(root, "root") else "false"
    result: list[ObjectInstance] = yield from get_result_flow(
        "/objects", list[ObjectInstance], "ObjectInstance", params or None
    )
    return result


def list_objects_flow(
    ctx: Context, element_ids: Iterable[str], include_metadata: bool
) -> Flow[list[ObjectInstance]]:
    ids = check_ids(element_ids, "element_ids")
    meta = check_bool(include_metadata, "include_metadata")
    pairs, _ = yield from _objects_by_id(ctx, ids, meta)
    return [v for _, v in pairs]


def get_object_flow(ctx: Context, element_id: str, include_metadata: bool) -> Flow[ObjectInstance]:
    key = check_id(element_id, "element_id")
    meta = check_bool(include_metadata, "include_metadata")
    result, _ = yield from single_flow(_objects_by_id(ctx, [key], meta), key)
    found: ObjectInstance = result
    return found


def list_objects_by_id_flow(
    ctx: Context, ids: list[str], include_metadata: bool
) -> Flow[dict[str, Any]]:
    """Objects by id, keyed by id (for merged single-object reads)."""
    pairs, _ = yield from _objects_by_id(ctx, ids, include_metadata)
    return dict(pairs)


def _objects_by_id(ctx: Context, ids: list[str], include_metadata: bool) -> Flow[BulkPairs]:
    """`POST /objects/list` for checked ids, in batches."""
    return bulk_flow(
        ctx,
        "/objects/list",
        ids,
        lambda c: {"elementIds": c, "includeMetadata": include_metadata},
        ObjectInstance,
        "objects",
    )


def get_related_objects_flow(
    ctx: Context, element_ids: Iterable[str], relationship_type: str | None, include_metadata: bool
) -> Flow[list[RelatedObject]]:
    ids = check_ids(element_ids, "element_ids")
    rel = check_optional_str(relationship_type, "relationship_type")
    meta = check_bool(include_metadata, "include_metadata")

    def body(chunk: list[str]) -> dict[str, Any]:
        data: dict[str, Any] = {"elementIds": chunk, "includeMetadata": meta}
        if rel is not None:
            data["relationshipType"] = rel
        return data

    pairs, _ = yield from bulk_flow(
        ctx,
        # An element without relations may come back with no result at all.
        "/objects/related",
        ids,
        body,
        list[RelatedObject] | None,
        "related-object queries",
    )
    return [obj for _, objs in pairs for obj in (objs or [])]
