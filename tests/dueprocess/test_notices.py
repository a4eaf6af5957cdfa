"""Notice before work ends: abrupt endings through the settings are refused; a notice is
dated at least the minimum ahead, shown to affected workers, and takes effect on its date."""

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from fairlabel.db import utcnow
from fairlabel.dueprocess import jobs
from fairlabel.models import Notice, Project
from tests.factories import Account, Factory
from tests.queue.helpers import lease, next_task, setup_project, submit
from tests.workforce.helpers import events, state


def worked(
    factory: Factory, items: int = 3, **project: Any
) -> tuple[Account, dict[str, Any], Account]:
    owner, created, _ids = setup_project(factory, items=items, **project)
    worker = factory.worker()
    assert submit(worker, lease(worker, created["id"])["id"]).status_code == 201
    return owner, created, worker


def notice(owner: Account, project_id: int, days: float, **body: Any) -> Any:
    when = (utcnow() + timedelta(days=days)).isoformat()
    payload = {"effective_at": when, "message": "The client's dataset is complete.", **body}
    return owner.post(f"/api/projects/{project_id}/notices", json=payload)


def test_ending_a_project_with_workers_abruptly_is_refused(factory: Factory) -> None:
    owner, project, _worker = worked(factory, eligibility={"countries": ["KE", "UG"]})
    before = state(factory.database)
    ended = owner.patch(f"/api/projects/{project['id']}", json={"status": "done"})
    assert ended.status_code == 409 and "notices" in ended.json()["error"]["expected"]
    closed = owner.patch(
        f"/api/projects/{project['id']}", json={"eligibility": {"countries": ["UG"]}}
    )
    assert closed.status_code == 409
    assert closed.json()["error"]["field"] == "eligibility.countries"
    assert closed.json()["error"]["value"] == ["KE"]
    assert state(factory.database) == before
    # closing to a country nobody works from needs no notice
    fine = owner.patch(
        f"/api/projects/{project['id']}", json={"eligibility": {"countries": ["KE"]}}
    )
    assert fine.status_code == 200, fine.text
    _o, idle, _ids = setup_project(factory)
    assert _o.patch(f"/api/projects/{idle['id']}", json={"status": "done"}).status_code == 200


def test_a_notice_needs_the_minimum_notice_and_an_open_country(factory: Factory) -> None:
    owner, project, worker = worked(factory, eligibility={"countries": ["KE"]})
    before = state(factory.database)
    soon = notice(owner, project["id"], 3)
    assert soon.status_code == 422 and soon.json()["error"]["field"] == "effective_at"
    assert notice(owner, project["id"], 30, country="FR").status_code == 422
    assert notice(owner, project["id"], 30, country="fr").status_code == 422
    assert notice(worker, project["id"], 30).status_code == 404
    assert state(factory.database) == before


def test_affected_workers_see_the_notice_and_work_ends_on_its_date(factory: Factory) -> None:
    owner, project, worker = worked(factory)
    given = notice(owner, project["id"], 20, country="KE")
    assert given.status_code == 201, given.text
    assert [n["id"] for n in worker.get("/api/me/notices").json()] == [given.json()["id"]]
    [told] = events(factory.database, worker.user_id, "notice")
    assert told.data["country"] == "KE" and told.subject_id == given.json()["id"]
    assert lease(worker, project["id"])  # work goes on until the date
    _move_ending(factory, project["id"])
    worker.post(f"/api/assignments/{lease(worker, project['id'])['id']}/return")
    body = next_task(worker, project["id"])
    assert body["reason"] == "not_eligible"
    assert [u["kind"] for u in body["detail"]["unmet"]] == ["notice"]
    elsewhere = factory.worker()
    elsewhere.put("/api/me/profile", json={"country": "UG"})
    assert lease(elsewhere, project["id"])


def test_a_project_ending_notice_ends_it_through_the_sweep(factory: Factory) -> None:
    owner, project, _worker = worked(factory)
    assert notice(owner, project["id"], 14.01).status_code == 201
    assert jobs.run_sweep(factory.database)["projects_ended"] == 0
    _move_ending(factory, project["id"])
    assert jobs.run_sweep(factory.database)["projects_ended"] == 1
    assert owner.get(f"/api/projects/{project['id']}").json()["status"] == "done"


def _move_ending(factory: Factory, project_id: int) -> None:
    """As if the notice's date had come: the notice and the project's ending both."""
    past = utcnow() - timedelta(minutes=1)
    with factory.database.session() as db:
        db.execute(update(Notice).where(Notice.project_id == project_id).values(effective_at=past))
        project = db.get(Project, project_id)
        assert project is not None
        ending = [{**e, "effective_at": past.isoformat()} for e in project.eligibility["ending"]]
        project.eligibility = {**project.eligibility, "ending": ending}
    with factory.database.session(write=False) as db:
        assert db.scalar(select(Notice.effective_at).where(Notice.project_id == project_id))
