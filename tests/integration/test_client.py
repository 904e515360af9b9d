"""Every client method against the embedded server over real sockets, sync and async."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

import i3x
from i3x.testing import Capabilities, DemoServer

SENSORS = ["ts-301", "ts-302", "ts-303", "pt-304"]


def test_seed_readme_quick_start(client: i3x.Client, i3x_server: DemoServer) -> None:
    # The seed README's quick start, with the demo plant's ids for element-id-1.
    client.connect()
    namespaces = client.get_namespaces()
    object_types = client.get_object_types()
    objects = client.get_objects(type_id="temperature-transmitter-type")
    value = client.get_value("tank-201-setpoint")
    history = client.get_history("pump-101-flow", start_time="2026-01-01T00:00:00Z")
    client.update_value("tank-201-setpoint", {"temperature": 72.5})
    assert client.get_value("tank-201-setpoint").data[0].value == {"temperature": 72.5}
    client.disconnect()

    assert {ns.uri for ns in namespaces} >= {ot.namespace_uri for ot in object_types}
    assert {o.element_id for o in objects} == {"ts-301", "ts-302", "ts-303"}
    assert value.data[0].quality == i3x.Quality.GOOD
    assert len(history.data) > 10
    assert not client.is_connected


def test_connect_finds_v1_and_reports_capabilities(
    client: i3x.Client, i3x_server: DemoServer
) -> None:
    info = client.connect()
    assert client.is_connected
    assert client.api_url == i3x_server.api_url
    assert info.spec_version == "1.0"
    assert info.capabilities.subscribe.stream is True
    assert client.server_info == info
    assert client.get_info().spec_version == "1.0"


def test_connect_with_v1_in_the_url(
    client_factory: Callable[..., i3x.Client], i3x_server: DemoServer
) -> None:
    client = client_factory(i3x_server.api_url)
    client.connect()
    assert client.api_url == i3x_server.api_url
    assert [r.path for r in i3x_server.requests][-1:] == ["/v1/info"]


def test_context_manager_connects_and_disconnects(i3x_server: DemoServer) -> None:
    with i3x.Client(i3x_server.url) as client:
        assert client.is_connected
        assert client.get_object("pump-101").is_composition
    assert not client.is_connected


def test_exploration(client: i3x.Client) -> None:
    types = {t.element_id: t for t in client.get_object_types()}
    assert types["temperature-setpoint-type"].schema["required"] == ["temperature"]
    queried = client.query_object_types(["pump-type", "temperature-setpoint-type"])
    assert [t.element_id for t in queried] == ["pump-type", "temperature-setpoint-type"]

    rel_types = {r.element_id: r for r in client.get_relationship_types()}
    assert rel_types["SuppliesTo"].reverse_of == "SuppliedBy"
    assert rel_types["HasComponent"].reverse_of == "ComponentOf"
    pair = client.query_relationship_types(["Monitors", "MonitoredBy"])
    assert [r.reverse_of for r in pair] == ["MonitoredBy", "Monitors"]

    roots = client.get_objects(root=True)
    assert [o.element_id for o in roots] == ["site-1"]
    every = client.get_objects(include_metadata=True)
    assert all(o.metadata is not None for o in every)
    assert all(o.namespace_uri is not None for o in every)
    pump = client.get_object("pump-101", include_metadata=True)
    assert pump.is_composition
    assert pump.type_element_id == pump.type_id
    assert pump.metadata is not None
    assert pump.metadata.relationships is not None

    listed = client.list_objects(["tank-201", "pump-101"])
    assert [o.element_id for o in listed] == ["tank-201", "pump-101"]


def test_related_objects_both_directions(client: i3x.Client) -> None:
    supplied = client.get_related_objects(["pump-101"], "SuppliesTo")
    assert [(r.source_relationship, r.element_id) for r in supplied] == [("SuppliesTo", "tank-201")]
    back = client.get_related_objects(["tank-201"], "SuppliedBy")
    assert [r.element_id for r in back] == ["pump-101"]
    components = client.get_related_objects(["pump-101"], "HasComponent")
    assert {r.element_id for r in components} >= {"pump-101-flow", "pump-101-motor"}
    everything = client.get_related_objects(["tank-201"])
    assert {r.source_relationship for r in everything} >= {"SuppliedBy", "MonitoredBy"}
    assert isinstance(everything[0].object, i3x.ObjectInstance)


def test_unknown_ids_fail_per_item(client: i3x.Client) -> None:
    with pytest.raises(i3x.NotFoundError) as single:
        client.get_object("no-such-element")
    assert single.value.status_code == 404
    with pytest.raises(i3x.BulkError) as bulk:
        client.list_objects(["pump-101", "no-such-element", "tank-201"])
    assert list(bulk.value.results) == ["pump-101", "tank-201"]
    assert list(bulk.value.errors) == ["no-such-element"]
    assert isinstance(bulk.value.errors["no-such-element"], i3x.NotFoundError)
    assert [item.success for item in bulk.value.items] == [True, False, True]


def test_values_every_quality_and_depth(client: i3x.Client) -> None:
    values = client.get_values(SENSORS)
    assert list(values) == SENSORS
    assert list(client.get_values(values)) == SENSORS  # a mapping's keys are ids too
    assert [values[s].quality for s in SENSORS] == ["GoodNoData", "Bad", "Uncertain", "Good"]
    assert values["ts-301"].value is None
    assert values["ts-302"].value is None
    assert all(v.timestamp is not None and v.timestamp.tzinfo is not None for v in values.values())

    only = client.get_value("pump-101")
    assert only.children == {}
    two = client.get_value("pump-101", max_depth=2)
    assert set(two.children) == {
        "pump-101-flow",
        "pump-101-discharge-pressure",
        "pump-101-state",
        "pump-101-motor",
    }
    everything = client.get_value("pump-101", max_depth=0)
    assert {"pump-101-motor-temperature", "pump-101-motor-current"} <= set(everything.children)
    assert everything.is_composition


def test_history_oldest_first_in_range(client: i3x.Client, i3x_server: DemoServer) -> None:
    end = datetime.now(timezone.utc)
    history = client.get_history(
        "pump-101-flow", start_time=end - timedelta(minutes=10), end_time=end
    )
    stamps = [v.timestamp for v in history.data if v.timestamp is not None]
    assert stamps == sorted(stamps)
    assert len(stamps) > 2
    assert all(end - timedelta(minutes=10) <= t <= end for t in stamps if t is not None)
    assert history.value == history.data[-1].value

    i3x_server.set_value("pump-101-flow", 123.0)
    latest = client.get_history("pump-101-flow")  # no end: up to now
    assert latest.data[-1].value == 123.0

    histories = client.get_histories(
        ["pt-304", "pump-101-flow"], start_time=end - timedelta(minutes=5)
    )
    assert list(histories) == ["pt-304", "pump-101-flow"]


def test_writes_validated_by_the_server(client: i3x.Client) -> None:
    client.update_value("tank-201-setpoint", {"temperature": 60.0, "mode": "manual"})
    assert client.get_value("tank-201-setpoint").value == {"temperature": 60.0, "mode": "manual"}

    with pytest.raises(i3x.BadRequestError) as bad:
        client.update_value("tank-201-setpoint", {"temperature": "hot"})
    assert bad.value.status_code == 400
    assert "temperature" in str(bad.value)
    assert client.get_value("tank-201-setpoint").value == {"temperature": 60.0, "mode": "manual"}

    stamp = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    client.update_value("pt-304", i3x.VQT(value=2.5, quality="Uncertain", timestamp=stamp))
    written = client.get_value("pt-304")
    assert (written.value, written.quality, written.timestamp) == (2.5, "Uncertain", stamp)

    with pytest.raises(i3x.BulkError) as partial:
        client.update_values({"pt-304": 3.0, "tank-201-setpoint": {"temperature": -5}})
    assert list(partial.value.errors) == ["tank-201-setpoint"]
    assert client.get_value("pt-304").value == 3.0


def test_history_writes(client: i3x.Client) -> None:
    stamp = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
    client.update_history("pt-304", [i3x.VQT(value=1.25, timestamp=stamp)])
    history = client.get_history(
        "pt-304", start_time=stamp - timedelta(seconds=1), end_time=stamp + timedelta(seconds=1)
    )
    assert [(v.value, v.timestamp) for v in history.data] == [(1.25, stamp)]


def test_capability_off_is_not_supported(client: i3x.Client, i3x_server: DemoServer) -> None:
    i3x_server.set_capabilities(query_history=False)
    with pytest.raises(i3x.NotSupportedError) as off:
        client.get_history("pt-304")
    assert off.value.status_code == 501


def test_retries_a_503_with_retry_after(
    client_factory: Callable[..., i3x.Client], i3x_server: DemoServer, i3x_fast_waits: None
) -> None:
    client = client_factory(i3x_server.url)
    client.connect()
    i3x_server.faults.fail_next(2, status=503, retry_after=0.01, path="/v1/objects/value")
    assert client.get_value("pt-304").quality == "Good"
    paths = [r.path for r in i3x_server.requests if r.path == "/v1/objects/value"]
    assert len(paths) == 3


def test_read_survives_a_cut_connection(
    client: i3x.Client, i3x_server: DemoServer, i3x_fast_waits: None
) -> None:
    client.connect()
    i3x_server.faults.cut_next(path="/v1/objects")
    assert len(client.get_objects()) > 20


def test_malformed_body_is_a_typed_error(client: i3x.Client, i3x_server: DemoServer) -> None:
    client.connect()
    i3x_server.faults.malformed_next(path="/v1/namespaces")
    with pytest.raises(i3x.InvalidServerResponseError, match="not valid JSON"):
        client.get_namespaces()


def test_bearer_and_basic_auth(
    client_factory: Callable[..., i3x.Client], i3x_server_factory: Callable[..., DemoServer]
) -> None:
    server = i3x_server_factory(token="s3cret-token")
    good = client_factory(server.url, token="s3cret-token")
    assert good.get_namespaces()
    bad = client_factory(server.url, token="wrong")
    with pytest.raises(i3x.AuthenticationError) as denied:
        bad.get_namespaces()
    assert "wrong" not in str(denied.value)
    assert "s3cret" not in repr(bad)

    basic = i3x_server_factory(basic_auth=("operator", "pa55word"))
    assert client_factory(basic.url, auth=("operator", "pa55word")).get_namespaces()
    from_url = client_factory(basic.url.replace("http://", "http://operator:pa55word@"))
    assert from_url.get_namespaces()
    assert "pa55word" not in repr(from_url)
    assert "pa55word" not in from_url.base_url


def test_beta_server_writes_per_element(
    client_factory: Callable[..., i3x.Client], i3x_server_factory: Callable[..., DemoServer]
) -> None:
    server = i3x_server_factory(beta=True)
    client = client_factory(server.url)
    with pytest.warns(DeprecationWarning, match="beta"):
        client.connect()
    client.update_value("tank-201-setpoint", {"temperature": 40.0})
    assert client.get_value("tank-201-setpoint").value == {"temperature": 40.0}
    assert "/v1/objects/tank-201-setpoint/value" in [r.path for r in server.requests]


def test_nothing_listening_is_a_connection_error(client_factory: Callable[..., i3x.Client]) -> None:
    server = DemoServer(ticking=False).start()
    url = server.url
    server.stop()
    client = client_factory(url, max_retries=0)
    with pytest.raises(i3x.ConnectionError):
        client.connect()


def test_subscription_requests(client: i3x.Client, i3x_server: DemoServer) -> None:
    sub_id = client.create_subscription(display_name="line watch")
    client.register_items(sub_id, ["pt-304", "tank-201"], max_depth=1)
    [listed] = client.get_subscriptions()
    assert listed.subscription_id == sub_id
    assert listed.display_name == "line watch"
    assert listed.objects == ["pt-304", "tank-201"]
    assert listed.created is not None
    assert client.list_subscriptions([sub_id])[0].client_id == client.client_id

    i3x_server.set_value("pt-304", 1.0)
    i3x_server.set_value("pt-304", 2.0)
    first = client.sync_subscription(sub_id)
    assert [u.value for u in first.updates] == [1.0, 2.0]
    again = client.sync_subscription(sub_id)  # acknowledges the first answer by itself
    assert again == []
    i3x_server.set_value("pt-304", 3.0)
    assert [u.value for u in client.sync_subscription(sub_id).updates] == [3.0]

    client.unregister_items(sub_id, ["tank-201"])
    assert client.get_subscription(sub_id).objects == ["pt-304"]
    client.delete_subscriptions([sub_id])
    with pytest.raises(i3x.NotFoundError):
        client.get_subscription(sub_id)
    assert client.get_subscriptions() == []


def test_another_clients_subscription_is_not_found(
    client_factory: Callable[..., i3x.Client], i3x_server: DemoServer
) -> None:
    owner = client_factory(i3x_server.url)
    other = client_factory(i3x_server.url)
    sub_id = owner.create_subscription()
    with pytest.raises(i3x.NotFoundError):
        other.sync_subscription(sub_id)
    with pytest.raises(i3x.NotFoundError):
        other.get_subscription(sub_id)


def test_with_options_shares_the_connection(
    client: i3x.Client, i3x_server: DemoServer, i3x_fast_waits: None
) -> None:
    client.connect()
    quick = client.with_options(max_retries=0, timeout=5.0)
    assert quick.max_retries == 0
    assert quick.is_connected
    i3x_server.faults.fail_next(status=503, path="/v1/objects/value")
    with pytest.raises(i3x.ServerError):
        quick.get_value("pt-304")
    assert client.get_value("pt-304").quality == "Good"


def test_capabilities_dataclass_is_public() -> None:
    assert Capabilities(stream=False).stream is False
