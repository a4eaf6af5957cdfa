"""Factories that build test data through the real services and the real API."""

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from fairlabel.auth import service as auth_service
from fairlabel.db import Database
from fairlabel.organizations import service as org_service

PASSWORD = "correct horse battery"


@dataclass
class Account:
    """A user and an API token, with helpers that call the API as that user."""

    client: TestClient
    user_id: int
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.client.post(url, headers=self.headers, **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        return self.client.patch(url, headers=self.headers, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self.client.put(url, headers=self.headers, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers=self.headers, **kw)


@dataclass
class Factory:
    database: Database
    client: TestClient
    counter: list[int] = field(default_factory=lambda: [0])

    def _next(self) -> int:
        self.counter[0] += 1
        return self.counter[0]

    def user(
        self,
        *,
        operator: bool = False,
        worker: bool = False,
        org_id: int | None = None,
        role: str = "owner",
        email: str | None = None,
    ) -> Account:
        email = email or f"user{self._next()}@example.org"
        with self.database.session() as db:
            user = auth_service.create_user(
                db,
                email,
                PASSWORD,
                is_operator=operator,
                is_worker=worker,
                worker_country="KE" if worker else None,
            )
            if org_id is not None:
                org_service.add_member(db, org_id, email, role)
            _token, secret = auth_service.create_token(db, user, "test")
            return Account(self.client, user.id, email, secret)

    def worker(self) -> Account:
        return self.user(worker=True)

    def organization(self, slug: str | None = None) -> int:
        n = self._next()
        with self.database.session() as db:
            return org_service.create_organization(db, f"Org {n}", slug or f"org-{n}").id

    def owner(self) -> tuple[Account, int]:
        org_id = self.organization()
        return self.user(org_id=org_id, role="owner"), org_id

    def project(
        self,
        owner: Account,
        org_id: int,
        questions: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        body = {
            "organization_id": org_id,
            "name": f"Project {self._next()}",
            "questions": questions
            if questions is not None
            else [
                {
                    "name": "sentiment",
                    "type": "label",
                    "settings": {"labels": ["positive", "negative", "neutral"]},
                }
            ],
            "guidelines": "# Guidelines\nLabel the sentiment.",
            "status": "active",
            **extra,
        }
        response = owner.post("/api/projects", json=body)
        assert response.status_code == 201, response.text
        project: dict[str, Any] = response.json()
        return project
