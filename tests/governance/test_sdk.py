"""The SDK reads the terms and the consultations a worker is entitled to see."""

from fairlabel import Client
from tests.factories import Factory
from tests.governance.helpers import consultation, in_days, publish, representative


def test_sdk_reads_terms_and_consultations(factory: Factory, live_server: str) -> None:
    operator = factory.user(operator=True)
    publish(operator)
    rep = representative(operator, recognised_at=in_days(-3)).json()
    assert consultation(operator, [rep["id"]]).status_code == 201
    with Client(live_server, factory.worker().token) as client:
        [terms] = client.terms()
        assert (terms["number"], terms["status"], terms["acknowledged_at"]) == (1, "current", None)
        [held] = client.consultations()
        assert held["topic"] == "pay_floor" and held["representative_ids"] == [rep["id"]]
