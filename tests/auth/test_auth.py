"""Accounts, API tokens (hashed, shown once, revocable) and who-am-I, through the real API."""

from sqlalchemy import select

from fairlabel.models import ApiToken, User
from tests.factories import PASSWORD, Factory


def test_passwords_are_stored_as_argon2_hashes(factory: Factory) -> None:
    account = factory.user()
    with factory.database.session() as db:
        stored = db.scalar(select(User.password_hash).where(User.id == account.user_id))
    assert stored is not None and stored.startswith("$argon2")
    assert PASSWORD not in stored


def test_token_is_created_with_password_shown_once_and_stored_hashed(factory: Factory) -> None:
    account = factory.user()
    response = factory.client.post(
        "/api/tokens", json={"email": account.email, "password": PASSWORD, "name": "sdk"}
    )
    assert response.status_code == 201
    secret = response.json()["token"]
    assert secret.startswith("fl_")
    with factory.database.session() as db:
        hashes = list(db.scalars(select(ApiToken.token_hash)))
    assert secret not in hashes
    me = factory.client.get("/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["email"] == account.email
    listed = account.get("/api/tokens").json()
    assert {t["name"] for t in listed} == {"test", "sdk"}
    assert all("token" not in t for t in listed)


def test_wrong_password_gets_401_and_creates_no_token(factory: Factory) -> None:
    account = factory.user()
    response = factory.client.post(
        "/api/tokens", json={"email": account.email, "password": "wrong password"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    with factory.database.session() as db:
        assert len(list(db.scalars(select(ApiToken)))) == 1


def test_revoked_token_stops_working(factory: Factory) -> None:
    account = factory.user()
    token_id = account.get("/api/tokens").json()[0]["id"]
    assert account.delete(f"/api/tokens/{token_id}").json()["revoked_at"] is not None
    response = account.get("/api/me")
    assert response.status_code == 401
    assert response.json()["error"]["field"] == "Authorization"


def test_cannot_revoke_someone_elses_token(factory: Factory) -> None:
    alice, bob = factory.user(), factory.user()
    bob_token = bob.get("/api/tokens").json()[0]["id"]
    response = alice.delete(f"/api/tokens/{bob_token}")
    assert response.status_code == 404
    assert bob.get("/api/me").status_code == 200


def test_anonymous_and_garbage_tokens_get_401(factory: Factory) -> None:
    assert factory.client.get("/api/me").status_code == 401
    bad = factory.client.get("/api/me", headers={"Authorization": "Bearer fl_nope"})
    assert bad.status_code == 401


def test_me_reports_roles(factory: Factory) -> None:
    owner, org_id = factory.owner()
    body = owner.get("/api/me").json()
    assert body["organizations"] == [
        {
            "organization_id": org_id,
            "organization_name": body["organizations"][0]["organization_name"],
            "role": "owner",
        }
    ]
    assert body["is_worker"] is False
    assert factory.worker().get("/api/me").json()["is_worker"] is True


def test_malformed_token_request_names_the_field(factory: Factory) -> None:
    response = factory.client.post("/api/tokens", json={"email": "not-an-email", "password": "x"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "email" and error["value"] == "not-an-email"
