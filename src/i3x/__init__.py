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
import importlib as _importlib
import logging as _logging
import sys as _sys
import typing as _typing

# The errors are imported now, the rest on first use (`__getattr__` below): a script,
# the `i3x` command line or a pytest session that loads the plugin waits for httpx,
# pydantic and the models only once it reaches for the client or a model.
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
from ._version import __version__

if _typing.TYPE_CHECKING:
    # What type checkers and editors see; at run time `__getattr__` imports these.
    from ._async_client import AsyncClient
    from ._client import Client
    from ._events import Event, Mode
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

_MODELS = "_models"
_LAZY: dict[str, str] = {
    "AsyncClient": "_async_client",
    "Client": "_client",
    "Event": "_events",
    "Mode": "_events",
    "ServerProfile": "_profiles",
    "AsyncSubscriptionStream": "_pull",
    "SubscriptionStream": "_pull",
    "SyncResult": "_subscriptions",
    **dict.fromkeys(
        (
            "VQT",
            "BulkItem",
            "CurrentValue",
            "HistoricalValue",
            "LastKnownValue",
            "MonitoredObject",
            "Namespace",
            "ObjectInstance",
            "ObjectInstanceMetadata",
            "ObjectType",
            "Quality",
            "QueryCapabilities",
            "RelatedObject",
            "RelationshipType",
            "ResponseDetail",
            "ServerCapabilities",
            "ServerInfo",
            "SubscribeCapabilities",
            "Subscription",
            "SyncBatch",
            "UpdateCapabilities",
            "ValueChange",
            "models_json_schema",
            "to_pandas",
        ),
        _MODELS,
    ),
}
"""The public names imported on first use, by the private module that defines each."""


def _show_as_member(obj: object) -> None:
    # Show public names as i3x.Client rather than i3x._client.Client (as httpx does).
    if getattr(obj, "__module__", "").startswith("i3x._"):
        with _contextlib.suppress(AttributeError, TypeError):  # constants
            obj.__module__ = "i3x"


def _bind_imported() -> None:
    """Bind every lazy name whose module is imported, so that all show as members of i3x."""
    namespace = globals()
    for name, module_name in _LAZY.items():
        module = _sys.modules.get(f"{__name__}.{module_name}")
        if module is not None and name not in namespace:
            value = getattr(module, name)
            _show_as_member(value)
            namespace[name] = value


if not _typing.TYPE_CHECKING:  # type checkers see the imports above, and no catch-all

    def __getattr__(name: str) -> _typing.Any:
        module_name = _LAZY.get(name)
        if module_name is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        _importlib.import_module(f"{__name__}.{module_name}")
        # Everything the import brought in is bound at once: a model reached through a
        # client's answer shows as i3x.VQT whether or not i3x.VQT was looked up first.
        _bind_imported()
        return globals()[name]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


for _name in __all__:
    if _name not in _LAZY:
        _show_as_member(globals()[_name])
del _name

# A library leaves logging configuration to the application: without a handler of
# its own, Python would print the SDK's warnings (reconnects, gaps) to stderr.
_logging.getLogger("i3x").addHandler(_logging.NullHandler())
