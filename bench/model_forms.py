"""Why the models are pydantic dataclasses: the same answer decoded into each form.

The decode benchmark's 100,000-object `GET /objects` result, validated from its
bytes into `list[i3x.ObjectInstance]` (the models as shipped: frozen pydantic
dataclasses with pydantic's model methods) and into a frozen `BaseModel` mirror with
the same fields, aliases and configuration. Garbage collection is paused while
decoding, as the client does. Times are CPU time (decoding is CPU-bound, and CPU
time moves less than wall time on a shared machine). Run from the repository root:

    python bench/model_forms.py [--objects N] [--repeat N]
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from payload import plant_objects  # bench/, on the path when run as a script
from pydantic import AliasChoices, AliasPath, BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.alias_generators import to_camel

import i3x

_CONFIG = ConfigDict(
    alias_generator=to_camel,
    validate_by_name=True,
    validate_by_alias=True,
    serialize_by_alias=True,
    extra="allow",
    frozen=True,
)


class MetadataModel(BaseModel):
    """`i3x.ObjectInstanceMetadata` as a frozen `BaseModel`."""

    model_config = _CONFIG

    type_namespace_uri: str | None = None
    source_type_id: str | None = None
    eng_unit: str | None = None
    description: str | None = None
    relationships: dict[str, Any] | None = None
    schema_extensions: dict[str, Any] | None = None
    system: dict[str, Any] | None = None


class ObjectModel(BaseModel):
    """`i3x.ObjectInstance` as a frozen `BaseModel`."""

    model_config = _CONFIG

    element_id: str
    display_name: str | None = None
    type_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("typeElementId", "typeId"),
        serialization_alias="typeElementId",
    )
    namespace_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("namespaceUri", AliasPath("metadata", "typeNamespaceUri")),
    )
    parent_id: str | None = None
    is_composition: bool = False
    is_extended: bool = False
    metadata: MetadataModel | None = None


def measure(decode: Callable[[], list[Any]], repeat: int) -> tuple[float, float, float]:
    """Best CPU time (ms), tracemalloc peak (MiB) and what the result holds (MiB)."""
    decode()  # warm-up: schemas and caches are not the call's cost
    times = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        t0 = time.process_time()
        result = decode()
        times.append(time.process_time() - t0)
        gc.enable()
        del result
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    gc.disable()
    kept = decode()
    gc.enable()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    mib = 1024 * 1024
    return min(times) * 1000, (peak - before) / mib, (current - before) / mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    payload = json.dumps(plant_objects(args.objects), separators=(",", ":")).encode()

    dataclasses = TypeAdapter(list[i3x.ObjectInstance])
    base_models = TypeAdapter(list[ObjectModel])
    forms: dict[str, Callable[[], list[Any]]] = {
        "json.loads (floor)": lambda: json.loads(payload),  # type: ignore[no-any-return]
        "pydantic dataclasses (i3x)": lambda: dataclasses.validate_json(payload),
        "frozen BaseModel": lambda: base_models.validate_json(payload),
    }
    print(f"{args.objects:,} objects, {len(payload) / 1e6:.1f} MB of JSON, best of {args.repeat}")
    print(f"{'form':<28}{'CPU ms':>10}{'peak MiB':>10}{'result MiB':>12}")
    for name, decode in forms.items():
        best, peak, held = measure(decode, args.repeat)
        print(f"{name:<28}{best:>10.1f}{peak:>10.1f}{held:>12.1f}")
    sample = dataclasses.validate_json(payload)[0]
    mirror = base_models.validate_json(payload)[0]
    assert sample.model_dump() == mirror.model_dump(), "the two forms must decode alike"


if __name__ == "__main__":
    main()
