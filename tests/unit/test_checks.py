"""Argument checks: a wrong argument raises TypeError/ValueError naming it, before any request."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timezone

import pytest
import respx

import i3x

from ._helpers import API, INFO

pytestmark = pytest.mark.respx(base_url=API, assert_all_called=False)

NAIVE = datetime(2026, 1, 1, 12, 0)  # naive on purpose
FUTURE = datetime(2999, 1, 1, tzinfo=timezone.utc)

Call = Callable[[i3x.Client], object]

CASES: list[tuple[str, Call, type[Exception], str]] = [
    # exploration
    ("namespace_uri type", lambda c: c.get_object_types(5), TypeError, "namespace_uri"),  # type: ignore[arg-type]
    ("namespace_uri empty", lambda c: c.get_relationship_types(""), ValueError, "namespace_uri"),
    ("element_ids str", lambda c: c.query_object_types("abc"), TypeError, "element_ids"),
    ("element_ids empty", lambda c: c.query_relationship_types([]), ValueError, "element_ids"),
    ("element_ids item", lambda c: c.list_objects(["a", 1]), TypeError, r"element_ids\[1\]"),  # type: ignore[list-item]
    ("element_ids empty item", lambda c: c.list_objects(["a", ""]), ValueError, r"element_ids\[1\]"),
    ("element_ids dict item", lambda c: c.get_values({1: "a"}), TypeError, r"element_ids\[0\]"),  # type: ignore[dict-item]
    ("element_ids None", lambda c: c.get_related_objects(None), TypeError, "element_ids"),  # type: ignore[arg-type]
    ("include_metadata", lambda c: c.get_objects(include_metadata="yes"), TypeError, "include_metadata"),  # type: ignore[arg-type]
    ("include_metadata int", lambda c: c.list_objects(["a"], include_metadata=1), TypeError, "include_metadata"),  # type: ignore[arg-type]
    ("root", lambda c: c.get_objects(root=1), TypeError, "root"),  # type: ignore[arg-type]
    ("type_id both", lambda c: c.get_objects(type_id="a", type_element_id="b"), ValueError, "type_element_id"),
    ("type_id type", lambda c: c.get_objects(type_id=5), TypeError, "^type_id must be a str"),  # type: ignore[arg-type]
    ("type_element_id type", lambda c: c.get_objects(type_element_id=5), TypeError, "^type_element_id must be a str"),  # type: ignore[arg-type]
    ("type_element_id empty", lambda c: c.get_objects(type_element_id=""), ValueError, "^type_element_id must not be empty"),
    ("relationship_type", lambda c: c.get_related_objects(["a"], 5), TypeError, "relationship_type"),  # type: ignore[arg-type]
    ("element_id type", lambda c: c.get_object(5), TypeError, "element_id"),  # type: ignore[arg-type]
    # values
    ("get_value id", lambda c: c.get_value(None), TypeError, "element_id"),  # type: ignore[arg-type]
    ("get_value empty", lambda c: c.get_value(""), ValueError, "element_id"),
    ("max_depth negative", lambda c: c.get_value("a", max_depth=-1), ValueError, "max_depth"),
    ("max_depth str", lambda c: c.get_values(["a"], max_depth="1"), TypeError, "max_depth"),  # type: ignore[arg-type]
    ("max_depth bool", lambda c: c.get_value("a", max_depth=True), TypeError, "max_depth"),
    ("max_depth float", lambda c: c.get_history("a", max_depth=1.0), TypeError, "max_depth"),  # type: ignore[arg-type]
    ("start naive", lambda c: c.get_history("a", start_time=NAIVE), ValueError, "start_time"),
    ("end naive", lambda c: c.get_histories(["a"], end_time=NAIVE), ValueError, "end_time"),
    ("start text", lambda c: c.get_history("a", start_time="yesterday"), ValueError, "start_time"),
    ("start no offset", lambda c: c.get_history("a", "2026-01-01T00:00:00"), ValueError, "start_time"),
    ("start int", lambda c: c.get_history("a", start_time=0), TypeError, "start_time"),  # type: ignore[arg-type]
    ("reversed range", lambda c: c.get_history("a", "2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z"), ValueError, "start_time"),
    ("reversed in one second", lambda c: c.get_history("a", "2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00Z"), ValueError, r"^start_time \(2026-01-01T00:00:00.500000Z\) is after end_time"),
    ("future start, no end", lambda c: c.get_history("a", start_time=FUTURE), ValueError, r"^start_time \(2999-01-01T00:00:00Z\) is in the future: without an end_time"),
    ("future start, no end, many", lambda c: c.get_histories(["a", "b"], start_time=FUTURE), ValueError, "^start_time .* is in the future"),
    # writes
    ("update id", lambda c: c.update_value(5, 1), TypeError, "element_id"),  # type: ignore[arg-type]
    ("quality type", lambda c: c.update_value("a", 1, quality=5), TypeError, "quality"),  # type: ignore[arg-type]
    ("timestamp naive", lambda c: c.update_value("a", 1, timestamp=NAIVE), ValueError, "timestamp"),
    ("timestamp text", lambda c: c.update_value("a", 1, timestamp="now"), ValueError, "timestamp"),
    ("vqt dict quality", lambda c: c.update_value("a", {"value": 1, "quality": 5}), TypeError, r'^value\["quality"\] must be a str'),
    ("vqt dict timestamp", lambda c: c.update_value("a", {"value": 1, "timestamp": "now"}), ValueError, r'^value\["timestamp"\] must be an RFC 3339'),
    ("vqt dict naive", lambda c: c.update_value("a", {"value": 1, "timestamp": NAIVE}), ValueError, r'^value\["timestamp"\] is a naive datetime'),
    ("vqt dicts", lambda c: c.update_values({"a": {"value": 1, "timestamp": 0}}), TypeError, r"""^updates\['a'\]\["timestamp"\] must be a datetime"""),
    ("updates empty", lambda c: c.update_values({}), ValueError, "updates"),
    ("updates str", lambda c: c.update_values("a=1"), TypeError, "updates"),  # type: ignore[arg-type]
    ("updates pair", lambda c: c.update_values([("a", 1, 2)]), TypeError, r"updates\[0\]"),  # type: ignore[list-item]
    ("updates id", lambda c: c.update_values({5: 1}), TypeError, "updates"),  # type: ignore[arg-type]
    ("history scalar", lambda c: c.update_history("a", 5), TypeError, "value"),
    ("history no timestamp", lambda c: c.update_history("a", i3x.VQT(value=1)), ValueError, "timestamp"),
    ("history empty", lambda c: c.update_history("a", []), ValueError, "value"),
    ("history bad dict", lambda c: c.update_history("a", {"value": 1, "timestamp": "x"}), ValueError, "value"),
    # subscriptions
    ("display_name", lambda c: c.create_subscription(5), TypeError, "display_name"),  # type: ignore[arg-type]
    ("register sub", lambda c: c.register_items(5, ["a"]), TypeError, "subscription_id"),  # type: ignore[arg-type]
    ("register ids", lambda c: c.register_items("s", "a"), TypeError, "element_ids"),
    ("register depth", lambda c: c.register_items("s", ["a"], max_depth=-1), ValueError, "max_depth"),
    ("unregister ids", lambda c: c.unregister_items("s", []), ValueError, "element_ids"),
    ("list ids", lambda c: c.list_subscriptions([]), ValueError, "subscription_ids"),
    ("list str", lambda c: c.list_subscriptions("s"), TypeError, "subscription_ids"),
    ("get sub", lambda c: c.get_subscription(""), ValueError, "subscription_id"),
    ("delete str", lambda c: c.delete_subscriptions("s"), TypeError, "subscription_ids"),
    ("delete item", lambda c: c.delete_subscriptions([5]), TypeError, "subscription_ids"),  # type: ignore[list-item]
    ("sync sub", lambda c: c.sync_subscription(5), TypeError, "subscription"),  # type: ignore[arg-type]
    ("sync seq", lambda c: c.sync_subscription("s", last_sequence_number="3"), TypeError, "last_sequence_number"),  # type: ignore[arg-type]
    ("sync seq bool", lambda c: c.sync_subscription("s", last_sequence_number=True), TypeError, "last_sequence_number"),
    ("sync seq -2", lambda c: c.sync_subscription("s", last_sequence_number=-2), ValueError, "last_sequence_number"),
    # per-call options
    ("with_options retries", lambda c: c.with_options(max_retries=-1), ValueError, "max_retries"),
    ("with_options batch", lambda c: c.with_options(batch_size=0), ValueError, "batch_size"),
    ("with_options timeout", lambda c: c.with_options(timeout=-1), ValueError, "timeout"),
]  # fmt: skip


@pytest.fixture
def every_route(respx_mock: respx.MockRouter) -> respx.MockRouter:
    """Answer anything, so that a request would show as a call rather than an error."""
    respx_mock.route(name="anything").respond(500)
    return respx_mock


@pytest.mark.parametrize(("name", "call", "error", "argument"), CASES, ids=[c[0] for c in CASES])
def test_wrong_arguments_raise_before_any_request(
    *,
    client: i3x.Client,
    every_route: respx.MockRouter,
    name: str,
    call: Call,
    error: type[Exception],
    argument: str,
) -> None:
    with pytest.raises(error, match=argument):
        call(client)
    assert every_route.routes["anything"].call_count == 0
    assert every_route.routes["info"].call_count == 1, "only the fixture's connect"


def test_argument_checks_come_before_the_lazy_connect(every_route: respx.MockRouter) -> None:
    # A wrong argument is a programming error: it must not wait for (or be hidden
    # by) the network, as it would be if the first call connected first.
    info = every_route.get("/info").respond(json=INFO)
    client = i3x.Client(API)
    with pytest.raises(TypeError, match="element_id"):
        client.get_value(5)  # type: ignore[arg-type]
    assert info.call_count == 0
    assert every_route.routes["anything"].call_count == 0


def test_argument_errors_are_not_i3x_errors(client: i3x.Client) -> None:
    with pytest.raises(TypeError) as caught:
        client.get_value(5)  # type: ignore[arg-type]
    assert not isinstance(caught.value, i3x.I3XError)


def test_importing_i3x_emits_no_warnings() -> None:
    # pytest runs with filterwarnings=error: a warning at import breaks every
    # user's test suite that does the same.
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import i3x, i3x.testing"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.anyio
async def test_the_async_client_refuses_a_future_start_without_an_end_before_any_request(
    every_route: respx.MockRouter,
) -> None:
    info = every_route.get("/info").respond(json=INFO)
    client = i3x.AsyncClient(API)
    with pytest.raises(ValueError, match=r"^start_time .* is in the future"):
        await client.get_history("a", start_time=FUTURE)
    with pytest.raises(ValueError, match=r"^start_time .* is in the future"):
        await client.get_histories(["a"], start_time=FUTURE)
    assert info.call_count == 0
    assert every_route.routes["anything"].call_count == 0
    await client.aclose()


def test_a_start_in_the_past_without_an_end_asks_up_to_now(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post("/objects/history").respond(
        json={
            "success": True,
            "results": [{"success": True, "elementId": "a", "result": {"value": []}}],
        }
    )
    before = datetime.now(timezone.utc)
    client.get_history("a", start_time="2026-01-01T00:00:00Z")
    sent = json.loads(route.calls.last.request.content)
    assert sent["startTime"] == "2026-01-01T00:00:00Z"
    assert datetime.fromisoformat(sent["endTime"].replace("Z", "+00:00")) >= before
