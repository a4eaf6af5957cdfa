"""Browser sign-in: session cookie, CSRF-protected forms, and the cookie on the API."""

import re

from tests.factories import PASSWORD, Factory
from tests.web.helpers import login_token, sign_in


def test_sign_in_shows_projects_and_sign_out_ends_the_session(factory: Factory) -> None:
    owner, org_id = factory.owner()
    factory.project(owner, org_id, name="Tickets <triage>")
    client = factory.client
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    sign_in(client, owner.email)
    home = client.get("/")
    assert "Tickets &lt;triage&gt;" in home.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert csrf
    client.post("/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_wrong_password_stays_on_the_form(factory: Factory) -> None:
    owner, _ = factory.owner()
    token = login_token(factory.client)
    response = factory.client.post(
        "/login", data={"email": owner.email, "password": "nope", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "Wrong email or password" in response.text


def test_sign_in_without_the_form_token_is_refused(factory: Factory) -> None:
    owner, _ = factory.owner()
    factory.client.get("/login")
    response = factory.client.post(
        "/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert "fairlabel_session" not in factory.client.cookies


def test_cookie_works_on_the_api_but_writes_need_the_csrf_header(factory: Factory) -> None:
    owner, org_id = factory.owner()
    sign_in(factory.client, owner.email)
    assert factory.client.get("/api/me").json()["email"] == owner.email
    body = {"organization_id": org_id, "name": "From the browser"}
    refused = factory.client.post("/api/projects", json=body)
    assert refused.status_code == 403
    assert refused.json()["error"]["field"] == "x-csrf-token"
    home = factory.client.get("/").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home)
    assert csrf
    accepted = factory.client.post(
        "/api/projects", json=body, headers={"X-CSRF-Token": csrf.group(1)}
    )
    assert accepted.status_code == 201


def test_logout_without_csrf_is_refused(factory: Factory) -> None:
    owner, _ = factory.owner()
    sign_in(factory.client, owner.email)
    response = factory.client.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert factory.client.get("/api/me").status_code == 200
