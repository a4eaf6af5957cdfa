"""A pay floor's source is shown to everyone as a link: only an http(s) address is taken,
through the API and the operator's form, so that it can never be a javascript: link."""

from typing import Any

import pytest
from sqlalchemy import select

from fairlabel.db import Database
from fairlabel.models import PayFloor
from tests.factories import Factory
from tests.pay.helpers import add_floor
from tests.web.helpers import page_csrf, sign_in

SCRIPT_LINKS = ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>", " x"]


def floors(database: Database) -> list[tuple[Any, ...]]:
    with database.session(write=False) as db:
        return sorted(tuple(r) for r in db.execute(select(PayFloor.country, PayFloor.source_url)))


@pytest.mark.parametrize("link", SCRIPT_LINKS)
def test_the_api_refuses_a_source_that_is_not_an_http_address(factory: Factory, link: str) -> None:
    operator = factory.user(operator=True)
    body = {"name": "Kenya", "currency": "KES", "hourly_minor": 8000, "source_url": link}
    before = floors(factory.database)
    refused = operator.put("/api/pay/floors/KE", json=body)
    assert refused.status_code == 422
    assert (refused.json()["error"]["field"], refused.json()["error"]["value"]) == (
        "source_url",
        link,
    )
    assert floors(factory.database) == before
    accepted = operator.put("/api/pay/floors/KE", json=body | {"source_url": "https://x.org/w"})
    assert accepted.status_code == 200


def test_the_operator_form_refuses_it_too(factory: Factory) -> None:
    add_floor(factory.database, "KE", "KES", 7151)
    operator = factory.user(operator=True)
    sign_in(factory.client, operator.email)
    form = {"hourly_minor": "8000", "source_url": "javascript:alert(1)"}
    before = floors(factory.database)
    page = factory.client.post(
        "/pay/floors/KE", data=form | {"csrf_token": page_csrf(factory.client)}
    )
    assert page.status_code == 422
    assert "source_url" in page.text
    assert 'href="javascript:' not in page.text
    assert floors(factory.database) == before
