"""The worker's pages: the home page's project list, the guidelines page and the shell page
of the labelling workspace (with and without a built bundle)."""

import re
from pathlib import Path
from typing import Any

import pytest

from fairlabel.web import service
from tests.factories import Factory
from tests.web.helpers import sign_in

QUESTIONS: list[dict[str, Any]] = [
    {
        "name": "sentiment",
        "type": "label",
        "prompt": "How does it feel?",
        "settings": {"labels": ["positive", "negative"]},
    },
    {"name": "stars", "type": "rating", "settings": {"min": 1, "max": 5}, "required": False},
]


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for the built bundle, so these tests do not need npm."""
    (tmp_path / "workspace.js").write_text("export {};\n")
    (tmp_path / "workspace.css").write_text("\n")
    monkeypatch.setattr(service, "DIST_DIR", tmp_path)
    return tmp_path


def test_worker_home_lists_open_projects_with_what_is_asked(factory: Factory) -> None:
    owner, org_id = factory.owner()
    open_project = factory.project(owner, org_id, questions=QUESTIONS, name="Reviews")
    factory.project(owner, org_id, name="Still a draft", status="draft")
    worker = factory.worker()
    sign_in(factory.client, worker.email)
    home = factory.client.get("/").text
    assert "Reviews" in home
    assert "Still a draft" not in home
    assert "How does it feel?</strong>: choose one label: positive, negative" in home
    assert 'rate from 1 to 5 <span class="muted">(optional)</span>' in home
    assert f'href="/projects/{open_project["id"]}/work">Start labelling' in home
    assert f'href="/projects/{open_project["id"]}/guidelines"' in home


def test_worker_home_says_why_a_project_is_not_open_to_them(factory: Factory) -> None:
    owner, org_id = factory.owner()
    swahili = {"languages": ["sw"], "countries": [], "qualifications": []}
    closed = factory.project(
        owner, org_id, questions=QUESTIONS, name="Swahili reviews", eligibility=swahili
    )
    worker = factory.worker()
    sign_in(factory.client, worker.email)
    home = factory.client.get("/").text
    assert "Swahili reviews" in home and "Not open to you yet" in home
    assert f'href="/projects/{closed["id"]}/work"' not in home


def test_owner_home_offers_no_labelling(factory: Factory) -> None:
    owner, org_id = factory.owner()
    factory.project(owner, org_id, questions=QUESTIONS)
    sign_in(factory.client, owner.email)
    home = factory.client.get("/").text
    assert "Start labelling" not in home
    assert "sentiment (label)" in home


def test_guidelines_render_markdown_and_never_raw_html(factory: Factory) -> None:
    owner, org_id = factory.owner()
    guidelines = "# Rules\n\n**Be kind.** <script>alert(1)</script> [x](javascript:alert(1))"
    project = factory.project(owner, org_id, guidelines=guidelines)
    worker = factory.worker()
    sign_in(factory.client, worker.email)
    page = factory.client.get(f"/projects/{project['id']}/guidelines")
    assert page.status_code == 200
    assert "<strong>Be kind.</strong>" in page.text
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert 'href="javascript:' not in page.text


def test_work_page_needs_a_sign_in(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    response = factory.client.get(f"/projects/{project['id']}/work", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_work_page_loads_the_bundle_with_what_the_workspace_needs(
    factory: Factory, built: Path
) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, name='Tickets "quoted" <b>', questions=QUESTIONS)
    worker = factory.worker()
    sign_in(factory.client, worker.email)
    page = factory.client.get(f"/projects/{project['id']}/work")
    assert page.status_code == 200
    me = factory.client.get("/api/me").json()
    home = factory.client.get("/").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home)
    assert csrf
    assert f'data-project-id="{project["id"]}"' in page.text
    assert f'data-csrf-token="{csrf.group(1)}"' in page.text
    assert f'data-pseudonym="{me["pseudonym"]}"' in page.text
    assert 'data-project-name="Tickets &#34;quoted&#34; &lt;b&gt;"' in page.text
    version = (built / "workspace.js").stat().st_mtime_ns
    assert f'<script type="module" src="/static/dist/workspace.js?v={version}">' in page.text
    assert 'href="/static/dist/workspace.css?v=' in page.text
    assert "Label the sentiment." in page.text  # the guidelines panel


def test_work_page_without_a_build_says_how_to_make_one(
    factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "DIST_DIR", tmp_path / "nothing-here")
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    worker = factory.worker()
    sign_in(factory.client, worker.email)
    page = factory.client.get(f"/projects/{project['id']}/work")
    assert page.status_code == 503
    assert "make setup" in page.text
    assert "<script" not in page.text


def test_work_page_refuses_members_and_hides_other_projects(factory: Factory, built: Path) -> None:
    owner, org_id = factory.owner()
    active = factory.project(owner, org_id)
    draft = factory.project(owner, org_id, status="draft")
    sign_in(factory.client, owner.email)
    assert factory.client.get(f"/projects/{active['id']}/work").status_code == 403
    worker = factory.worker()
    factory.client.cookies.clear()
    sign_in(factory.client, worker.email)
    hidden = factory.client.get(f"/projects/{draft['id']}/work")
    assert hidden.status_code == 404
    assert "Project not found" in hidden.text
    assert factory.client.get("/projects/999999/guidelines").status_code == 404


def test_questions_are_described_in_words() -> None:
    from fairlabel.models import Question

    def described(type_: str, **settings: object) -> str:
        return service.describe_question(Question(name="q", type=type_, settings=settings))

    assert described("multi_label", labels=["a", "b"]) == "choose any labels that apply: a, b"
    assert described("span", labels=["PER"]) == "mark passages in the text as PER"
    assert (
        described("bbox", labels=["cat", "dog"]) == "draw a box around each cat / dog in the image"
    )
    assert described("polygon", labels=["road"]) == "outline each road in the image"
    assert described("ranking", allow_ties=False) == "rank the responses from best to worst"
    assert described("pairwise") == "say which of two responses is better"
    assert described("pairwise", live={"endpoints": [1]}) == (
        "say which of two responses is better; the project's models write them for you while"
        " you wait (paid time)"
    )
    assert described("text", multiline=False) == "write a short text"
    assert described("keypoints") == "answer a keypoints question"
