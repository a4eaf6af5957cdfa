"""Shared by the judge tests: battle items whose responses name their model, an endpoint on
the stand-in server (tests/llm/standin.py; no model weights can run here, so the stand-in
plays the judge through the production client: `judge=longer` prefers the longer response),
a judge and a run of it through the API."""

from typing import Any

from fairlabel.models import Project
from tests.evaluation.test_leaderboard_api import QUESTIONS
from tests.exports.helpers import Built, build_project
from tests.factories import Factory
from tests.jobs.helpers import wait_for_job
from tests.llm.helpers import register
from tests.llm.standin import StandIn, unique_model

LONG = "A long and careful answer, with reasons."
SHORT = "Short."
#: (models, category, the first response is the longer one)
BATTLES = [
    (("m1", "m2"), "code", True),
    (("m2", "m1"), "code", False),
    (("m1", "m3"), "chat", True),
    (("m3", "m2"), "chat", False),
    (("m2", "m3"), "chat", True),
]


def battle_items(
    battles: list[tuple[tuple[str, str], str, bool]] = BATTLES,
) -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"battle-{n}",
            "prompt": f"Question number {n}?",
            "category": category,
            "responses": [
                {"id": "x", "model": pair[0], "text": LONG if longer_first else SHORT},
                {"id": "y", "model": pair[1], "text": SHORT if longer_first else LONG},
            ],
        }
        for n, (pair, category, longer_first) in enumerate(battles)
    ]


def battles_project(factory: Factory, **extra: Any) -> Built:
    return build_project(factory, QUESTIONS, battle_items(), **extra)


def org_of(built: Built, factory: Factory) -> int:
    with factory.database.session(write=False) as db:
        project = db.get(Project, built.project_id)
        assert project is not None
        return project.organization_id


def judge(
    built: Built, factory: Factory, standin: StandIn, mode: str = "longer", **body: Any
) -> dict[str, Any]:
    """A judge of the project on a stand-in endpoint answering as `mode`."""
    endpoint = register(
        built.owner, org_of(built, factory), standin, model=unique_model(f"judge={mode}")
    )
    created = built.owner.post(
        f"/api/projects/{built.project_id}/judges",
        json={"name": f"judge-{mode}", "endpoint_id": endpoint["id"], **body},
    )
    assert created.status_code == 201, created.text
    result: dict[str, Any] = {**created.json(), "model": endpoint["model"]}
    return result


def run(built: Built, judge_id: int) -> dict[str, Any]:
    """Start a run of the judge (202 with Location) and wait for its job."""
    started = built.owner.post(f"/api/judges/{judge_id}/runs")
    assert started.status_code == 202, started.text
    assert started.headers["location"] == f"/api/jobs/{started.json()['id']}"
    return wait_for_job(built.owner, started.json()["id"])
