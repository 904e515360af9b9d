"""The models under the import path of the 1.0 reference client: `from i3x.models import VQT`.

The reference client (`i3x-client` 1.0.0) keeps its models in `i3x.models`, and code
written for it imports them from there. This module re-exports every model of `i3x`
(`i3x.models.VQT is i3x.VQT`), with the reference client's names for the two kinds of
value, which are one class here:

| reference client | i3x |
|---|---|
| `CurrentValue` (from `get_value()`) | `LastKnownValue`: `value`, `quality`, `timestamp`, `components`, `is_composition` |
| `HistoricalValue` (from `get_history()`) | `LastKnownValue`: `values`, oldest first |

`CurrentValue.from_dict(element_id, data)` and `HistoricalValue.from_dict(element_id, data)`
work as they do there. Where the models differ on purpose (timestamps are aware
`datetime`s, capabilities are typed, a field the server left out is `None` rather than
`""`), the Migration guide says so, test by test.
"""

from ._models import (
    VQT,
    BulkItem,
    CurrentValue,
    HistoricalValue,
    LastKnownValue,
    MonitoredObject,
    Namespace,
    ObjectInstance,
    ObjectInstanceMetadata,
    ObjectType,
    Quality,
    QueryCapabilities,
    RelatedObject,
    RelationshipType,
    ResponseDetail,
    ServerCapabilities,
    ServerInfo,
    SubscribeCapabilities,
    Subscription,
    SyncBatch,
    UpdateCapabilities,
    ValueChange,
    models_json_schema,
)

__all__ = [
    "ServerInfo",
    "ServerCapabilities",
    "QueryCapabilities",
    "UpdateCapabilities",
    "SubscribeCapabilities",
    "ResponseDetail",
    "Namespace",
    "ObjectType",
    "RelationshipType",
    "ObjectInstance",
    "ObjectInstanceMetadata",
    "RelatedObject",
    "VQT",
    "Quality",
    "LastKnownValue",
    "CurrentValue",
    "HistoricalValue",
    "ValueChange",
    "SyncBatch",
    "MonitoredObject",
    "Subscription",
    "BulkItem",
    "models_json_schema",
]
