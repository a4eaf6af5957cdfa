"""Worker profiles and qualifications: the worker claims, an operator checks, a test
calibrates; every change in the worker's audit trail; bad input changes nothing."""

from fairlabel.models import QualificationTier
from tests.factories import Factory
from tests.workforce.helpers import events, state


def test_a_worker_edits_their_profile_and_claims_a_qualification(factory: Factory) -> None:
    worker = factory.worker()
    body = {"country": "de", "languages": ["en", "de", "en"], "skills": ["radiology"]}
    response = worker.put("/api/me/profile", json=body)
    assert response.status_code == 422  # country codes are upper case
    response = worker.put("/api/me/profile", json=body | {"country": "DE"})
    assert response.status_code == 200, response.text
    assert response.json()["languages"] == ["de", "en"]
    claimed = worker.post(
        "/api/me/qualifications", json={"name": "medicine", "level": 3, "evidence": "MD 2015"}
    )
    assert claimed.status_code == 201, claimed.text
    assert claimed.json()["tier"] == QualificationTier.claimed
    profile = worker.get("/api/me/profile").json()
    assert profile["country"] == "DE"
    assert [(q["name"], q["level"], q["tier"]) for q in profile["qualifications"]] == [
        ("medicine", 3, "claimed")
    ]
    assert events(factory.database, worker.user_id, "qualification_claimed")


def test_bad_profile_input_changes_nothing(factory: Factory) -> None:
    worker = factory.worker()
    owner, _org = factory.owner()
    before = state(factory.database)
    bad = [
        ("put", "/api/me/profile", {"country": "Kenya"}),
        ("put", "/api/me/profile", {"languages": ["english!"]}),
        ("put", "/api/me/profile", {"skills": ["Not A Skill"]}),
        ("post", "/api/me/qualifications", {"name": "medicine", "level": 6}),
        ("post", "/api/me/qualifications", {"name": "Medicine!", "level": 1}),
    ]
    for method, url, body in bad:
        response = getattr(worker, method)(url, json=body)
        assert response.status_code == 422, (url, body, response.text)
        assert response.json()["error"]["field"]
    assert owner.get("/api/me/profile").status_code == 403
    assert state(factory.database) == before


def test_an_operator_checks_a_claim_with_a_reason(factory: Factory) -> None:
    worker, operator = factory.worker(), factory.user(operator=True)
    worker.post("/api/me/qualifications", json={"name": "law", "level": 2})
    url = f"/api/workers/{worker.user_id}/qualifications/law/tier"
    body = {"tier": "verified", "reason": "bar admission checked"}
    assert worker.put(url, json=body).status_code == 403
    assert operator.put(url, json=body | {"tier": "calibrated"}).status_code == 422
    assert operator.put(url.replace("law", "medicine"), json=body).status_code == 404
    response = operator.put(url, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["tier"] == "verified"
    [event] = events(factory.database, worker.user_id, "qualification_tier")
    assert event.actor_id == operator.user_id
    assert event.data["from"] == "claimed" and event.data["reason"] == "bar admission checked"
    # a new level is a new claim: the check was of the old one
    worker.post("/api/me/qualifications", json={"name": "law", "level": 4})
    assert worker.get("/api/me/profile").json()["qualifications"][0]["tier"] == "claimed"
    assert operator.get(f"/api/workers/{worker.user_id}/profile").status_code == 200
    assert worker.get(f"/api/workers/{worker.user_id}/profile").status_code == 403
