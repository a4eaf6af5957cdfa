"""Evaluation projects built through the API as a client builds one: endpoints on the
stand-in OpenAI-compatible server (a real process standing in for model servers, since no
model weights can run here), a project with a pairwise question and an optional reason,
an evaluation of those models, its eval set, generation, battles."""

from dataclasses import dataclass
from typing import Any

import orjson

from fairlabel.db import Database
from fairlabel.evaluation.battles import battle_sides
from tests.factories import Account, Factory
from tests.jobs.helpers import wait_for_job
from tests.llm.helpers import register
from tests.llm.standin import StandIn, unique_model

QUESTIONS = [
    {"name": "vote", "type": "pairwise", "prompt": "Which answer is better?"},
    {"name": "reason", "type": "text", "required": False, "prompt": "Why? (optional)"},
]
#: Names that appear nowhere in the stand-in's replies, so a search for them is meaningful.
MODEL_NAMES = ("Model-Kestrel", "Model-Osprey", "Model-Heron")
CATEGORIES = ("code", "writing")


@dataclass
class Evaluation:
    owner: Account
    org_id: int
    project_id: int
    id: int
    endpoints: list[dict[str, Any]]

    def get(self) -> dict[str, Any]:
        response = self.owner.get(f"/api/evaluations/{self.id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def post(self, path: str, **kw: Any) -> Any:
        return self.owner.post(f"/api/evaluations/{self.id}/{path}", **kw)


def prompt_rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"p{n}",
            "prompt": f"Question number {n}: explain topic {n}.",
            "category": CATEGORIES[n % 2],
            "difficulty": ("easy", "hard")[n % 2],
            "language": "en",
        }
        for n in range(1, count + 1)
    ]


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE) for row in rows)


def build(
    factory: Factory,
    standin: StandIn,
    *,
    models: int = 3,
    prompts: int = 20,
    overlap: int = 1,
    model_options: tuple[str, ...] = (),
    offline: tuple[str, ...] = (),
) -> Evaluation:
    """`models` endpoints on the stand-in, and `offline` models whose responses are
    imported."""
    owner, org_id = factory.owner()
    endpoints = [
        register(
            owner, org_id, standin, name=f"ep-{name.lower()}", model=unique_model(*model_options)
        )
        for name in MODEL_NAMES[:models]
    ]
    project = factory.project(owner, org_id, questions=QUESTIONS, overlap=overlap)
    body = {
        "name": "Spring eval",
        "seed": 7,
        "models": [
            {"name": name, "endpoint_id": e["id"]}
            for name, e in zip(MODEL_NAMES, endpoints, strict=False)
        ]
        + [{"name": name} for name in offline],
    }
    created = owner.post(f"/api/projects/{project['id']}/evaluations", json=body)
    assert created.status_code == 201, created.text
    evaluation = Evaluation(owner, org_id, project["id"], created.json()["id"], endpoints)
    imported = evaluation.post(
        "prompts", content=jsonl(prompt_rows(prompts)), params={"format": "jsonl"}
    )
    assert imported.status_code == 201, imported.text
    return evaluation


def generate(evaluation: Evaluation) -> dict[str, Any]:
    started = evaluation.post("generate")
    assert started.status_code == 202, started.text
    return wait_for_job(evaluation.owner, started.json()["id"])


def battles(evaluation: Evaluation, **body: Any) -> dict[str, Any]:
    created = evaluation.post("battles", json=body)
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


#: How strong each model is in the votes the tests' workers cast: higher wins.
STRENGTH = {"Model-Kestrel": 3, "Model-Osprey": 2, "Model-Heron": 1}


def sides(database: Database, project_id: int) -> dict[int, tuple[str, str]]:
    with database.session(write=False) as db:
        return battle_sides(db, project_id)


def vote_all(database: Database, evaluation: Evaluation, worker: Account) -> list[str]:
    """Lease and vote every battle the worker can get, for the stronger model; returns the
    raw text of every answer the worker's API calls got."""
    known = sides(database, evaluation.project_id)
    seen = []
    while True:
        leased = worker.post(f"/api/projects/{evaluation.project_id}/assignments/next")
        assert leased.status_code == 200, leased.text
        assignment = leased.json()["assignment"]
        if assignment is None:
            break
        seen.append(leased.text)
        item = worker.get(f"/api/items/{assignment['item']['id']}")
        seen.append(item.text)
        left, right = known[assignment["item"]["id"]]
        choice = "a" if STRENGTH[left] > STRENGTH[right] else "b"
        answers = {"vote": {"choice": choice}, "reason": "clearer"}
        submitted = worker.post(
            f"/api/assignments/{assignment['id']}/submit",
            json={"answers": answers, "time_spent_ms": 3_000},
        )
        assert submitted.status_code == 201, submitted.text
        seen.append(submitted.text)
    return seen
