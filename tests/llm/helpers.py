"""Shared by the model endpoint tests: registering an endpoint on the stand-in, table
snapshots to prove a refused request stored nothing, and the raw stored rows."""

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import select, text

from fairlabel.db import Database
from fairlabel.llm import service
from fairlabel.llm.client import EndpointConfig
from fairlabel.models import ModelCall, ModelEndpoint
from tests.factories import Account
from tests.llm.standin import StandIn, unique_model

T = TypeVar("T")

#: Long enough to show its last four characters, and easy to search for.
API_KEY = "sk-fairlabel-test-9f8e7d6c5b4a"
TABLES = (ModelEndpoint, ModelCall)


def register(account: Account, org_id: int, standin: StandIn, **fields: Any) -> dict[str, Any]:
    """An endpoint on the stand-in (a fresh model name unless one is given), no retries."""
    body = {
        "name": fields.pop("name", None) or unique_model().rsplit("=", 1)[1],
        "base_url": standin.base_url,
        "model": fields.pop("model", None) or unique_model(),
        "max_retries": 0,
        "timeout_seconds": 2,
        **fields,
    }
    response = account.post(f"/api/organizations/{org_id}/model-endpoints", json=body)
    assert response.status_code == 201, response.text
    endpoint: dict[str, Any] = response.json()
    return endpoint


def state(database: Database) -> dict[str, Any]:
    with database.session(write=False) as db:
        return {
            model.__tablename__: sorted(
                tuple(getattr(obj, c.name) for c in model.__table__.columns)
                for obj in db.scalars(select(model))
            )
            for model in TABLES
        }


def calls(database: Database, endpoint_id: int) -> list[ModelCall]:
    with database.session(write=False) as db:
        query = select(ModelCall).where(ModelCall.endpoint_id == endpoint_id)
        return list(db.scalars(query.order_by(ModelCall.id)))


def raw_rows(database: Database) -> str:
    """Every stored value of the endpoint and call tables, as text, to search for a key."""
    with database.session(write=False) as db:
        rows = [
            repr(tuple(row))
            for table in ("model_endpoints", "model_calls")
            for row in db.execute(text(f"SELECT * FROM {table}"))
        ]
    return "\n".join(rows)


def config(database: Database, endpoint_id: int) -> EndpointConfig:
    """What the platform calls the endpoint with, as the chat question type will load it."""
    with database.session(write=False) as db:
        return service.endpoint_config(db, service.get_endpoint(db, endpoint_id))


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """The coroutine to its end on a fresh event loop in a thread of its own: the browser
    tests' Playwright keeps an event loop running in the main thread for the whole session,
    where asyncio.run refuses to start another."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
