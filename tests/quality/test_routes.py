"""The quality API: whole-project recompute as a job (Dawid-Skene by default), a method that
does not fit a question (422 at once, nothing changed, no job), who may read and recompute,
and the agreement report with its degenerate cases (null with a reason, never NaN)."""

import json
from typing import Any

import pytest

from fairlabel.quality.agreement import krippendorff_alpha
from tests.factories import Account, Factory
from tests.jobs.helpers import recompute
from tests.quality.helpers import answer, consensus_rows, label_by, labelled_project
from tests.queue.helpers import SENTIMENT

BOXES = {"name": "boxes", "type": "bbox", "required": False, "settings": {"labels": ["car"]}}


def figures(question: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in question["figures"]}


def report(account: Account, project_id: int) -> dict[str, Any]:
    response = account.get(f"/api/projects/{project_id}/quality")
    assert response.status_code == 200, response.text
    assert "NaN" not in response.text and "Infinity" not in response.text
    body: dict[str, Any] = json.loads(response.text)
    return body


def test_recompute_runs_dawid_skene_and_replaces_rows(factory: Factory) -> None:
    owner, project, items = labelled_project(factory, items=3, overlap=3)
    workers = [factory.worker() for _ in range(3)]
    plan = [
        ["positive", "negative", "neutral"],
        ["positive", "negative", "neutral"],
        ["positive", "positive", "neutral"],
    ]
    for worker, labels in zip(workers, plan, strict=True):
        for label in labels:
            answer(worker, project["id"], {"sentiment": label})
    job = recompute(owner, project["id"])
    assert job["status"] == "succeeded", job
    body = job["result"]
    assert body["methods"] == {"sentiment": "dawid_skene"}
    assert (body["items"], body["rows"], body["reopened"], body["skipped"]) == (3, 3, 0, 0)
    rows = consensus_rows(factory.database, project["id"])
    assert [rows[i, "sentiment"]["answer"] for i in items] == ["positive", "negative", "neutral"]
    assert {rows[i, "sentiment"]["method"] for i in items} == {"dawid_skene"}
    assert all(0.5 < rows[i, "sentiment"]["confidence"] <= 1 for i in items)
    assert rows[items[1], "sentiment"]["agreeing"] == 2
    vote = recompute(owner, project["id"], method="majority_vote")
    assert vote["result"]["methods"] == {"sentiment": "majority_vote"}
    rows = consensus_rows(factory.database, project["id"])
    assert rows[items[1], "sentiment"]["confidence"] == pytest.approx(2 / 3)


def test_a_method_that_does_not_fit_is_refused_and_changes_nothing(factory: Factory) -> None:
    owner, project, _ = labelled_project(factory, questions=[SENTIMENT, BOXES], overlap=1)
    label_by(factory, project["id"], ["positive"])
    before = consensus_rows(factory.database, project["id"])
    response = owner.post(f"/api/projects/{project['id']}/consensus?method=dawid_skene")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "method" and error["value"] == "dawid_skene"
    assert "'boxes'" in error["message"] and "weighted_box_fusion" in error["expected"]
    unknown = owner.post(f"/api/projects/{project['id']}/consensus?question=nope")
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "question"
    assert consensus_rows(factory.database, project["id"]) == before
    assert owner.get(f"/api/jobs?project_id={project['id']}").json() == []  # none was created
    one = recompute(owner, project["id"], method="dawid_skene", question="sentiment")
    assert one["result"]["methods"] == {"sentiment": "dawid_skene"}


def test_who_may_read_and_recompute(factory: Factory) -> None:
    owner, project, _ = labelled_project(factory)
    label_by(factory, project["id"], ["positive"])
    viewer = factory.user(org_id=project["organization_id"], role="viewer")
    stranger, _ = factory.owner()
    worker = factory.worker()
    base = f"/api/projects/{project['id']}"
    assert viewer.get(f"{base}/quality").status_code == 200
    assert viewer.get(f"{base}/consensus").status_code == 200
    assert viewer.post(f"{base}/consensus").status_code == 403
    for outsider in (stranger, worker):
        assert outsider.get(f"{base}/quality").status_code == 404
        assert outsider.post(f"{base}/consensus").status_code == 404
    assert owner.get("/api/projects/999999/quality").status_code == 404
    assert owner.post("/api/projects/999999/consensus").status_code == 404


def test_consensus_pages_by_item(factory: Factory) -> None:
    owner, project, items = labelled_project(factory, items=3)
    label_by(factory, project["id"], ["positive", "negative", "neutral"])
    first = owner.get(f"/api/projects/{project['id']}/consensus?limit=2").json()
    assert [r["item_id"] for r in first["consensus"]] == items[:2]
    rest = owner.get(
        f"/api/projects/{project['id']}/consensus?limit=2&after={first['next_after']}"
    ).json()
    assert [r["answer"] for r in rest["consensus"]] == ["neutral"] and rest["next_after"] is None


