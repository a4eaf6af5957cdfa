"""Organizations and projects: typed questions, versioned guidelines, status, access."""

from typing import Any

from tests.factories import Factory

LABEL_Q = {"name": "sentiment", "type": "label", "settings": {"labels": ["pos", "neg"]}}


def test_owner_creates_project_with_questions_and_guidelines(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=[LABEL_Q], overlap=3, lease_seconds=600)
    assert project["overlap"] == 3 and project["lease_seconds"] == 600
    assert project["questions"][0]["settings"]["labels"] == ["pos", "neg"]
    assert project["guideline_version"] == 1
    assert project["status"] == "active"


def test_defaults(factory: Factory) -> None:
    owner, org_id = factory.owner()
    response = owner.post("/api/projects", json={"organization_id": org_id, "name": "P"})
    body = response.json()
    assert response.status_code == 201
    assert (body["overlap"], body["status"], body["guideline_version"]) == (1, "draft", 0)


def test_guidelines_are_versioned_never_overwritten(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    url = f"/api/projects/{project['id']}"
    assert owner.patch(url, json={"guidelines": "v2 text"}).json()["guideline_version"] == 2
    assert owner.patch(url, json={"guidelines": "v2 text"}).json()["guideline_version"] == 2
    versions = owner.get(f"{url}/guidelines").json()
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["body"].startswith("# Guidelines")


def test_unknown_question_type_is_rejected_and_nothing_is_created(factory: Factory) -> None:
    owner, org_id = factory.owner()
    response = owner.post(
        "/api/projects",
        json={
            "organization_id": org_id,
            "name": "P",
            "questions": [{"name": "q", "type": "telepathy", "settings": {}}],
        },
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"].endswith("type") and error["value"] == "telepathy"
    assert "label" in error["expected"]
    assert owner.get("/api/projects").json() == []


def test_bad_settings_and_duplicate_names_are_rejected(factory: Factory) -> None:
    owner, org_id = factory.owner()
    cases: list[list[dict[str, Any]]] = [
        [{"name": "q", "type": "label", "settings": {"labels": []}}],
        [LABEL_Q, LABEL_Q],
        [{"name": "bad name!", "type": "label", "settings": {"labels": ["a"]}}],
    ]
    for questions in cases:
        response = owner.post(
            "/api/projects", json={"organization_id": org_id, "name": "P", "questions": questions}
        )
        assert response.status_code == 422, questions
        assert response.json()["error"]["field"]
    assert owner.get("/api/projects").json() == []


def test_activation_needs_a_question(factory: Factory) -> None:
    owner, org_id = factory.owner()
    response = owner.post(
        "/api/projects", json={"organization_id": org_id, "name": "P", "status": "active"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "status"


def test_bad_overlap_is_rejected(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    response = owner.patch(f"/api/projects/{project['id']}", json={"overlap": 0})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "overlap"
    assert owner.get(f"/api/projects/{project['id']}").json()["overlap"] == 1


def test_other_organization_sees_nothing(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, status="draft")
    stranger, _other_org = factory.owner()
    assert stranger.get("/api/projects").json() == []
    assert stranger.get(f"/api/projects/{project['id']}").status_code == 404
    assert stranger.patch(f"/api/projects/{project['id']}", json={"name": "x"}).status_code == 404
    response = stranger.post("/api/projects", json={"organization_id": org_id, "name": "P"})
    assert response.status_code == 404
    assert stranger.get(f"/api/organizations/{org_id}").status_code == 404


def test_viewer_reads_but_cannot_change(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    viewer = factory.user(org_id=org_id, role="viewer")
    assert viewer.get(f"/api/projects/{project['id']}").status_code == 200
    response = viewer.patch(f"/api/projects/{project['id']}", json={"name": "x"})
    assert response.status_code == 403
    assert response.json()["error"]["value"] == "viewer"


def test_workers_see_active_projects_only_and_cannot_edit(factory: Factory) -> None:
    owner, org_id = factory.owner()
    active = factory.project(owner, org_id)
    draft = factory.project(owner, org_id, status="draft")
    worker = factory.worker()
    assert [p["id"] for p in worker.get("/api/projects").json()] == [active["id"]]
    assert worker.get(f"/api/projects/{draft['id']}").status_code == 404
    assert worker.patch(f"/api/projects/{active['id']}", json={"name": "x"}).status_code == 404


def test_organizations_are_created_by_operators_and_members_added_by_owners(
    factory: Factory,
) -> None:
    operator = factory.user(operator=True)
    response = operator.post("/api/organizations", json={"name": "Acme", "slug": "acme"})
    assert response.status_code == 201
    org_id = response.json()["id"]
    duplicate = operator.post("/api/organizations", json={"name": "Acme", "slug": "acme"})
    assert duplicate.status_code == 409 and duplicate.json()["error"]["field"] == "slug"
    owner = factory.user(org_id=org_id, role="owner")
    assert owner.post("/api/organizations", json={"name": "X", "slug": "x-1"}).status_code == 403
    newcomer = factory.user()
    added = owner.post(
        f"/api/organizations/{org_id}/members", json={"email": newcomer.email, "role": "viewer"}
    )
    assert added.status_code == 201 and added.json()["role"] == "viewer"
    unknown = owner.post(
        f"/api/organizations/{org_id}/members",
        json={"email": "ghost@example.org", "role": "viewer"},
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "email"
    bad_role = owner.post(
        f"/api/organizations/{org_id}/members", json={"email": newcomer.email, "role": "emperor"}
    )
    assert bad_role.status_code == 422 and bad_role.json()["error"]["field"] == "role"


def test_questions_can_be_replaced_keeping_a_name_before_work_starts(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=[LABEL_Q])
    changed = {**LABEL_Q, "settings": {"labels": ["pos", "neg", "mixed"]}}
    response = owner.patch(
        f"/api/projects/{project['id']}",
        json={"questions": [changed, {"name": "note", "type": "text"}]},
    )
    assert response.status_code == 200, response.text
    assert [q["name"] for q in response.json()["questions"]] == ["sentiment", "note"]
    assert response.json()["questions"][0]["settings"]["labels"] == ["pos", "neg", "mixed"]
