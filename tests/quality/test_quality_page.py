"""The client quality page over HTTP: figures, chart, workers by pseudonym, confusion matrix
and lowest-agreement items; a viewer may see it, other organizations and workers may not."""

from fastapi.testclient import TestClient

from tests.factories import Factory
from tests.quality.helpers import answer, labelled_project
from tests.web.helpers import sign_in


def test_quality_page_shows_the_report(factory: Factory) -> None:
    _, project, _ = labelled_project(factory, items=2, overlap=2)
    first, second = factory.worker(), factory.worker()
    for worker, labels in ((first, ("positive", "negative")), (second, ("positive", "neutral"))):
        for label in labels:
            answer(worker, project["id"], {"sentiment": label})
    viewer = factory.user(org_id=project["organization_id"], role="viewer")
    sign_in(factory.client, viewer.email)
    page = factory.client.get(f"/projects/{project['id']}/quality")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'aria-current="page">Quality<' in html
    assert 'data-figure="alpha_nominal"' in html
    assert "<polyline" in html and 'id="confusion-sentiment"' in html
    assert 'id="lowest-items"' in html and "ext-" in html
    for worker in (first, second):
        assert f'data-worker="{worker.get("/api/me").json()["pseudonym"]}"' in html
        assert worker.email not in html
    dashboard = factory.client.get(f"/projects/{project['id']}")
    assert f'href="/projects/{project["id"]}/quality"' in dashboard.text


def test_quality_page_of_an_empty_project_and_for_outsiders(factory: Factory) -> None:
    owner, project, _ = labelled_project(factory)
    sign_in(factory.client, owner.email)
    empty = factory.client.get(f"/projects/{project['id']}/quality")
    assert empty.status_code == 200 and "no annotations yet" in empty.text
    stranger, _ = factory.owner()
    with TestClient(factory.client.app) as other:
        sign_in(other, stranger.email)
        assert other.get(f"/projects/{project['id']}/quality").status_code == 404
        other.cookies.clear()
        signed_out = other.get(f"/projects/{project['id']}/quality", follow_redirects=False)
        assert signed_out.status_code in (302, 303)
