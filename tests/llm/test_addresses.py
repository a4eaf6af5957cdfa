"""Where endpoints may point: link-local and cloud metadata addresses never, private and
loopback ones only where the operator allows them; checked at registration and again at
every connection, against the addresses the name resolves to then."""

import ipaddress

import pytest

from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.llm.addresses import GuardedBackend, RefusedAddress, refusal
from tests.factories import Factory
from tests.llm.helpers import calls, register, run_async, state
from tests.llm.standin import StandIn, unique_model

ALWAYS_REFUSED = [
    "169.254.169.254",
    "169.254.170.2",
    "169.254.0.1",
    "fd00:ec2::254",
    "fe80::1",
    "::ffff:169.254.169.254",
    "64:ff9b::a9fe:a9fe",
    "100.100.100.200",
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "ff02::1",
    "255.255.255.255",
    "240.0.0.1",
]
PRIVATE = [
    "127.0.0.1",
    "127.8.9.1",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.10",
    "100.64.0.1",
    "fd12:3456::1",
    "::ffff:10.0.0.1",
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", ALWAYS_REFUSED)
def test_link_local_metadata_and_non_unicast_addresses_are_always_refused(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert refusal(ip, allow_private=True)
    assert refusal(ip, allow_private=False)


@pytest.mark.parametrize("address", PRIVATE)
def test_private_addresses_follow_the_operator_setting(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert refusal(ip, allow_private=True) is None
    assert "private" in (refusal(ip, allow_private=False) or "")


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), allow_private=False) is None


REFUSED_URLS = [
    "http://169.254.169.254/latest/meta-data",
    "http://[fd00:ec2::254]/v1",
    "http://[fe80::1]:8000/v1",
    "http://[::ffff:169.254.169.254]/v1",
    "http://2852039166/v1",
    "http://metadata.google.internal/computeMetadata/v1",
    "http://METADATA.google.internal./v1",
    "http://0.0.0.0:8000/v1",
]


def test_registering_a_refused_address_is_a_422_that_stores_nothing(
    factory: Factory, database: Database
) -> None:
    owner, org_id = factory.owner()
    before = state(database)
    for url in REFUSED_URLS:
        body = {"name": "x", "base_url": url, "model": "m"}
        response = owner.post(f"/api/organizations/{org_id}/model-endpoints", json=body)
        assert response.status_code == 422, (url, response.text)
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("refused_address", "base_url"), url
    assert state(database) == before


def test_with_private_endpoints_off_loopback_and_private_are_refused_by_what_names_resolve_to(
    factory: Factory,
    standin: StandIn,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner, org_id = factory.owner()
    endpoint = register(owner, org_id, standin)
    monkeypatch.setattr(settings, "llm_allow_private_endpoints", False)
    before = state(database)
    port = standin.origin.rsplit(":", 1)[1]
    for url in (
        standin.base_url,
        f"http://localhost:{port}/v1",
        "http://10.0.0.7/v1",
        "http://[::1]:8000/v1",
    ):
        body = {"name": "x", "base_url": url, "model": "m"}
        response = owner.post(f"/api/organizations/{org_id}/model-endpoints", json=body)
        assert response.status_code == 422, (url, response.text)
        assert response.json()["error"]["code"] == "refused_address"
    localhost = owner.patch(
        f"/api/model-endpoints/{endpoint['id']}", json={"base_url": f"http://localhost:{port}/v1"}
    )
    assert "resolves to" in localhost.json()["error"]["message"]
    assert state(database) == before


def test_the_address_is_checked_again_when_connecting(
    factory: Factory,
    standin: StandIn,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Registered while allowed, as a name re-pointed after registration would be: the
    connection is refused and the endpoint never reached."""
    owner, org_id = factory.owner()
    port = standin.origin.rsplit(":", 1)[1]
    model = unique_model()
    endpoint = register(owner, org_id, standin, model=model, base_url=f"http://localhost:{port}/v1")
    monkeypatch.setattr(settings, "llm_allow_private_endpoints", False)
    tested = owner.post(f"/api/model-endpoints/{endpoint['id']}/test")
    assert tested.status_code == 200
    result = tested.json()
    assert result["ok"] is False
    assert result["error"]["code"] == "refused_address"
    assert "localhost" in result["error"]["message"]
    assert standin.stats(model)["requests"] == 0
    assert [c.error_code for c in calls(database, endpoint["id"])] == ["refused_address"]


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1", "169.254.169.254", "metadata.google.internal"]
)
def test_the_connection_guard_checks_the_address_it_opens(host: str) -> None:
    backend = GuardedBackend(allow_private=False)
    with pytest.raises(RefusedAddress):
        run_async(backend.connect_tcp(host, 80, timeout=2))
