"""A project's model usage and cost for the client: tokens times the prices each call was
made at, per endpoint and per currency, from the recorded calls."""

from decimal import Decimal

from fairlabel.db import Database
from fairlabel.llm import generation
from tests.factories import Factory
from tests.llm.helpers import config, register, run_async
from tests.llm.standin import StandIn, prompt_tokens, unique_model

MESSAGES = [{"role": "user", "content": "one two three four five"}]


def _complete(database: Database, endpoint_id: int, project_id: int | None) -> None:
    endpoint = config(database, endpoint_id)
    run_async(generation.complete(database, endpoint, MESSAGES, project_id=project_id))


def test_usage_and_cost_per_endpoint_and_currency(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    other_project = factory.project(owner, org_id)
    priced = register(
        owner,
        org_id,
        standin,
        model=unique_model("tokens=10"),
        input_price_per_million="2.5",
        output_price_per_million="10",
    )
    euro = register(
        owner,
        org_id,
        standin,
        model=unique_model("tokens=4"),
        currency="EUR",
        input_price_per_million="0.000001",
        output_price_per_million="0.15",
    )
    silent = register(
        owner, org_id, standin, model=unique_model("nousage"), output_price_per_million="1"
    )
    failing = register(owner, org_id, standin, model=unique_model("status=500"))
    for endpoint_id in (priced["id"], priced["id"], euro["id"], silent["id"], failing["id"]):
        _complete(database, endpoint_id, project["id"])
    _complete(database, priced["id"], other_project["id"])
    _complete(database, priced["id"], None)
    assert owner.post(f"/api/model-endpoints/{priced['id']}/test").json()["ok"]

    response = owner.get(f"/api/projects/{project['id']}/model-usage")
    assert response.status_code == 200, response.text
    usage = response.json()
    prompt = prompt_tokens(MESSAGES)
    assert (usage["calls"], usage["tokens_in"]) == (5, 3 * prompt)
    assert usage["tokens_out"] == 2 * 10 + 4
    by_name = {e["endpoint_name"]: e for e in usage["endpoints"]}
    first = by_name[priced["name"]]
    assert (first["calls"], first["failed"], first["tokens_out"]) == (2, 0, 20)
    usd = (Decimal(2 * prompt) * Decimal("2.5") + Decimal(20) * 10) / 1_000_000
    assert Decimal(first["cost"]) == usd.quantize(Decimal("0.000001"))
    second = by_name[euro["name"]]
    eur = (Decimal(prompt) * Decimal("0.000001") + 4 * Decimal("0.15")) / 1_000_000
    assert Decimal(second["cost"]) == eur.quantize(Decimal("0.000001"))
    assert second["currency"] == "EUR"
    assert by_name[silent["name"]]["calls_without_usage"] == 1
    assert Decimal(by_name[silent["name"]]["cost"]) == 0
    assert by_name[failing["name"]]["failed"] == 1
    assert first["mean_latency_ms"] > 0 and first["mean_first_token_ms"] > 0
    assert {k: Decimal(v) for k, v in usage["cost"].items()} == {
        "USD": usd.quantize(Decimal("0.000001")),
        "EUR": eur.quantize(Decimal("0.000001")),
    }


def test_cost_survives_a_price_change_and_the_endpoint_s_removal(
    factory: Factory, standin: StandIn, database: Database
) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    endpoint = register(
        owner, org_id, standin, model=unique_model("tokens=10"), output_price_per_million="100"
    )
    _complete(database, endpoint["id"], project["id"])
    owner.patch(f"/api/model-endpoints/{endpoint['id']}", json={"output_price_per_million": 0})
    _complete(database, endpoint["id"], project["id"])
    assert owner.delete(f"/api/model-endpoints/{endpoint['id']}").status_code == 204
    usage = owner.get(f"/api/projects/{project['id']}/model-usage").json()
    [row] = usage["endpoints"]
    assert (row["endpoint_id"], row["endpoint_name"], row["calls"]) == (None, endpoint["name"], 2)
    assert Decimal(row["cost"]) == Decimal("0.001")


def test_who_reads_a_project_s_usage(factory: Factory, standin: StandIn) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    viewer = factory.user(org_id=org_id, role="viewer")
    stranger, _ = factory.owner()
    worker = factory.worker()
    url = f"/api/projects/{project['id']}/model-usage"
    empty = viewer.get(url)
    assert empty.status_code == 200
    assert empty.json() == {
        "project_id": project["id"],
        "calls": 0,
        "tokens_in": 0,
        "tokens_out": 0,
        "cost": {},
        "endpoints": [],
    }
    assert stranger.get(url).status_code == 404
    assert worker.get(url).status_code == 404
    assert owner.get("/api/projects/999999/model-usage").status_code == 404
