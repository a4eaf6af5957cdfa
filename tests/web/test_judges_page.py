"""The judges page over HTTP: each judge's verdicts by status, its kappa with people and
swap consistency, the items it flagged, the run button for managers (to the job's page;
to the running job's while one runs), the viewer's read-only page, strangers and other
projects' judges refused. The stand-in server plays the judge (no weights can run here)."""

import re

from fastapi.testclient import TestClient

from fairlabel.models import Project
from tests.evaluation.judging import battles_project, judge, run
from tests.exports.helpers import work
from tests.factories import Factory
from tests.llm.standin import StandIn
from tests.web.helpers import page_csrf, sign_in


def _org(factory: Factory, project_id: int) -> int:
    with factory.database.session(write=False) as db:
        project = db.get(Project, project_id)
        assert project is not None
        return project.organization_id


def test_the_page_shows_each_judge_and_runs_it(factory: Factory, standin: StandIn) -> None:
    built = battles_project(factory)
    url = f"/projects/{built.project_id}/judges"
    sign_in(factory.client, built.owner.email)
    assert 'id="no-judges"' in factory.client.get(url).text
    assert f'href="{url}"' in factory.client.get(f"/projects/{built.project_id}").text
    worker = factory.worker()
    work(built, worker, {f"battle-{n}": {"better": {"choice": "a"}} for n in range(5)})
    biased = judge(built, factory, standin, mode="first")
    run(built, biased["id"])
    html = factory.client.get(url).text
    assert "10 ok, 0 unparseable, 0 failed calls" in html
    assert "0% (0 of 5 battles the same both ways)" in html
    assert len(re.findall(r"<td>battle-\d</td><td>inconsistent</td>", html)) == 5
    assert html.count("raised for people") == 5
    assert re.search(r'class="num kappa-value">[-\d.]+<', html)
    posted = factory.client.post(
        f"{url}/{biased['id']}/run",
        data={"csrf_token": page_csrf(factory.client)},
        follow_redirects=False,
    )
    assert posted.status_code == 303 and posted.headers["location"].startswith("/jobs/")


def test_viewers_read_and_strangers_are_refused(factory: Factory, standin: StandIn) -> None:
    built = battles_project(factory)
    made = judge(built, factory, standin)
    url = f"/projects/{built.project_id}/judges"
    viewer = factory.user(org_id=_org(factory, built.project_id), role="viewer")
    with TestClient(factory.client.app) as browser:
        sign_in(browser, viewer.email)
        html = browser.get(url).text
        assert "judge-longer" in html and 'class="run-judge"' not in html
        refused = browser.post(f"{url}/{made['id']}/run", data={"csrf_token": page_csrf(browser)})
        assert refused.status_code in (403, 404)
    stranger, _ = factory.owner()
    with TestClient(factory.client.app) as browser:
        sign_in(browser, stranger.email)
        assert browser.get(url).status_code == 404
    other = battles_project(factory)
    sign_in(factory.client, other.owner.email)
    elsewhere = factory.client.post(
        f"/projects/{other.project_id}/judges/{made['id']}/run",
        data={"csrf_token": page_csrf(factory.client)},
    )
    assert elsewhere.status_code == 404 and "no such judge" in elsewhere.text