def test_report_alpha_confusion_workers_and_lowest_items(factory: Factory) -> None:
    owner, project, items = labelled_project(factory, items=3, overlap=2)
    steady, wobbly = factory.worker(), factory.worker()
    for label in ("positive", "negative", "neutral"):
        answer(steady, project["id"], {"sentiment": label})
    for label in ("positive", "negative", "positive"):
        answer(wobbly, project["id"], {"sentiment": label})
    body = report(owner, project["id"])
    (question,) = body["questions"]
    codes = {"positive": 0, "negative": 1, "neutral": 2}
    steady_codes = [codes[x] for x in ("positive", "negative", "neutral")]
    wobbly_codes = [codes[x] for x in ("positive", "negative", "positive")]
    expected = krippendorff_alpha(
        [0, 1, 2, 0, 1, 2], [0, 0, 0, 1, 1, 1], steady_codes + wobbly_codes
    )
    assert figures(question)["alpha_nominal"]["value"] == pytest.approx(expected)
    assert (question["annotations"], question["shared_items"]) == (6, 3)
    confusion = question["confusion"]
    assert confusion["labels"] == ["positive", "negative", "neutral"]
    # item 3 ties positive/neutral: the consensus is the first label, positive
    assert confusion["counts"] == [[3, 0, 1], [0, 2, 0], [0, 0, 0]]
    lowest = body["lowest_items"][0]
    assert (lowest["item_id"], lowest["agreement"], lowest["annotators"]) == (items[2], 0.0, 2)
    assert lowest["external_id"].startswith("ext-")
    pseudonyms = {a.get("/api/me").json()["pseudonym"]: a for a in (steady, wobbly)}
    by_worker = {w["worker"]: w for w in body["workers"]}
    assert set(by_worker) == set(pseudonyms)
    assert steady.email not in json.dumps(body)
    wobbly_row = by_worker[next(p for p, a in pseudonyms.items() if a is wobbly)]
    assert (wobbly_row["answers"], wobbly_row["compared"]) == (3, 3)
    assert wobbly_row["accuracy"] == 1.0 and wobbly_row["agreement"] == pytest.approx(2 / 3)
    (day,) = body["over_time"]
    assert day["answers"] == 6 and day["accuracy"] == pytest.approx(5 / 6)


@pytest.mark.parametrize(
    ("labels", "reason"),
    [
        ([], "no annotations yet"),
        (["positive"], "no item has two annotations"),
        (["neutral", "neutral"], "without variation"),
    ],
)
def test_degenerate_data_gives_null_with_a_reason(
    factory: Factory, labels: list[str], reason: str
) -> None:
    owner, project, _ = labelled_project(factory, questions=[SENTIMENT, BOXES], overlap=2)
    label_by(factory, project["id"], labels)
    body = report(owner, project["id"])
    sentiment, boxes = body["questions"]
    alpha = figures(sentiment)["alpha_nominal"]
    assert alpha["value"] is None and reason in alpha["reason"]
    assert figures(boxes)["f1_iou50"]["value"] is None and figures(boxes)["f1_iou50"]["reason"]
    for worker in body["workers"]:
        if len(labels) < 2:
            assert worker["accuracy"] is None and worker["reason"]


def test_a_worker_who_always_answers_the_same_has_defined_figures(factory: Factory) -> None:
    owner, project, _ = labelled_project(factory, items=4, overlap=2)
    constant, varied = factory.worker(), factory.worker()
    for label in ("positive", "negative", "neutral", "negative"):
        answer(varied, project["id"], {"sentiment": label})
        answer(constant, project["id"], {"sentiment": "neutral"})
    assert recompute(owner, project["id"])["status"] == "succeeded"
    body = report(owner, project["id"])
    alpha = figures(body["questions"][0])["alpha_nominal"]["value"]
    assert alpha is not None and -1 <= alpha < 0.5
    assert all(w["accuracy"] is not None for w in body["workers"])


def test_box_agreement_and_fused_consensus(factory: Factory) -> None:
    owner, project, (item,) = labelled_project(factory, questions=[BOXES], overlap=3)
    drawn = [
        [{"x": 10, "y": 10, "width": 20, "height": 20, "label": "car"}],
        [{"x": 12, "y": 10, "width": 20, "height": 20, "label": "car"}],
        [{"x": 100, "y": 100, "width": 5, "height": 5, "label": "car"}],
    ]
    for boxes in drawn:
        answer(factory.worker(), project["id"], {"boxes": boxes})
    row = consensus_rows(factory.database, project["id"])[item, "boxes"]
    assert row["method"] == "weighted_box_fusion"
    assert row["answer"] == [{"x": 11.0, "y": 10.0, "width": 20.0, "height": 20.0, "label": "car"}]
    assert (row["annotators"], row["agreeing"]) == (3, 2)
    assert row["confidence"] == pytest.approx(2 / 3)
    box_figures = figures(report(owner, project["id"])["questions"][0])
    assert box_figures["f1_iou50"]["value"] == pytest.approx(1 / 3)
    assert box_figures["mean_iou"]["value"] == pytest.approx(18 * 20 / (22 * 20))


def test_a_rating_consensus_reads_back_on_every_database(factory: Factory) -> None:
    rating = {"name": "stars", "type": "rating", "settings": {"min": 1, "max": 5}}
    owner, project, _ = labelled_project(factory, questions=[rating], overlap=2)
    for stars in (4, 4):
        answer(factory.worker(), project["id"], {"stars": stars})
    listed = owner.get(f"/api/projects/{project['id']}/consensus").json()["consensus"]
    assert [(r["answer"], r["confidence"]) for r in listed] == [(4, 1.0)]
    (question,) = report(owner, project["id"])["questions"]
    assert question["confusion"]["counts"][3] == [0, 0, 0, 2, 0]
    exported = owner.get(f"/api/projects/{project['id']}/export?aggregated=true")
    assert json.loads(exported.text.splitlines()[0])["consensus"]["stars"]["answer"] == 4
