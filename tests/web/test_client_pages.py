"""Client pages over HTTP: who may see and change what, the dashboard's figures, and the
project form's builder, JSON alternative and field-level errors."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import Account, Factory
from tests.web.helpers import sign_in

LABEL = [{"name": "sentiment", "type": "label", "settings": {"labels": ["pos", "neg"]}}]
BOXES = [{"name": "objects", "type": "bbox", "settings": {"labels": ["cat"]}}]


def _csrf(client: TestClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/projects").text)
    assert match
    return match.group(1)


def _pages(project_id: int) -> list[str]:
    base = f"/projects/{project_id}"
    return [base, f"{base}/edit", f"{base}/import", f"{base}/export"]


def _annotate(factory: Factory, project_id: int, worker: Account, item_count: int = 1) -> None:
    """A worker takes and submits `item_count` items through the API."""
    for _ in range(item_count):
        taken = worker.post(f"/api/projects/{project_id}/assignments/next")
        assert taken.status_code in (200, 201), taken.text
        assignment = taken.json()["assignment"]
        submitted = worker.post(
            f"/api/assignments/{assignment['id']}/submit",
            json={"answers": {"sentiment": "pos"}, "time_spent_ms": 4000},
        )
        assert submitted.status_code in (200, 201), submitted.text


def _import(owner: Account, project_id: int, count: int) -> None:
    body = "\n".join(f'{{"external_id": "e{i}", "text": "t{i}"}}' for i in range(count))
    response = owner.post(
        f"/api/projects/{project_id}/imports", content=body, params={"format": "jsonl"}
    )
    assert response.status_code == 201, response.text


def test_other_organizations_get_404_on_every_client_page(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=LABEL)
    stranger, _other = factory.owner()
    sign_in(factory.client, stranger.email)
    for url in _pages(project["id"]):
        page = factory.client.get(url)
        assert page.status_code == 404, url
        assert "Project not found" in page.text
        assert project["name"] not in page.text
    listing = factory.client.get("/projects").text
    assert project["name"] not in listing


def test_a_viewer_sees_the_dashboard_but_cannot_edit(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=LABEL)
    viewer = factory.user(org_id=org_id, role="viewer")
    sign_in(factory.client, viewer.email)
    base = f"/projects/{project['id']}"
    dashboard = factory.client.get(base)
    assert dashboard.status_code == 200
    assert f'href="{base}/edit"' not in dashboard.text
    assert factory.client.get(f"{base}/export").status_code == 200
    for url in (f"{base}/edit", f"{base}/import", "/projects/new"):
        page = factory.client.get(url)
        assert page.status_code == 403, url
        assert "<h1>" in page.text
    posted = factory.client.post(
        f"{base}/edit", data={"csrf_token": _csrf(factory.client), "name": "Renamed"}
    )
    assert posted.status_code == 403
    assert owner.get(f"/api/projects/{project['id']}").json()["name"] == project["name"]


def test_a_worker_never_sees_client_pages(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=LABEL)
    worker = factory.worker()
    sign_in(factory.client, worker.email)
    assert factory.client.get("/projects").status_code == 403
    assert factory.client.get("/projects/new").status_code == 403
    for url in _pages(project["id"]):
        assert factory.client.get(url).status_code == 404, url
    assert "Client projects" not in factory.client.get("/").text


def test_signed_out_visitors_go_to_sign_in(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=LABEL)
    for url in ["/projects", "/projects/new", *_pages(project["id"])]:
        response = factory.client.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"] == "/login"


def test_dashboard_counts_items_and_shows_workers_by_pseudonym(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=LABEL, overlap=1)
    _import(owner, project["id"], 4)
    worker = factory.worker()
    _annotate(factory, project["id"], worker, 2)
    taken = worker.post(f"/api/projects/{project['id']}/assignments/next")
    assert taken.status_code in (200, 201)
    pseudonym = worker.get("/api/me").json()["pseudonym"]
    sign_in(factory.client, owner.email)
    page = factory.client.get(f"/projects/{project['id']}").text
    figures = dict(re.findall(r'data-count="(\w+)">([^<]*)<', page))
    assert figures == {
        "items": "4",
        "new": "1",
        "in_progress": "1",
        "done": "2",
        "annotations": "2",
        "median": "4.0 s",
    }
    assert pseudonym in page
    assert worker.email not in page
    assert '<svg viewBox="0 0 600 170" role="img"' in page
    assert "Show as a table" in page
    listing = factory.client.get("/projects").text
    assert f'href="/projects/{project["id"]}"' in listing
    assert "2 done" in listing


def test_an_empty_project_has_an_empty_dashboard(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=LABEL)
    sign_in(factory.client, owner.email)
    page = factory.client.get(f"/projects/{project['id']}").text
    assert "No work submitted yet." in page
    assert 'data-count="median">\u2013<' in page


def _form(org_id: int, token: str, **extra: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "organization_id": str(org_id),
        "name": "Reviews",
        "description": "Product reviews",
        "guidelines": "# Rules\nBe fair.",
        "overlap": "2",
        "lease_minutes": "15",
        "status": "active",
        "questions_mode": "builder",
        **extra,
    }


def test_the_builder_creates_a_project_through_the_service(factory: Factory) -> None:
    owner, org_id = factory.owner()
    sign_in(factory.client, owner.email)
    token = _csrf(factory.client)
    data = _form(
        org_id,
        token,
        **{
            "q-0-name": "sentiment",
            "q-0-type": "label",
            "q-0-prompt": "How does it feel?",
            "q-0-required": "on",
            "q-0-labels": "positive\r\nnegative\r\n",
            "q-0-min": "1",
            "q-3-name": "stars",
            "q-3-type": "rating",
            "q-3-min": "1",
            "q-3-max": "10",
        },
    )
    response = factory.client.post("/projects/new", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    project_id = int(response.headers["location"].rsplit("/", 1)[1])
    stored = owner.get(f"/api/projects/{project_id}").json()
    assert stored["overlap"] == 2 and stored["lease_seconds"] == 900
    assert stored["status"] == "active"
    questions = {q["name"]: q for q in stored["questions"]}
    assert questions["sentiment"]["settings"] == {"labels": ["positive", "negative"]}
    assert questions["sentiment"]["prompt"] == "How does it feel?"
    assert questions["stars"]["settings"] == {"min": 1, "max": 10}
    assert questions["stars"]["required"] is False
    edit = factory.client.get(f"/projects/{project_id}/edit").text
    assert "positive\nnegative</textarea>" in edit


def test_the_json_alternative_is_accepted(factory: Factory) -> None:
    owner, org_id = factory.owner()
    sign_in(factory.client, owner.email)
    questions = '[{"name": "q", "type": "rating", "settings": {"min": 0, "max": 3}}]'
    data = _form(org_id, _csrf(factory.client), questions_mode="json", questions_json=questions)
    response = factory.client.post("/projects/new", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    project_id = int(response.headers["location"].rsplit("/", 1)[1])
    stored = owner.get(f"/api/projects/{project_id}").json()
    assert stored["questions"][0]["settings"] == {"min": 0, "max": 3}


@pytest.mark.parametrize(
    ("fields", "element", "text"),
    [
        ({"q-0-labels": ""}, "q-0-labels", "a non-empty list of labels"),
        ({"q-0-labels": "a\nb", "q-0-name": "bad name"}, "q-0-name", ""),
        ({"q-0-labels": "a\nb", "overlap": "many"}, "f-overlap", "expected a whole number"),
        ({"q-0-labels": "a\nb", "overlap": "0"}, "f-overlap", "greater than or equal to 1"),
        ({"q-0-labels": "a\nb", "name": ""}, "f-name", "at least 1 character"),
        (
            {"q-0-type": "rating", "q-0-min": "5", "q-0-max": "2"},
            "q-0-min",
            "an integer less than max (2)",
        ),
        (
            {"questions_mode": "json", "questions_json": "[{"},
            "f-questions_json",
            "not valid JSON",
        ),
        (
            {"questions_mode": "json", "questions_json": '[{"name": "q", "type": "nope"}]'},
            "f-questions_json",
            "one of: label",
        ),
        ({"q-0-labels": "a\nb", "organization_id": "999999"}, "f-organization_id", "choose"),
    ],
)
def test_errors_are_shown_next_to_their_field_and_the_form_is_refilled(
    factory: Factory, fields: dict[str, str], element: str, text: str
) -> None:
    owner, org_id = factory.owner()
    sign_in(factory.client, owner.email)
    data = _form(org_id, _csrf(factory.client), **{"q-0-name": "q", "q-0-type": "label"})
    data |= fields
    page = factory.client.post("/projects/new", data=data)
    assert page.status_code == 422, page.text
    error = re.search(rf'<p class="field-error" id="{element}-error">([^<]*)</p>', page.text)
    assert error, page.text
    assert text in error.group(1)
    assert re.search(rf'id="{element}"[^>]*aria-describedby="[^"]*{element}-error', page.text)
    assert 'value="Product reviews"' not in page.text  # a textarea, refilled below
    assert "Product reviews</textarea>" in page.text
    assert owner.get("/api/projects").json() == []


def test_edit_goes_through_update_project(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=LABEL)
    sign_in(factory.client, owner.email)
    url = f"/projects/{project['id']}/edit"
    data: dict[str, Any] = {
        "csrf_token": _csrf(factory.client),
        "name": "Renamed",
        "description": "",
        "guidelines": "New rules",
        "overlap": "3",
        "lease_minutes": "60",
        "status": "paused",
        "q-0-name": "sentiment",
        "q-0-type": "label",
        "q-0-labels": "pos\nneg",
        "q-0-required": "on",
    }
    response = factory.client.post(url, data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    stored = owner.get(f"/api/projects/{project['id']}").json()
    assert stored["name"] == "Renamed" and stored["overlap"] == 3
    assert stored["status"] == "paused" and stored["guideline_version"] == 2
    assert stored["questions"] == project["questions"]


def test_edit_replaces_the_questions(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=LABEL)
    sign_in(factory.client, owner.email)
    data = {
        "csrf_token": _csrf(factory.client),
        "name": "Tags",
        "overlap": "1",
        "lease_minutes": "30",
        "status": "active",
        "q-5-name": "tags",
        "q-5-type": "multi_label",
        "q-5-labels": "short\nlong\nfunny",
        "q-5-max_selected": "2",
    }
    url = f"/projects/{project['id']}/edit"
    response = factory.client.post(url, data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    stored = owner.get(f"/api/projects/{project['id']}").json()
    assert [q["name"] for q in stored["questions"]] == ["tags"]
    assert stored["questions"][0]["settings"]["max_selected"] == 2


def test_forms_need_the_csrf_token(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=LABEL)
    sign_in(factory.client, owner.email)
    response = factory.client.post(f"/projects/{project['id']}/edit", data={"name": "x"})
    assert response.status_code == 403
    assert owner.get(f"/api/projects/{project['id']}").json()["name"] == project["name"]


def test_export_page_lists_formats_and_marks_those_that_do_not_fit(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=LABEL)
    sign_in(factory.client, owner.email)
    page = factory.client.get(f"/projects/{project['id']}/export").text
    assert f'action="/projects/{project["id"]}/export/download"' in page
    assert re.search(r'id="format-jsonl" name="format" value="jsonl" checked>', page)
    assert re.search(r'id="format-coco"[^>]* disabled', page)
    assert re.search(r'id="export-include_media"[^>]* disabled', page)
    assert 'name="split"' in page and 'name="seed"' in page and 'name="aggregated"' in page


def test_export_form_leaves_empty_fields_out_and_redirects_to_the_download(
    factory: Factory,
) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=BOXES)
    sign_in(factory.client, owner.email)
    form = {"format": "yolo", "split": " train:0.7,val:0.3 ", "seed": "", "aggregated": "on"}
    response = factory.client.get(
        f"/projects/{project['id']}/export/download", params=form, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == (
        f"/api/projects/{project['id']}/export?format=yolo&aggregated=true&split=train%3A0.7%2Cval%3A0.3"
    )


def test_export_form_takes_the_split_a_training_dataset_needs(factory: Factory) -> None:
    """The page checks a split as the chosen format does: train/test for the Parquet
    datasets, where an image export would ask for val."""
    owner, org_id = factory.owner()
    pairwise = [{"name": "better", "type": "pairwise", "settings": {"field": "responses"}}]
    project = factory.project(owner, org_id, questions=pairwise)
    sign_in(factory.client, owner.email)
    form = {"format": "preference-parquet", "split": "train:0.9,test:0.1", "seed": "3"}
    response = factory.client.get(
        f"/projects/{project['id']}/export/download", params=form, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert "split=train%3A0.9%2Ctest%3A0.1" in response.headers["location"]


@pytest.mark.parametrize(
    ("form", "field", "needle"),
    [
        ({"format": "yolo", "split": "train:0.8,dev:0.2"}, "export-split", "unknown split"),
        ({"format": "voc", "seed": "seven"}, "export-seed", "not a whole number"),
        ({"format": "coco", "split": "train:0.5,val:0.5"}, "export-split", "takes no split"),
        ({"format": "coco", "include_media": "on"}, "export-include_media", "stores no media"),
        ({"format": "conll"}, "export-format", "span"),
    ],
)
def test_export_form_shows_a_bad_option_beside_its_field(
    factory: Factory, form: dict[str, str], field: str, needle: str
) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=BOXES)
    sign_in(factory.client, owner.email)
    response = factory.client.get(f"/projects/{project['id']}/export/download", params=form)
    assert response.status_code == 422, response.text
    assert f'<p class="field-error" id="{field}-error">' in response.text or (
        f'href="#{field}"' in response.text
    )
    assert needle in response.text


def test_import_page_carries_the_csrf_token(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=LABEL)
    sign_in(factory.client, owner.email)
    page = factory.client.get(f"/projects/{project['id']}/import").text
    token = _csrf(factory.client)
    assert f'data-csrf-token="{token}"' in page
    assert '<script src="/static/import.js" defer>' in page
