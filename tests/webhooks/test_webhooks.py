"""Webhooks through the real API and a real HTTP receiver on 127.0.0.1: a finished job's
event arrives signed; a receiver that is down changes nothing for the request that caused
the event, and its deliveries are retried with backoff, each attempt listed with its error,
until one succeeds or the attempts run out; bad receivers are specific 4xx."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from fairlabel.db import Database
from fairlabel.models import WebhookReceiver
from fairlabel.webhooks import delivery, signing
from tests.factories import Account, Factory
from tests.jobs.helpers import recompute
from tests.webhooks.receiver import Receiver, deliveries, free_port, wait_for_attempts


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver(free_port()).start()
    yield started
    started.stop()


def register(owner: Account, org_id: int, url: str, events: list[str], **extra: Any) -> Any:
    return owner.post(
        f"/api/organizations/{org_id}/webhooks", json={"url": url, "events": events, **extra}
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_finished_job_arrives_signed(factory: Factory, receiver: Receiver) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    created = register(owner, org_id, receiver.url, ["job.finished"], description="CI")
    assert created.status_code == 201, created.text
    hook = created.json()
    secret = hook["secret"]
    assert secret.startswith("whsec_") and hook["secret_last4"] == secret[-4:]
    assert "secret" not in owner.get(f"/api/webhooks/{hook['id']}").json()

    job = recompute(owner, project["id"])
    (request,) = receiver.wait(1)
    headers = {k.lower(): v for k, v in request.headers.items()}
    timestamp = headers[signing.TIMESTAMP_HEADER.lower()]
    sent = headers[signing.SIGNATURE_HEADER.lower()]
    assert signing.verify(secret, timestamp, request.body, sent)
    assert not signing.verify("whsec_another-secret-entirely", timestamp, request.body, sent)
    assert not signing.verify(secret, timestamp, request.body + b" ", sent)
    old = str(int(timestamp) - 3600)
    assert not signing.verify(
        secret, old, request.body, signing.signature(secret, int(old), request.body)
    )
    body = orjson.loads(request.body)
    assert body["type"] == "job.finished" and headers["fairlabel-event"] == "job.finished"
    assert body["organization_id"] == org_id
    assert body["data"]["job_id"] == job["id"] and body["data"]["status"] == "succeeded"
    assert body["data"]["kind"] == "consensus" and body["data"]["project_id"] == project["id"]

    listed = wait_for_attempts(owner, hook["id"], 1)  # the answer is recorded after it came
    assert listed["status"] == "delivered"
    assert listed["event_type"] == "job.finished" and listed["attempts"] == 1
    assert listed["attempt_log"][0]["status_code"] == 200
    assert listed["attempt_log"][0]["error"] is None


def test_a_receiver_that_is_down_is_retried_with_backoff(
    factory: Factory, database: Database
) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    down = Receiver(free_port())
    hook = register(owner, org_id, down.url, ["job.finished"]).json()

    job = recompute(owner, project["id"])  # the job and its request succeed all the same
    assert job["status"] == "succeeded"
    first = wait_for_attempts(owner, hook["id"], 1)
    assert first["status"] == "pending" and first["delivered_at"] is None
    assert "could not connect" in first["attempt_log"][0]["error"]
    assert first["attempt_log"][0]["status_code"] is None
    wait = at(first["next_attempt_at"]) - at(first["attempt_log"][0]["started_at"])
    base = database.settings.webhook_retry_seconds
    assert timedelta(seconds=base * 0.9) <= wait <= timedelta(seconds=base + 5)

    delivery.deliver_due(database, now=at(first["next_attempt_at"]))
    second = deliveries(owner, hook["id"])[0]
    assert second["attempts"] == 2 and second["status"] == "pending"
    longer = at(second["next_attempt_at"]) - at(second["attempt_log"][1]["started_at"])
    assert longer > wait * 1.5  # doubled

    down.status = 503
    down.start()
    try:
        delivery.deliver_due(database, now=at(second["next_attempt_at"]))
        third = deliveries(owner, hook["id"])[0]
        assert third["attempt_log"][2]["status_code"] == 503
        assert third["attempt_log"][2]["error"] == "answered 503"
        down.status = 204
        delivery.deliver_due(database, now=at(third["next_attempt_at"]))
    finally:
        down.stop()
    done = deliveries(owner, hook["id"])[0]
    assert done["status"] == "delivered" and done["attempts"] == 4
    assert [a["number"] for a in done["attempt_log"]] == [1, 2, 3, 4]
    assert len(down.received) == 2
    bodies = {r.body for r in down.received}
    assert len(bodies) == 1  # the same body in every attempt, signed afresh each time


def test_attempts_run_out(factory: Factory, database: Database) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    hook = register(owner, org_id, Receiver(free_port()).url, ["job.finished"]).json()
    recompute(owner, project["id"])
    current = wait_for_attempts(owner, hook["id"], 1)
    while current["status"] == "pending":
        delivery.deliver_due(database, now=at(current["next_attempt_at"]))
        current = deliveries(owner, hook["id"])[0]
    assert current["status"] == "failed" and current["next_attempt_at"] is None
    assert current["attempts"] == database.settings.webhook_max_attempts
    failed = owner.get(f"/api/webhooks/{hook['id']}/deliveries", params={"status": "failed"})
    assert [d["id"] for d in failed.json()] == [current["id"]]


def test_an_inactive_receiver_gets_nothing(factory: Factory, receiver: Receiver) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    hook = register(owner, org_id, receiver.url, ["job.finished"]).json()
    changed = owner.patch(f"/api/webhooks/{hook['id']}", json={"active": False})
    assert changed.status_code == 200 and changed.json()["active"] is False
    recompute(owner, project["id"])
    assert deliveries(owner, hook["id"]) == []


@pytest.mark.parametrize(
    ("body", "status", "field", "words"),
    [
        ({"url": "ftp://example.org/x"}, 422, "url", "scheme must be http or https"),
        ({"url": "https://user:pw@example.org/x"}, 422, "url", "credentials"),
        ({"url": "http://169.254.169.254/latest"}, 422, "url", "metadata"),
        ({"url": "http://[fe80::1]/x"}, 422, "url", "link-local"),
        ({"url": "http://no-such-host.invalid/x"}, 422, "url", "does not resolve"),
        ({"events": ["job.done"]}, 422, "events", "unknown event type"),
        ({"events": []}, 422, "events", ""),
        ({"secret": "short"}, 422, "secret", ""),
    ],
)
def test_bad_receivers_are_refused(
    factory: Factory,
    database: Database,
    body: dict[str, Any],
    status: int,
    field: str,
    words: str,
) -> None:
    owner, org_id = factory.owner()
    sent = {"url": "http://127.0.0.1:9/hooks", "events": ["job.finished"], **body}
    response = owner.post(f"/api/organizations/{org_id}/webhooks", json=sent)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["field"] == field and words in error["message"] + str(error.get("expected"))
    with database.session(write=False) as db:
        assert db.scalar(select(func.count()).select_from(WebhookReceiver)) == 0


def test_who_may_see_and_change_receivers(factory: Factory) -> None:
    owner, org_id = factory.owner()
    hook = register(owner, org_id, "http://127.0.0.1:9/hooks", ["project.finished"]).json()
    viewer = factory.user(org_id=org_id, role="viewer")
    stranger, _other = factory.owner()
    assert viewer.get(f"/api/webhooks/{hook['id']}").status_code == 200
    refused = viewer.patch(f"/api/webhooks/{hook['id']}", json={"active": False})
    assert refused.status_code == 403
    assert register(viewer, org_id, "http://127.0.0.1:9/x", ["job.finished"]).status_code == 403
    assert stranger.get(f"/api/webhooks/{hook['id']}").status_code == 404
    assert stranger.get(f"/api/webhooks/{hook['id']}/deliveries").status_code == 404
    assert stranger.get(f"/api/organizations/{org_id}/webhooks").status_code == 404
    bad = owner.patch(f"/api/webhooks/{hook['id']}", json={"url": "http://169.254.169.254/"})
    assert bad.status_code == 422 and owner.get(f"/api/webhooks/{hook['id']}").json()["url"] == (
        "http://127.0.0.1:9/hooks"
    )
    assert (
        owner.get(f"/api/webhooks/{hook['id']}/deliveries", params={"status": "x"}).status_code
        == 422
    )
    assert owner.delete(f"/api/webhooks/{hook['id']}").status_code == 204
    assert owner.get(f"/api/webhooks/{hook['id']}").status_code == 404
    types = [t["type"] for t in owner.get("/api/webhook-events").json()]
    assert types == [
        "job.finished",
        "evaluation.finished",
        "project.finished",
        "leaderboard.order_changed",
    ]


def test_a_test_event_reaches_one_receiver(factory: Factory, receiver: Receiver) -> None:
    owner, org_id = factory.owner()
    hook = register(owner, org_id, receiver.url, ["project.finished"]).json()
    other = register(owner, org_id, Receiver(free_port()).url, ["project.finished"]).json()
    sent = owner.post(f"/api/webhooks/{hook['id']}/test")
    assert sent.status_code == 202, sent.text
    (request,) = receiver.wait(1)
    body = orjson.loads(request.body)
    assert body["id"] == sent.json()["event_id"] and body["type"] == "webhook.test"
    assert body["data"] == {"receiver_id": hook["id"], "sent_by": owner.user_id}
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert signing.verify(
        hook["secret"],
        headers["fairlabel-timestamp"],
        request.body,
        headers["fairlabel-signature"],
    )
    assert deliveries(owner, other["id"]) == []
    viewer = factory.user(org_id=org_id, role="viewer")
    assert viewer.post(f"/api/webhooks/{hook['id']}/test").status_code == 403
