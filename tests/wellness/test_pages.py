"""The content opt-in page, the Fairwork report page, and what the home page shows of a
project before a worker accepts it."""

import re

from fastapi.testclient import TestClient

from tests.factories import Factory
from tests.queue.helpers import lease, setup_project, submit
from tests.web.helpers import sign_in


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def test_opt_in_page_saves_ticked_categories(factory: Factory, client: TestClient) -> None:
    worker = factory.worker()
    sign_in(client, worker.email)
    page = client.get("/me/content")
    assert page.status_code == 200 and "Self-harm and suicide" in page.text
    assert "findahelpline.com" in page.text and "examples" in page.text
    form = {"csrf_token": csrf(page.text), "categories": ["violence", "medical"]}
    saved = client.post("/me/content", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert [o["category"] for o in worker.get("/api/me/risk-opt-ins").json()] == [
        "medical",
        "violence",
    ]
    again = client.post(
        "/me/content", data={"csrf_token": form["csrf_token"], "categories": ["medical"]}
    )
    assert again.status_code == 200 and "Saved." in again.text
    assert [o["category"] for o in worker.get("/api/me/risk-opt-ins").json()] == ["medical"]


def test_opt_in_form_without_csrf_changes_nothing(factory: Factory, client: TestClient) -> None:
    worker = factory.worker()
    sign_in(client, worker.email)
    refused = client.post("/me/content", data={"categories": ["violence"]})
    assert refused.status_code == 403
    assert worker.get("/api/me/risk-opt-ins").json() == []


def test_home_shows_risks_and_ratings_before_accepting(
    factory: Factory, client: TestClient
) -> None:
    _owner, created, _ids = setup_project(factory, 2, content_risks=["violence"])
    rater = factory.worker()
    assert rater.put("/api/me/risk-opt-ins/violence").status_code == 200
    assert submit(rater, lease(rater, created["id"])["id"]).status_code == 201
    rating = {"instructions": 5, "pay": 3, "reviews": 4, "comment": "secret"}
    assert rater.put(f"/api/projects/{created['id']}/rating", json=rating).status_code == 200
    sign_in(client, factory.worker().email)
    home = client.get("/").text
    assert "Content warning:</strong> Violence and gore" in home
    assert "Workers' ratings (1): instructions 5.0/5, pay 3.0/5, reviews 4.0/5" in home
    assert "secret" not in home


def test_fairwork_page_for_operators_only(factory: Factory, client: TestClient) -> None:
    owner, _org = factory.owner()
    sign_in(client, owner.email)
    assert client.get("/reports/fairwork").status_code == 403
    operator = factory.user(operator=True)
    sign_in(client, operator.email)
    page = client.get("/reports/fairwork", params={"since": "2020-01-01"})
    assert page.status_code == 200
    assert page.text.count('class="card threshold"') == 10
    assert "5.2 Collective governance or bargaining" in page.text and "does not hold" in page.text
