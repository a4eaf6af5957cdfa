"""A qualification test must not be a way to harvest a project's hidden gold: a failed
attempt tells the guideline sections to read, never the gold answers, and gold a worker
saw in a test is never served to them as hidden gold afterwards. A training test shows its
answers, so its items are never served as gold to anyone."""

from typing import Any

from tests.factories import Account, Factory
from tests.gold.helpers import gold_project
from tests.queue.helpers import lease, submit
from tests.workforce.helpers import state


def make_test(owner: Account, project_id: int, golden: list[int], **body: Any) -> Any:
    return owner.post(
        f"/api/projects/{project_id}/qualification-tests",
        json={"qualification": "sentiment", "item_ids": golden, **body},
    )


def fail(worker: Account, test_id: int, golden: list[int]) -> dict[str, Any]:
    """Sit the test answering every item wrong (the gold answer is "positive")."""
    started = worker.post(f"/api/qualification-tests/{test_id}/attempts")
    assert started.status_code == 201, started.text
    answers = {str(item): {"sentiment": "negative"} for item in golden}
    result = worker.post(
        f"/api/qualification-attempts/{started.json()['attempt_id']}/answers",
        json={"answers": answers, "time_spent_ms": 1000},
    )
    assert result.status_code == 200, result.text
    body: dict[str, Any] = result.json()
    assert body["passed"] is False
    return body


def served(worker: Account, project_id: int, count: int) -> list[int]:
    """The items of the worker's next `count` leases, each submitted."""
    items = []
    for _ in range(count):
        assignment = lease(worker, project_id)
        items.append(assignment["item_id"])
        assert submit(worker, assignment["id"]).status_code == 201
    return items


def test_a_harvesting_worker_learns_no_gold_answer_and_is_never_served_that_gold(
    factory: Factory,
) -> None:
    owner, project, ordinary, golden = gold_project(
        factory, items=3, gold=2, gold_rate=1.0, overlap=2
    )
    test = make_test(owner, project["id"], golden, guideline_sections={"sentiment": "Guidelines"})
    assert test.status_code == 201, test.text
    harvester, other = factory.worker(), factory.worker()
    result = fail(harvester, test.json()["id"], golden)
    assert all(m["expected"] is None for m in result["missed"])
    assert [m["guideline_sections"] for m in result["missed"]] == [["Guidelines"]] * 2
    assert "positive" not in str(result)
    assert served(harvester, project["id"], 3) == ordinary  # gold rate 1, yet no gold
    assert sorted(served(other, project["id"], 2)) == golden  # others still get it


def test_a_training_test_shows_its_answers_and_its_items_are_no_longer_gold(
    factory: Factory,
) -> None:
    owner, project, ordinary, golden = gold_project(
        factory, items=2, gold=2, gold_rate=1.0, overlap=2
    )
    test = make_test(owner, project["id"], golden, training=True)
    assert test.status_code == 201, test.text
    assert test.json()["training"] is True
    trainee, other = factory.worker(), factory.worker()
    result = fail(trainee, test.json()["id"], golden)
    assert [m["expected"] for m in result["missed"]] == [{"sentiment": "positive"}] * 2
    for worker in (trainee, other):  # withheld from everyone, sat the test or not
        assert served(worker, project["id"], 2) == ordinary


def test_guideline_sections_must_name_a_question_and_a_heading(factory: Factory) -> None:
    owner, project, _ordinary, golden = gold_project(factory, items=1, gold=2)
    before = state(factory.database)
    unknown_question = make_test(owner, project["id"], golden, guideline_sections={"tone": "x"})
    assert unknown_question.status_code == 422
    assert unknown_question.json()["error"]["field"] == "guideline_sections"
    assert unknown_question.json()["error"]["value"] == ["tone"]
    no_heading = make_test(owner, project["id"], golden, guideline_sections={"sentiment": "Tone"})
    assert no_heading.status_code == 422
    assert no_heading.json()["error"]["field"] == "guideline_sections.sentiment"
    assert "Guidelines" in no_heading.json()["error"]["expected"]
    not_text = make_test(owner, project["id"], golden, guideline_sections={"sentiment": 3})
    assert not_text.status_code == 422
    assert make_test(owner, project["id"], golden, training="often").status_code == 422
    assert state(factory.database) == before
