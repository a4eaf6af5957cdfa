"""Consensus rows written on submit: majority vote per (item, question), what counts (latest,
not rejected, corrections), human confirmation of a model's suggestion, and dynamic overlap."""

import pytest
from sqlalchemy import update

from fairlabel.models import Annotation
from fairlabel.quality import service
from tests.factories import Factory
from tests.quality.helpers import (
    answer,
    consensus_rows,
    is_open,
    label_by,
    labelled_project,
    set_dynamic_overlap,
)
from tests.queue.helpers import lease


def test_each_submit_updates_the_item_majority_vote(factory: Factory) -> None:
    _, project, (item,) = labelled_project(factory, overlap=3)
    label_by(factory, project["id"], ["negative"])
    first = consensus_rows(factory.database, project["id"])[item, "sentiment"]
    assert first == {
        "method": "majority_vote",
        "answer": "negative",
        "confidence": 1.0,
        "annotators": 1,
        "agreeing": 1,
        "human_confirmed": False,
    }
    label_by(factory, project["id"], ["positive", "positive"])
    row = consensus_rows(factory.database, project["id"])[item, "sentiment"]
    assert row["answer"] == "positive"
    assert row["confidence"] == pytest.approx(2 / 3)
    assert (row["annotators"], row["agreeing"]) == (3, 2)


def test_a_tie_goes_to_the_first_label(factory: Factory) -> None:
    _, project, (item,) = labelled_project(factory, overlap=2)
    label_by(factory, project["id"], ["neutral", "negative"])
    row = consensus_rows(factory.database, project["id"])[item, "sentiment"]
    assert (row["answer"], row["confidence"], row["agreeing"]) == ("negative", 0.5, 1)


def test_rejected_versions_do_not_count_and_corrections_do(factory: Factory) -> None:
    _, project, (item,) = labelled_project(factory, overlap=3)
    label_by(factory, project["id"], ["negative", "negative", "positive"])
    with factory.database.session() as db:
        db.execute(
            update(Annotation)
            .where(
                Annotation.item_id == item,
                Annotation.answers["sentiment"].as_string() == "negative",
            )
            .values(verdict="reject")
        )
        (row,) = [r for r in service.refresh_item(db, item) if r.question == "sentiment"]
    assert (row.answer, row.annotators) == ("positive", 1)
    with factory.database.session() as db:
        db.execute(
            update(Annotation)
            .where(Annotation.item_id == item, Annotation.verdict == "reject")
            .values(verdict="correct", source="correction", answers={"sentiment": "neutral"})
        )
        service.refresh_item(db, item)
    row_after = consensus_rows(factory.database, project["id"])[item, "sentiment"]
    assert (row_after["answer"], row_after["annotators"], row_after["agreeing"]) == (
        "neutral",
        3,
        2,
    )


def test_human_confirmed_means_a_person_gave_the_model_answer(factory: Factory) -> None:
    owner, project, (confirmed, overruled) = labelled_project(factory, items=2, overlap=2)
    suggestions = [
        {"item_id": confirmed, "question": "sentiment", "answer": "positive", "agent": "m"},
        {"item_id": overruled, "question": "sentiment", "answer": "positive", "agent": "m"},
    ]
    stored = owner.post(f"/api/projects/{project['id']}/suggestions", json=suggestions)
    assert stored.status_code in (200, 201), stored.text
    first, second = factory.worker(), factory.worker()
    answer(first, project["id"], {"sentiment": "positive"})
    answer(first, project["id"], {"sentiment": "negative"})
    answer(second, project["id"], {"sentiment": "positive"})
    answer(second, project["id"], {"sentiment": "negative"})
    rows = consensus_rows(factory.database, project["id"])
    assert rows[confirmed, "sentiment"]["human_confirmed"] is True
    assert rows[overruled, "sentiment"]["answer"] == "negative"
    assert rows[overruled, "sentiment"]["human_confirmed"] is False


def test_an_unsure_item_gets_one_more_annotator_up_to_the_cap(factory: Factory) -> None:
    owner, project, (item,) = labelled_project(factory, overlap=2)
    set_dynamic_overlap(owner, project["id"], threshold=0.9, cap=4)
    label_by(factory, project["id"], ["positive", "negative"])
    assert is_open(factory.database, item)
    third = factory.worker()
    assignment = lease(third, project["id"])
    assert assignment["item_id"] == item
    assert not is_open(factory.database, item)  # the claim closed it again
    third.post(
        f"/api/assignments/{assignment['id']}/submit",
        json={"answers": {"sentiment": "positive"}, "time_spent_ms": 5},
    )
    assert is_open(factory.database, item)  # 2 of 3 is still under 0.9
    label_by(factory, project["id"], ["negative"])
    assert not is_open(factory.database, item)  # four submitted: the cap
    assert consensus_rows(factory.database, project["id"])[item, "sentiment"]["annotators"] == 4


def test_agreeing_annotators_leave_the_item_closed(factory: Factory) -> None:
    owner, project, (item,) = labelled_project(factory, overlap=2)
    set_dynamic_overlap(owner, project["id"], threshold=0.9, cap=4)
    label_by(factory, project["id"], ["positive", "positive"])
    assert not is_open(factory.database, item)


def test_no_threshold_means_no_dynamic_overlap(factory: Factory) -> None:
    _, project, (item,) = labelled_project(factory, overlap=2)
    label_by(factory, project["id"], ["positive", "negative"])
    assert not is_open(factory.database, item)


def test_dynamic_overlap_settings_are_checked(factory: Factory) -> None:
    owner, project, _items = labelled_project(factory, overlap=2)
    url = f"/api/projects/{project['id']}"
    for body, field in [
        ({"max_overlap": 1}, "max_overlap"),
        ({"consensus_threshold": 0}, "consensus_threshold"),
        ({"consensus_threshold": 1.5}, "consensus_threshold"),
    ]:
        response = owner.patch(url, json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["field"] == field
    assert owner.get(url).json()["max_overlap"] is None
    assert owner.patch(url, json={"max_overlap": 3}).json()["max_overlap"] == 3
    assert owner.patch(url, json={"max_overlap": None}).json()["max_overlap"] is None
