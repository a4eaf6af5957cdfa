"""The terms and governance pages through real sign-in and forms: an operator publishes a
version (a refusal shown beside its field, nothing stored), a worker sees the notice on
the home page and acknowledges, the markdown is safe; representatives and consultations
recorded by an operator and listed, read-only, for workers."""

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from fairlabel.db import utcnow
from fairlabel.governance.service import TERMS_NOTICE_DAYS
from tests.factories import Factory
from tests.governance.helpers import consultation, in_days, publish, representative, state
from tests.web.helpers import sign_in


def csrf(client: TestClient, url: str = "/terms") -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def form_value(when: timedelta) -> str:
    return f"{utcnow() + when:%Y-%m-%dT%H:%M}"


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    for url in ("/terms", "/governance"):
        assert client.get(url, follow_redirects=False).headers["location"] == "/login"


def test_an_operator_publishes_through_the_form(factory: Factory, client: TestClient) -> None:
    operator = factory.user(operator=True)
    publish(operator)
    sign_in(client, operator.email)
    token = csrf(client)
    page = client.get("/terms").text
    assert "Publish version 2" in page and 'name="effective_at"' in page
    before = state(factory.database)
    form = {
        "csrf_token": token,
        "title": "Platform terms",
        "body": "# Terms\n\nAppeals are heard within **5 days**.",
        "summary": "Appeals are heard within 5 days instead of 7.",
        "effective_at": form_value(timedelta(days=10)),
    }
    early = client.post("/terms", data=form)
    assert early.status_code == 422
    assert 'id="terms-effective_at-error"' in early.text and "30 days ahead" in early.text
    assert 'aria-invalid="true"' in early.text and "Appeals are heard within 5 days" in early.text
    blank = client.post("/terms", data=form | {"title": " ", "effective_at": ""})
    assert blank.status_code == 422 and 'id="terms-title-error"' in blank.text
    assert state(factory.database) == before
    later = form_value(timedelta(days=TERMS_NOTICE_DAYS, hours=1))
    done = client.post("/terms", data=form | {"effective_at": later}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/terms?published=2"
    page = client.get("/terms?published=2").text
    assert "Version 2 published." in page
    assert f"Version 2 takes effect on {later[:10]}" in page
    assert "<strong>5 days</strong>" in page


def test_workers_and_clients_cannot_publish(factory: Factory, client: TestClient) -> None:
    worker = factory.worker()
    sign_in(client, worker.email)
    token = csrf(client)
    assert "Publish version" not in client.get("/terms").text
    refused = client.post("/terms", data={"csrf_token": token, "title": "T", "body": "B"})
    assert refused.status_code == 403
    no_token = client.post("/terms", data={"title": "T", "body": "B"})
    assert no_token.status_code == 403
    assert state(factory.database)["terms_versions"] == []


def test_a_worker_sees_the_notice_and_acknowledges(factory: Factory, client: TestClient) -> None:
    operator = factory.user(operator=True)
    publish(operator, body="# Terms\n\n<script>alert(1)</script> and **bold**")
    worker = factory.worker()
    worker.post("/api/terms/1/acknowledge")
    effective = utcnow() + timedelta(days=TERMS_NOTICE_DAYS + 2)
    publish(operator, TERMS_NOTICE_DAYS + 2, summary="Sanctions need two reviewers.")
    sign_in(client, worker.email)
    home = client.get("/").text
    assert f"New terms take effect on {effective:%Y-%m-%d}" in home
    assert 'href="/terms">read what changes</a>' in home
    assert 'href="/governance"' in home and 'href="/terms"' in home
    page = client.get("/terms").text
    assert "Sanctions need two reviewers." in page and "Acknowledge version 2" in page
    assert "You acknowledged version 1" in page
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert "<strong>bold</strong>" in page
    token = csrf(client)
    done = client.post("/terms/2/acknowledge", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/terms?acknowledged=2"
    assert "Thank you: version 2 acknowledged." in client.get("/terms?acknowledged=2").text
    assert "New terms take effect" not in client.get("/").text
    missing = client.post("/terms/9/acknowledge", data={"csrf_token": token})
    assert missing.status_code == 404
    assert [a[1] for a in state(factory.database)["terms_acceptances"]] == [1, 2]


def test_a_new_worker_is_told_about_the_terms_in_effect(
    factory: Factory, client: TestClient
) -> None:
    publish(factory.user(operator=True))
    sign_in(client, factory.worker().email)
    assert "terms took effect on" in client.get("/").text


def test_clients_read_the_terms_but_do_not_acknowledge(
    factory: Factory, client: TestClient
) -> None:
    publish(factory.user(operator=True))
    owner, _org = factory.owner()
    sign_in(client, owner.email)
    page = client.get("/terms").text
    assert "Platform terms" in page and "Acknowledge version" not in page
    assert "terms took effect" not in client.get("/").text
    refused = client.post("/terms/1/acknowledge", data={"csrf_token": csrf(client)})
    assert refused.status_code == 403
    assert state(factory.database)["terms_acceptances"] == []


def test_an_operator_records_representatives_and_consultations(
    factory: Factory, client: TestClient
) -> None:
    operator = factory.user(operator=True)
    sign_in(client, operator.email)
    token = csrf(client, "/governance")
    assert "Record a representative" in client.get("/governance").text
    rep = {
        "csrf_token": token,
        "name": "",
        "kind": "association",
        "contact": "secretary@kdw.example.org",
        "worker_id": "",
        "recognised_on": "",
    }
    blank = client.post("/governance/representatives", data=rep)
    assert blank.status_code == 422 and 'id="rep-name-error"' in blank.text
    unknown = client.post(
        "/governance/representatives", data=rep | {"name": "KDW", "worker_id": "99999"}
    )
    assert unknown.status_code == 422 and 'id="rep-worker_id-error"' in unknown.text
    assert state(factory.database)["worker_representatives"] == []
    saved = client.post(
        "/governance/representatives",
        data=rep | {"name": "Kenya Data Workers"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    [row] = state(factory.database)["worker_representatives"]
    con = {
        "csrf_token": token,
        "topic": "pay_floor",
        "held_on": utcnow().date().isoformat(),
        "summary": "The Kenyan floor.",
        "outcome": "Agreed.",
    }
    none = client.post("/governance/consultations", data=con)
    assert none.status_code == 422 and 'id="con-representative_ids-error"' in none.text
    future = (utcnow() + timedelta(days=2)).date().isoformat()
    ahead = client.post(
        "/governance/consultations",
        data=con | {"held_on": future, "representative_ids": [str(row[0])]},
    )
    assert ahead.status_code == 422 and 'id="con-held_on-error"' in ahead.text
    assert state(factory.database)["consultations"] == []
    recorded = client.post(
        "/governance/consultations",
        data=con | {"representative_ids": [str(row[0])]},
        follow_redirects=False,
    )
    assert recorded.status_code == 303
    page = client.get("/governance?saved=consultation").text
    assert "The consultation is recorded." in page and "The Kenyan floor." in page


def test_workers_read_who_represents_them(factory: Factory, client: TestClient) -> None:
    operator = factory.user(operator=True)
    rep = representative(operator, recognised_at=in_days(-10)).json()
    assert consultation(operator, [rep["id"]]).status_code == 201
    worker = factory.worker()
    sign_in(client, worker.email)
    page = client.get("/governance").text
    assert "Kenya Data Workers" in page and "secretary@kdw.example.org" in page
    assert "Raising the Kenyan floor" in page and "Record a representative" not in page
    token = csrf(client, "/governance")
    form = {"csrf_token": token, "name": "Mine", "kind": "union", "contact": "me"}
    assert client.post("/governance/representatives", data=form).status_code == 403
    assert len(state(factory.database)["worker_representatives"]) == 1
