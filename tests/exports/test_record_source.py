"""The database side of exports: pages, latest versions only, raw JSON, UTC times, and
passes that agree with each other while items keep arriving."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fairlabel.db import Database
from fairlabel.exports import service
from fairlabel.formats import ExportRecord, JsonObject
from fairlabel.models import Annotation, Assignment, Item
from tests.factories import Factory

from .helpers import BOXES

CREATED = datetime(2024, 5, 16, 12, 0, 5, 250_000, tzinfo=UTC)


class Seeder:
    """Items and annotations written straight to the database, as many and as odd as a test
    needs (versions, other projects) without going through the queue."""

    def __init__(self, database: Database, project_id: int, worker_ids: list[int]) -> None:
        self.database, self.project_id, self.worker_ids = database, project_id, worker_ids

    def item(self, n: int, fields: dict[str, Any] | None = None) -> int:
        with self.database.session() as db:
            item = Item(
                project_id=self.project_id,
                external_id=f"x-{n}",
                fields=fields or {"text": f"item {n}"},
                meta={"n": n},
            )
            db.add(item)
            db.flush()
            return item.id

    def annotation(self, item_id: int, *versions: dict[str, Any], worker: int = 0) -> int:
        """The item's assignment to the `worker`-th worker with its answers in successive
        versions; the id of the latest."""
        worker_id = self.worker_ids[worker]
        with self.database.session() as db:
            assignment = Assignment(
                project_id=self.project_id,
                item_id=item_id,
                worker_id=worker_id,
                status="submitted",
                expires_at=CREATED + timedelta(hours=1),
            )
            db.add(assignment)
            db.flush()
            latest = 0
            for number, answers in enumerate(versions, start=1):
                annotation = Annotation(
                    assignment_id=assignment.id,
                    project_id=self.project_id,
                    item_id=item_id,
                    worker_id=worker_id,
                    version=number,
                    is_latest=number == len(versions),
                    answers=answers,
                    time_spent_ms=1_000 * number,
                    created_at=CREATED,
                )
                db.add(annotation)
                db.flush()
                latest = annotation.id
            return latest


@pytest.fixture
def seeder(factory: Factory, database: Database) -> Seeder:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=[BOXES], overlap=2)
    return Seeder(database, project["id"], [factory.worker().user_id for _ in range(3)])


def _read(database: Database, seeder: Seeder, **options: bool) -> list[ExportRecord]:
    return list(service.record_source(database, seeder.project_id, 2)(**options))


def test_pages_keep_each_item_with_its_latest_annotations(
    seeder: Seeder, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "PAGE_SIZE", 2)
    items = [seeder.item(n) for n in range(5)]
    expected: dict[int, list[int]] = {item: [] for item in items}
    for item, count in zip(items, [2, 0, 1, 3, 0], strict=True):
        for k in range(count):
            latest = seeder.annotation(item, {"objects": [k]}, {"objects": [k, 9]}, worker=k)
            expected[item].append(latest)
    records = _read(database, seeder)
    assert [r.item_id for r in records] == items
    assert {r.item_id: [a.id for a in r.annotations] for r in records} == expected
    latest = [(a.version, a.answers) for a in records[0].annotations]
    assert latest == [(2, {"objects": [0, 9]}), (2, {"objects": [1, 9]})]


def test_other_projects_stay_out(seeder: Seeder, database: Database, factory: Factory) -> None:
    mine = seeder.item(1)
    owner, org_id = factory.owner()
    other = factory.project(owner, org_id, questions=[BOXES])
    stranger = Seeder(database, other["id"], seeder.worker_ids)
    stranger.annotation(stranger.item(2), {"objects": []})
    records = _read(database, seeder)
    assert [(r.item_id, list(r.annotations)) for r in records] == [(mine, [])]


def test_items_only_pass_reads_no_annotations(seeder: Seeder, database: Database) -> None:
    seeder.annotation(seeder.item(1), {"objects": []})
    (record,) = _read(database, seeder, with_annotations=False)
    assert list(record.annotations) == []


def test_json_comes_as_stored_text_and_times_in_utc(seeder: Seeder, database: Database) -> None:
    item = seeder.item(1, {"text": "Grüße", "image": {"width": 3}})
    seeder.annotation(item, {"objects": [{"x": 1.5}]})
    (record,) = _read(database, seeder)
    assert isinstance(record.fields, JsonObject)
    assert record.fields == {"text": "Grüße", "image": {"width": 3}}
    assert record.meta == {"n": 1}
    (annotation,) = record.annotations
    assert annotation.answers == {"objects": [{"x": 1.5}]}
    assert annotation.created_at == CREATED
    assert annotation.created_at.utcoffset() == timedelta(0)
    assert (record.status, annotation.time_spent_ms) == ("new", 1_000)


def test_later_passes_stop_where_the_first_ended(seeder: Seeder, database: Database) -> None:
    """An item imported between COCO's two passes would have annotations but no image."""
    first = seeder.item(1)
    source = service.record_source(database, seeder.project_id, 2)
    assert [r.item_id for r in source(with_annotations=False)] == [first]
    seeder.annotation(seeder.item(2), {"objects": []})
    assert [r.item_id for r in source()] == [first]


def test_an_abandoned_pass_releases_its_connection(seeder: Seeder, database: Database) -> None:
    for n in range(3):
        seeder.item(n)
    before = database.engine.pool.checkedout()
    records = service.record_source(database, seeder.project_id, 2)()
    next(records)
    assert database.engine.pool.checkedout() == before + 1
    records.close()
    assert database.engine.pool.checkedout() == before
