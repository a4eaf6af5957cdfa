"""Who sees a job (operators, whoever started it, its project's organization; others 404 as
if it did not exist), the project's job list, and one recompute of a project at a time."""

from typing import Any

from fairlabel.db import utcnow
from fairlabel.models import Job
from tests.factories import Factory
from tests.jobs.helpers import recompute, wait_for_job
from tests.quality.helpers import label_by, labelled_project


def add_job(factory: Factory, **values: Any) -> int:
    with factory.database.session() as db:
        job = Job(kind="consensus", **values)
        db.add(job)
        db.flush()
        return job.id


def test_who_sees_a_job(factory: Factory) -> None:
    owner, project, _ = labelled_project(factory)
    label_by(factory, project["id"], ["positive"])
    job = recompute(owner, project["id"])
    viewer = factory.user(org_id=project["organization_id"], role="viewer")
    operator = factory.user(operator=True)
    stranger, _ = factory.owner()
    worker = factory.worker()
    for reader in (owner, viewer, operator):
        assert reader.get(f"/api/jobs/{job['id']}").json() == job
    for outsider in (stranger, worker):
        hidden = outsider.get(f"/api/jobs/{job['id']}")
        assert hidden.status_code == 404 and hidden.json()["error"]["field"] == "job_id"
        assert outsider.get(f"/api/jobs?project_id={project['id']}").status_code == 404
    assert owner.get("/api/jobs/999999").status_code == 404
    assert stranger.get("/api/jobs").json() == []
    # a job without a project: its creator and operators only
    own = add_job(factory, created_by_id=stranger.user_id, status="queued")
    assert stranger.get(f"/api/jobs/{own}").status_code == 200
    assert operator.get(f"/api/jobs/{own}").status_code == 200
    assert owner.get(f"/api/jobs/{own}").status_code == 404


def test_a_projects_jobs_newest_first(factory: Factory) -> None:
    owner, project, _ = labelled_project(factory)
    label_by(factory, project["id"], ["positive"])
    first = recompute(owner, project["id"])
    second = recompute(owner, project["id"], method="majority_vote")
    viewer = factory.user(org_id=project["organization_id"], role="viewer")
    listed = viewer.get(f"/api/jobs?project_id={project['id']}").json()
    assert [j["id"] for j in listed] == [second["id"], first["id"]]
    assert [j["id"] for j in owner.get("/api/jobs?limit=1").json()] == [second["id"]]
    assert viewer.get("/api/jobs").json() == []  # started none
    assert owner.get("/api/jobs?limit=1000").status_code == 422


def test_one_recompute_of_a_project_at_a_time(factory: Factory) -> None:
    owner, project, _ = labelled_project(factory)
    label_by(factory, project["id"], ["positive"])
    url = f"/api/projects/{project['id']}/consensus"
    for status in ("queued", "running"):
        busy = add_job(factory, project_id=project["id"], status=status, heartbeat_at=utcnow())
        refused = owner.post(url)
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert f"job {busy}" in error["message"] and status in error["message"]
        assert error["details"] == [
            {"job_id": busy, "status": status, "location": f"/api/jobs/{busy}"}
        ]
        # bad input is still refused first, as it was before recomputing became a job
        assert owner.post(f"{url}?question=nope").status_code == 422
        with factory.database.session() as db:
            db.get_one(Job, busy).status = "succeeded"
    other, _, _ = labelled_project(factory)
    assert other.post(url).status_code == 404
    started = owner.post(url)
    assert started.status_code == 202
    assert wait_for_job(owner, started.json()["id"])["status"] == "succeeded"
