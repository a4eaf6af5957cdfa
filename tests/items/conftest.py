"""Helpers for the items tests: an owner with a project, and imports through the API."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from fairlabel.db import Database
from fairlabel.models import Item
from tests.factories import Account, Factory


@dataclass
class Setup:
    owner: Account
    org_id: int
    project_id: int

    def import_(self, body: bytes, fmt: str | None = "jsonl", **params: Any) -> Any:
        query = {"format": fmt, **params} if fmt else params
        return self.owner.post(
            f"/api/projects/{self.project_id}/imports", content=body, params=query
        )


def post_with_headers(account: Account, url: str, headers: dict[str, str], **kw: Any) -> Any:
    """`Account.post` with extra headers (a Content-Type, a Range)."""
    return account.client.post(url, headers={**account.headers, **headers}, **kw)


def get_with_headers(account: Account, url: str, headers: dict[str, str], **kw: Any) -> Any:
    return account.client.get(url, headers={**account.headers, **headers}, **kw)


@pytest.fixture
def setup(factory: Factory) -> Setup:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    return Setup(owner, org_id, project["id"])


@pytest.fixture
def stored_items(database: Database) -> Callable[[int], dict[str, Item]]:
    """The items of a project as stored, by external id."""

    def load(project_id: int) -> dict[str, Item]:
        with database.session(write=False) as db:
            items = db.scalars(select(Item).where(Item.project_id == project_id)).all()
            return {item.external_id: item for item in items}

    return load
