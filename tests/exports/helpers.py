"""Projects built the way clients and workers build them: items imported through the API,
work leased from the queue and submitted by workers, then exported."""

from dataclasses import dataclass, field
from typing import Any

import orjson

from tests.factories import Account, Factory

BOXES = {
    "name": "objects",
    "type": "bbox",
    "settings": {"field": "image", "labels": ["cat", "dog"]},
}
REGIONS = {
    "name": "regions",
    "type": "polygon",
    "required": False,
    "settings": {"field": "image", "labels": ["road"]},
}
ENTITIES = {"name": "entities", "type": "span", "settings": {"labels": ["PER", "LOC"]}}
TOPIC = {"name": "topic", "type": "label", "settings": {"labels": ["sport", "news"]}}

STREETS = [
    {
        "external_id": f"street-{n}",
        "image": {
            "src": f"https://cdn.example.org/streets/street-{n}.png",
            "width": w,
            "height": h,
        },
    }
    for n, (w, h) in enumerate([(640, 480), (800, 600), (320, 240)], start=1)
]


@dataclass
class Built:
    """A project with its owner, its workers, and what each worker submitted per item."""

    owner: Account
    project_id: int
    workers: list[Account]
    submitted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """external id -> answers, in the order submitted."""

    def export(self, fmt: str, account: Account | None = None) -> Any:
        who = account or self.owner
        return who.get(f"/api/projects/{self.project_id}/export", params={"format": fmt})


def build_project(
    factory: Factory, questions: list[dict[str, Any]], items: list[dict[str, Any]], **extra: Any
) -> Built:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=questions, **extra)
    if items:
        body = b"".join(orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE) for item in items)
        response = owner.post(
            f"/api/projects/{project['id']}/imports", content=body, params={"format": "jsonl"}
        )
        assert response.status_code == 201, response.text
    return Built(owner, project["id"], [])


def work(built: Built, worker: Account, answers_for: dict[str, dict[str, Any]]) -> str:
    """The worker leases its next task and submits the answers meant for that item."""
    leased = worker.post(f"/api/projects/{built.project_id}/assignments/next")
    assert leased.status_code == 200, leased.text
    assignment = leased.json()["assignment"]
    external_id: str = assignment["item"]["external_id"]
    answers = answers_for[external_id]
    submitted = worker.post(
        f"/api/assignments/{assignment['id']}/submit",
        json={"answers": answers, "time_spent_ms": 4_200},
    )
    assert submitted.status_code == 201, submitted.text
    built.submitted.setdefault(external_id, []).append(submitted.json())
    return external_id
