"""`fairlabel pay …` and `fairlabel db upgrade` against the test database: floors loaded
into an empty table, exchange rates, the deadline sweep and a payout batch on disk."""

import csv
import json
from pathlib import Path

import pytest

from tests.cli.test_cli import cli_env, invoke  # noqa: F401 (a fixture)
from tests.factories import Factory
from tests.pay.helpers import balances, paid_project
from tests.queue.helpers import lease, submit

pytestmark = pytest.mark.usefixtures("cli_env")


def test_upgrade_loads_the_shipped_floors_once(factory: Factory) -> None:
    code, out = invoke("db", "upgrade")
    assert code == 0 and "pay floors" in out
    assert "pay floors" not in invoke("db", "upgrade")[1]
    assert invoke("pay", "load-floors")[1].strip() == "pay floors already present"
    assert invoke("pay", "load-floors", "--replace")[0] == 0
    floors = factory.worker().get("/api/pay/floors").json()
    assert {"KE", "US", "IN", "GB"} <= {f["country"] for f in floors}


def test_set_rate_and_bad_input(factory: Factory) -> None:
    assert invoke("pay", "set-rate", "KES", "129.5", "--as-of", "2026-01-02")[0] == 0
    rates = factory.worker().get("/api/pay/exchange-rates").json()
    assert rates[0]["currency"] == "KES" and rates[0]["as_of"] == "2026-01-02"
    code, out = invoke("pay", "set-rate", "kes", "0")
    assert code == 2 and "error" in out


@pytest.mark.parametrize("form", ["csv", "json"])
def test_payout_writes_the_batch(factory: Factory, tmp_path: Path, form: str) -> None:
    _owner, project, _items = paid_project(factory, rates={"label": 120})
    worker = factory.worker()
    assert submit(worker, lease(worker, project["id"])["id"]).status_code == 201
    assert invoke("pay", "approve-due")[0] == 0
    target = tmp_path / f"batch.{form}"
    code, out = invoke("pay", "payout", "--currency", "USD", "--format", form, "--out", str(target))
    assert code == 0 and "1 workers" in out, out
    text = target.read_text()
    rows = list(csv.DictReader(text.splitlines())) if form == "csv" else json.loads(text)
    assert [(r["amount"], str(r["entries"])) for r in rows] == [("1.20", "1")]
    assert balances(factory.database, worker.user_id)["paid"] == 120
