"""i3x: the typed Python SDK for i3X servers (CESMII's Industrial Information Interface eXchange).

Quick start:

```python
import i3x

with i3x.Client("http://localhost:8080") as client:
    value = client.get_value("pump-101-flow")
    print(value.value, value.quality, value.timestamp)
```
"""

import contextlib as _contextlib
import logging as _logging

from ._async_client import AsyncClient
from ._client import Client
from ._events import Event, Mode
from ._exceptions import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    BulkError,
    ConnectionError,
    I3XError,
    InsecureTLSWarning,
    InvalidServerResponseError,
    NotFoundError,
    NotSupportedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    StreamError,
    SubscriptionError,
    SubscriptionLostError,
    TimeoutError,
    UncheckedWriteWarning,
    UnsupportedVersionError,
    UpdatesLostError,
    ValueValidationError,
)
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
    to_pandas,
)
from ._profiles import ServerProfile
from ._pull import AsyncSubscriptionStream, SubscriptionStream
from ._subscriptions import SyncResult
from ._version import __version__

__all__ = [
    "__version__",
    # clients
    "Client",
    "AsyncClient",
    "SyncResult",
    "ServerProfile",
    # subscriptions in pull form
    "SubscriptionStream",
    "AsyncSubscriptionStream",
    "Event",
    "Mode",
    # models
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
    # analysis
    "to_pandas",
    # errors
    "I3XError",
    "ConnectionError",
    "TimeoutError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "NotSupportedError",
    "InvalidServerResponseError",
    "ResponseValidationError",
    "UnsupportedVersionError",
    "ValueValidationError",
    "BulkError",
    "SubscriptionError",
    "StreamError",
    "UpdatesLostError",
    "SubscriptionLostError",
    # warnings
    "InsecureTLSWarning",
    "UncheckedWriteWarning",
]

# Show public names as i3x.Client rather than i3x._client.Client (as httpx does).
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("i3x._"):
        with _contextlib.suppress(AttributeError, TypeError):  # constants
            _obj.__module__ = "i3x"
del _name, _obj

# A library leaves logging configuration to the application: without a handler of
# its own, Python would print the SDK's warnings (reconnects, gaps) to stderr.
_logging.getLogger("i3x").addHandler(_logging.NullHandler())
