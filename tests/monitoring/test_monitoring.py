"""Production monitoring through the real API: conversations sent to a stream are sampled
by their stratum's rate (decided by id, so a batch sent again adds nothing) into the review
project as conversation items; reviewers flag some; the flagged rate per day with its
interval and the production estimate across strata; bad input refuses the whole batch."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from fairlabel.db import Database
from fairlabel.models import Item, MonitoringCount
from fairlabel.monitoring.service import wilson
from tests.factories import Account, Factory

QUESTIONS = [
    {"name": "verdict", "type": "label", "settings": {"labels": ["fine", "harmful", "wrong"]}}
]
DAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def conversation(n: int, model: str, day: int = 0, **metadata: Any) -> dict[str, Any]:
    return {
        "id": f"conv-{model}-{n}",
        "model": model,
        "timestamp": (DAY + timedelta(days=day, minutes=n)).isoformat(),
        "metadata": metadata,
        "messages": [
            {"role": "user", "content": f"Question {n}"},
            {"role": "assistant", "content": f"Answer {n} from {model}"},
        ],
    }


def stream(owner: Account, project_id: int, **extra: Any) -> dict[str, Any]:
    body = {
        "name": "prod",
        "rate": 0.5,
        "stratum_rates": {"big-model": 0.1, "small-model": 1.0},
        "flag_question": "verdict",
        "flag_values": ["harmful", "wrong"],
        **extra,
    }
    response = owner.post(f"/api/projects/{project_id}/monitoring-streams", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def send(owner: Account, stream_id: int, conversations: list[dict[str, Any]]) -> Any:
    return owner.post(
        f"/api/monitoring-streams/{stream_id}/conversations",
        json={"conversations": conversations},
    )


def test_conversations_are_sampled_by_stratum_and_once(
    factory: Factory, database: Database
) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=QUESTIONS)
    created = stream(owner, project["id"])
    batch = [conversation(n, "big-model") for n in range(400)]
    batch += [conversation(n, "small-model") for n in range(50)]
    batch += [conversation(n, "other-model") for n in range(200)]
    first = send(owner, created["id"], batch)
    assert first.status_code == 200, first.text
    result = first.json()
    assert result["received"] == 650 and result["already_sampled"] == 0
    again = send(owner, created["id"], batch).json()
    assert again["sampled"] == 0 and again["already_sampled"] == result["sampled"]
    with database.session(write=False) as db:
        rows = db.execute(
            select(MonitoringCount.stratum, MonitoringCount.received, MonitoringCount.sampled)
        ).all()
        items = db.scalars(select(Item).where(Item.project_id == project["id"])).all()
    by_stratum = {stratum: (received, sampled) for stratum, received, sampled in rows}
    assert by_stratum["small-model"][1] == 50  # rate 1
    assert 20 <= by_stratum["big-model"][1] <= 65  # rate 0.1 of 400: 40 expected
    assert 70 <= by_stratum["other-model"][1] <= 130  # the default 0.5 of 200
    assert len(items) == result["sampled"] == sum(s for _, s in by_stratum.values())
    item = items[0]
    assert item.fields["messages"][0] == {
        "role": "user",
        "content": item.fields["messages"][0]["content"],
    }
    assert item.meta["source"] == "production" and item.meta["stream_id"] == created["id"]
    assert item.meta["day"] == "2026-11-30"


def test_a_metadata_stratum(factory: Factory, database: Database) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=QUESTIONS)
    created = stream(
        owner, project["id"], stratum="metadata.region", stratum_rates={"eu": 1.0}, rate=0.0
    )
    batch = [conversation(n, "m", region="eu" if n % 2 else "us") for n in range(20)]
    batch.append(conversation(99, "m"))
    result = send(owner, created["id"], batch).json()
    assert result["sampled"] == 10
    rate = owner.get(f"/api/monitoring-streams/{created['id']}/flagged-rate").json()
    assert rate["strata"] == ["(none)", "eu", "us"]


def _review(
    built_owner: Account, factory: Factory, project_id: int, verdicts: dict[str, str]
) -> None:
    """One worker answers each leased item with the verdict meant for its conversation."""
    worker = factory.worker()
    for _ in verdicts:
        leased = worker.post(f"/api/projects/{project_id}/assignments/next")
        assert leased.status_code == 200, leased.text
        assignment = leased.json()["assignment"]
        conversation_id = assignment["item"]["external_id"].split(":", 2)[2]
        submitted = worker.post(
            f"/api/assignments/{assignment['id']}/submit",
            json={"answers": {"verdict": verdicts[conversation_id]}, "time_spent_ms": 3_000},
        )
        assert submitted.status_code == 201, submitted.text


def test_the_flagged_rate_per_day(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=QUESTIONS)
    created = stream(owner, project["id"], rate=1.0, stratum_rates={})
    day0 = [conversation(n, "a") for n in range(4)] + [conversation(n, "b") for n in range(4)]
    day1 = [conversation(n, "a", day=1) for n in range(10, 14)]
    assert send(owner, created["id"], day0 + day1).json()["sampled"] == 12
    verdicts = {c["id"]: "fine" for c in day0 + day1}
    verdicts.update({"conv-a-0": "harmful", "conv-b-1": "wrong", "conv-b-2": "harmful"})
    _review(owner, factory, project["id"], {k: v for k, v in verdicts.items() if k != "conv-a-13"})

    body = owner.get(f"/api/monitoring-streams/{created['id']}/flagged-rate").json()
    first, second = body["days"]
    assert first["day"] == "2026-11-30" and second["day"] == "2026-12-01"
    assert (first["sampled"], first["reviewed"], first["flagged"]) == (8, 8, 3)
    assert first["rate"] == pytest.approx(3 / 8)
    assert (first["lower"], first["upper"]) == pytest.approx(wilson(3, 8))
    assert first["estimated_rate"] == pytest.approx((4 * 0.25 + 4 * 0.5) / 8)
    assert (second["sampled"], second["reviewed"], second["flagged"]) == (4, 3, 0)
    assert second["rate"] == 0 and second["lower"] == 0 and second["upper"] > 0.4
    only_b = owner.get(
        f"/api/monitoring-streams/{created['id']}/flagged-rate", params={"stratum": "b"}
    ).json()
    assert [(d["reviewed"], d["flagged"]) for d in only_b["days"]] == [(4, 2), (0, 0)]


def test_wilson_matches_the_textbook() -> None:
    lower, upper = wilson(3, 8)
    assert lower == pytest.approx(0.1368, abs=1e-4) and upper == pytest.approx(0.6943, abs=1e-4)
    assert wilson(0, 0) == (None, None)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"timestamp": "2026-11-30T09:00:00"}, "conversations.0.timestamp", "timezone"),
        ({"timestamp": "yesterday"}, "conversations.0.timestamp", ""),
        ({"model": ""}, "conversations.0.model", ""),
        ({"messages": []}, "conversations.0.messages", ""),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "conversations.0.messages", "role"),
        ({"messages": [{"role": "user", "content": "  "}]}, "conversations.0.messages", ""),
        ({"surprise": 1}, "conversations.0.surprise", ""),
    ],
)
def test_bad_conversations_refuse_the_batch(
    factory: Factory, database: Database, change: dict[str, Any], field: str, words: str
) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=QUESTIONS)
    created = stream(owner, project["id"], rate=1.0)
    batch = [{**conversation(0, "m"), **change}, conversation(1, "m")]
    response = send(owner, created["id"], batch)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"].startswith(field), error
    assert words in str(error).lower()
    with database.session(write=False) as db:
        assert db.scalar(select(func.count()).select_from(Item)) == 0
        assert db.scalar(select(func.count()).select_from(MonitoringCount)) == 0


def test_bad_streams_and_who_may_send(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=QUESTIONS)
    url = f"/api/projects/{project['id']}/monitoring-streams"
    base = {"name": "s", "flag_question": "verdict", "flag_values": ["harmful"]}
    for change, field in [
        ({"flag_question": "nope"}, "flag_question"),
        ({"stratum": "region"}, "stratum"),
        ({"rate": 1.5}, "rate"),
        ({"flag_values": []}, "flag_values"),
        ({"stratum_rates": {"m": -0.1}}, "stratum_rates.m"),
    ]:
        response = owner.post(url, json={**base, **change})
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"] == field
    created = stream(owner, project["id"])
    assert owner.post(url, json={**base, "name": "prod"}).status_code == 409
    viewer = factory.user(org_id=org_id, role="viewer")
    assert send(viewer, created["id"], [conversation(0, "m")]).status_code == 403
    assert viewer.get(f"/api/monitoring-streams/{created['id']}/flagged-rate").status_code == 200
    stranger, _ = factory.owner()
    assert stranger.get(f"/api/monitoring-streams/{created['id']}").status_code == 404
    assert send(stranger, created["id"], [conversation(0, "m")]).status_code == 404
    unknown = owner.get(
        f"/api/monitoring-streams/{created['id']}/flagged-rate", params={"stratum": "zzz"}
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "stratum"
    too_many = send(owner, created["id"], [conversation(n, "m") for n in range(1001)])
    assert too_many.status_code == 422
