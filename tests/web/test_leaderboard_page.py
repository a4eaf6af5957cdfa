"""The leaderboard page over HTTP: standings with intervals and rank intervals, robustness,
both heat maps, the category, source and style filters, the notice when the votes alone
have no maximum-likelihood answer, who may see it, and the error page for bad filters."""

import re

import pytest
from fastapi.testclient import TestClient

from tests.evaluation.voting import MODELS, QUESTIONS, voted_project
from tests.exports.helpers import build_project, work
from tests.factories import Factory
from tests.web.helpers import sign_in


def _page(client: TestClient, project_id: int, **params: str) -> str:
    response = client.get(f"/projects/{project_id}/leaderboard", params=params)
    assert response.status_code == 200, response.text
    return response.text


def test_the_page_shows_standings_robustness_and_heat_maps(factory: Factory) -> None:
    built = voted_project(factory, prompts=12)
    sign_in(factory.client, built.owner.email)
    dashboard = factory.client.get(f"/projects/{built.project_id}").text
    assert f'href="/projects/{built.project_id}/leaderboard"' in dashboard
    html = _page(factory.client, built.project_id)
    rows = re.findall(r'<tr data-model="([^"]+)">', html)
    assert rows == list(MODELS)
    assert len(re.findall(r'class="num interval">\d+ to \d+<', html)) == 3
    assert len(re.findall(r'class="num rank-interval">\d+( to \d+)?<', html)) == 3
    assert "24 votes fitted (24 from people, 0 from LLM judges)" in html
    assert 'id="no-mle"' not in html
    assert re.search(
        r"Removing <strong class=\"votes-to-change\">\d+</strong> votes? \(of 24\)", html
    )
    for heatmap in ("battle-heatmap", "winrate-heatmap"):
        figure = html.split(f'id="{heatmap}"')[1].split("</figure>")[0]
        assert figure.count('<rect class="cell"') == 6  # 3 models, the diagonal left out
    assert "model-alpha against model-beta:" in html
    assert "<script" not in html.split("<main")[-1]  # drawn by the server, no script


def test_filters_by_category_source_and_style(factory: Factory) -> None:
    built = voted_project(factory, prompts=12)
    sign_in(factory.client, built.owner.email)
    code = _page(factory.client, built.project_id, category="code", source="human")
    assert "Standings: code" in code and "12 votes fitted" in code
    assert '<option value="code" selected>' in code and '<option value="human" selected>' in code
    judged = _page(factory.client, built.project_id, source="judge")
    assert "No votes between two named models yet from this source." in judged
    styled = _page(factory.client, built.project_id, style="on")
    assert "Style-controlled" in styled and 'id="style-weights"' in styled
    assert len(re.findall(r'class="num style-score">\d+<', styled)) == 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"category": "poetry"}, "no votes in category &#39;poetry&#39;"),
        ({"source": "robots"}, "unknown vote source &#39;robots&#39;"),
    ],
)
def test_bad_filters_are_the_error_page(
    factory: Factory, params: dict[str, str], message: str
) -> None:
    built = voted_project(factory, prompts=3, workers=1)
    sign_in(factory.client, built.owner.email)
    response = factory.client.get(f"/projects/{built.project_id}/leaderboard", params=params)
    assert response.status_code == 422
    assert "The leaderboard cannot be drawn" in response.text and message in response.text


def test_an_undefeated_model_gets_the_notice(factory: Factory) -> None:
    items = [
        {
            "external_id": "only",
            "responses": [{"id": "x", "model": "m1"}, {"id": "y", "model": "m2"}],
        }
    ]
    built = build_project(factory, QUESTIONS, items, overlap=1)
    work(built, factory.worker(), {"only": {"better": {"choice": "a"}}})
    sign_in(factory.client, built.owner.email)
    html = _page(factory.client, built.project_id)
    assert 'id="no-mle"' in html and "rests on the weak prior" in html


def test_who_sees_the_page_and_where_it_is_linked(factory: Factory) -> None:
    built = voted_project(factory, prompts=3, workers=1)
    project = built.owner.get(f"/api/projects/{built.project_id}").json()
    url = f"/projects/{built.project_id}/leaderboard"
    viewer = factory.user(org_id=project["organization_id"], role="viewer")
    with TestClient(factory.client.app) as browser:
        sign_in(browser, viewer.email)
        assert browser.get(url).status_code == 200
    stranger, _ = factory.owner()
    with TestClient(factory.client.app) as browser:
        sign_in(browser, stranger.email)
        assert browser.get(url).status_code == 404
    owner, org_id = factory.owner()
    plain = factory.project(owner, org_id, questions=[{"name": "note", "type": "text"}])
    with TestClient(factory.client.app) as browser:
        sign_in(browser, owner.email)
        assert "/leaderboard" not in browser.get(f"/projects/{plain['id']}").text
        refused = browser.get(f"/projects/{plain['id']}/leaderboard")
        assert (
            refused.status_code == 422 and "a leaderboard needs a pairwise question" in refused.text
        )
