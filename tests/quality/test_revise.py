"""A revised answer moves the item's consensus at once, as a submission does."""

from tests.factories import Factory
from tests.quality.helpers import consensus_rows, labelled_project
from tests.queue.helpers import lease


def test_a_revision_changes_the_consensus(factory: Factory) -> None:
    _owner, project, (item,) = labelled_project(factory, items=1, overlap=3)
    annotations = []
    for label in ["positive", "positive", "negative"]:
        worker = factory.worker()
        assignment = lease(worker, project["id"])
        submitted = worker.post(
            f"/api/assignments/{assignment['id']}/submit",
            json={"answers": {"sentiment": label}, "time_spent_ms": 1000},
        )
        assert submitted.status_code == 201, submitted.text
        annotations.append((worker, submitted.json()["id"]))
    row = consensus_rows(factory.database, project["id"])[item, "sentiment"]
    assert (row["answer"], row["agreeing"]) == ("positive", 2)
    worker, annotation_id = annotations[0]
    revised = worker.post(
        f"/api/annotations/{annotation_id}/revise",
        json={"answers": {"sentiment": "negative"}, "time_spent_ms": 500},
    )
    assert revised.status_code == 201, revised.text
    row = consensus_rows(factory.database, project["id"])[item, "sentiment"]
    assert (row["answer"], row["annotators"], row["agreeing"]) == ("negative", 3, 2)
