"""The job page over HTTP: the progress bar with its count and message while a job runs
(refreshing itself), its result in words with a link onwards, a failure's sentence with how
to start again; the quality page's recompute button starts the job and leads to it."""

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from fairlabel.jobs import service as jobs_service
from fairlabel.models import Job
from tests.factories import Account, Factory
from tests.jobs.helpers import wait_for_job
from tests.jobs.kinds import GATE
from tests.quality.helpers import label_by, labelled_project
from tests.web.helpers import page_csrf, sign_in

WAIT_SECONDS = 30


@pytest.fixture
def gate() -> Iterator[None]:
    GATE.reset()
    yield
    GATE.opened.set()


def start(factory: Factory, kind: str, account: Account, project_id: int | None = None) -> int:
    runner = factory.client.app.state.runner  # type: ignore[attr-defined]
    with factory.database.session() as db:
        job = jobs_service.create(
            db, runner, kind, {}, project_id=project_id, created_by_id=account.user_id
        )
        return job.id


@pytest.mark.usefixtures("gate")
def test_the_page_shows_progress_then_the_result(factory: Factory) -> None:
    owner, project, _ = labelled_project(factory)
    job_id = start(factory, "test_gate", owner, project["id"])
    assert GATE.reached.wait(WAIT_SECONDS)
    wait_for_job(owner, job_id, until=("running",))
    sign_in(factory.client, owner.email)
    running = factory.client.get(f"/jobs/{job_id}")
    assert running.status_code == 200, running.text
    html = running.text
    assert '<meta http-equiv="refresh" content="1">' in html
    assert '<progress id="job-progress" max="4" value="1">' in html
    assert "Waiting at the gate" in html and "1 of 4" in html
    assert 'data-status="running"' in html and "Gated test job" in html
    assert 'id="job-result"' not in html
    GATE.opened.set()
    wait_for_job(owner, job_id)
    done = factory.client.get(f"/jobs/{job_id}").text
    assert "http-equiv" not in done
    assert '<progress id="job-progress" max="4" value="4">' in done
    assert "Passed the gate 1 time." in done
    assert f'<a href="/projects/{project["id"]}" id="job-link">Go to the project</a>' in done
    assert re.search(r'id="job-finished">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<', done)


def test_a_failed_job_says_why_and_how_to_start_again(factory: Factory) -> None:
    owner, project, _ = labelled_project(factory)
    job_id = start(factory, "test_crash", owner, project["id"])
    wait_for_job(owner, job_id)
    sign_in(factory.client, owner.email)
    html = factory.client.get(f"/jobs/{job_id}").text
    assert 'data-status="failed"' in html and "unexpected error" in html
    assert "secret" not in html
    assert "Start again" in html and f'href="/projects/{project["id"]}"' in html
    stranger, _ = factory.owner()
    with TestClient(factory.client.app) as other:
        sign_in(other, stranger.email)
        hidden = other.get(f"/jobs/{job_id}")
        assert hidden.status_code == 404 and "Job not found" in hidden.text


def test_the_quality_page_starts_a_recompute(factory: Factory) -> None:
    owner, project, _ = labelled_project(factory, items=2, overlap=2)
    label_by(factory, project["id"], ["positive", "negative", "positive"])
    viewer = factory.user(org_id=project["organization_id"], role="viewer")
    quality = f"/projects/{project['id']}/quality"
    with TestClient(factory.client.app) as browser:
        sign_in(browser, viewer.email)
        assert 'id="recompute-form"' not in browser.get(quality).text
        refused = browser.post(f"{quality}/recompute", data={"csrf_token": page_csrf(browser)})
        assert refused.status_code == 403
    sign_in(factory.client, owner.email)
    assert 'id="recompute-form"' in factory.client.get(quality).text
    forged = factory.client.post(f"{quality}/recompute", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert owner.get(f"/api/jobs?project_id={project['id']}").json() == []
    started = factory.client.post(
        f"{quality}/recompute",
        data={"csrf_token": page_csrf(factory.client)},
        follow_redirects=False,
    )
    assert started.status_code == 303
    job_id = int(started.headers["location"].removeprefix("/jobs/"))
    assert wait_for_job(owner, job_id)["status"] == "succeeded"
    html = factory.client.get(f"/jobs/{job_id}").text
    assert "Consensus recompute" in html
    assert "Recomputed the consensus of 2 items (2 rows: sentiment by Dawid-Skene)" in html
    assert f'<a href="{quality}" id="job-link">Go to the project&#39;s quality page</a>' in html


def test_a_running_recompute_is_shown_and_not_started_twice(factory: Factory) -> None:
    owner, project, _ = labelled_project(factory)
    with factory.database.session() as db:
        running = Job(kind="consensus", project_id=project["id"], status="running")
        db.add(running)
        db.flush()
        job_id = running.id
    quality = f"/projects/{project['id']}/quality"
    sign_in(factory.client, owner.email)
    page = factory.client.get(quality).text
    assert 'id="recompute-running"' in page and f'href="/jobs/{job_id}"' in page
    again = factory.client.post(
        f"{quality}/recompute",
        data={"csrf_token": page_csrf(factory.client)},
        follow_redirects=False,
    )
    assert (again.status_code, again.headers["location"]) == (303, f"/jobs/{job_id}")
    assert len(owner.get(f"/api/jobs?project_id={project['id']}").json()) == 1
