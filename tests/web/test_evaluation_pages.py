"""The evaluation pages over HTTP: refusals shown on the page with the API's status and
every bad line of an eval-set file, nothing stored; viewers see the status without the
forms; another project's evaluation and a stranger are refused. Endpoints are on the
stand-in server (no model weights can run here)."""

from tests.evaluation.evalproj import MODEL_NAMES, build
from tests.factories import Factory
from tests.jobs.helpers import wait_for_job
from tests.llm.standin import StandIn
from tests.web.helpers import page_csrf, sign_in


def test_refusals_are_shown_on_the_page_and_store_nothing(
    factory: Factory, standin: StandIn
) -> None:
    evaluation = build(factory, standin, models=2, prompts=2)
    client = factory.client
    sign_in(client, evaluation.owner.email)
    page = f"/projects/{evaluation.project_id}/evaluations/{evaluation.id}"
    assert 'id="import-prompts"' in client.get(page).text
    csrf = page_csrf(client)
    text = '{"id": "p3", "prompt": "fine"}\n{"id": "p1", "prompt": "again"}\n{"prompt": " "}'
    refused = client.post(
        f"{page}/prompts", data={"text": text, "format": "jsonl", "csrf_token": csrf}
    )
    assert refused.status_code == 422
    assert "line 2: id: expected an id not yet in the eval set" in refused.text
    assert "line 3: id: expected a non-blank string" in refused.text
    battles = client.post(f"{page}/battles", data={"per_pair": "1", "csrf_token": csrf})
    assert battles.status_code == 422 and "no battle can be created" in battles.text
    one = client.post(
        f"/projects/{evaluation.project_id}/evaluations",
        data={"name": "solo", "endpoint": str(evaluation.endpoints[0]["id"]), "csrf_token": csrf},
    )
    assert one.status_code == 422 and "at least 2 models" in one.text
    status = evaluation.get()
    assert status["prompts"] == 2 and status["battles"] == 0
    listed = client.get(f"/projects/{evaluation.project_id}/evaluations").text
    assert listed.count('data-evaluation="') == 1


def test_imports_and_battles_through_the_page(factory: Factory, standin: StandIn) -> None:
    evaluation = build(factory, standin, models=2, prompts=1, offline=("offline",))
    client = factory.client
    sign_in(client, evaluation.owner.email)
    page = f"/projects/{evaluation.project_id}/evaluations/{evaluation.id}"
    csrf = page_csrf(client)
    csv = "prompt_id,model,response\np1,offline,An answer\n"
    done = client.post(
        f"{page}/responses",
        data={"format": "csv", "csrf_token": csrf},
        files={"file": ("responses.csv", csv.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == page
    started = client.post(f"{page}/generate", data={"csrf_token": csrf}, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].startswith("/jobs/")
    wait_for_job(evaluation.owner, int(started.headers["location"].rsplit("/", 1)[1]))
    made = client.post(f"{page}/battles", data={"per_pair": "1", "csrf_token": csrf})
    assert made.status_code == 200
    assert 'id="evaluation-battles">3 ' in made.text  # 3 pairs among 3 models, one prompt
    for name in (*MODEL_NAMES[:2], "offline"):
        assert f'data-model="{name}"' in made.text


def test_viewers_read_and_strangers_are_refused(factory: Factory, standin: StandIn) -> None:
    evaluation = build(factory, standin, models=2, prompts=1)
    client = factory.client
    viewer = factory.user(org_id=evaluation.org_id, role="viewer")
    sign_in(client, viewer.email)
    page = f"/projects/{evaluation.project_id}/evaluations/{evaluation.id}"
    shown = client.get(page)
    assert shown.status_code == 200 and 'id="evaluation-models"' in shown.text
    assert 'id="generate"' not in shown.text
    other = build(factory, standin, models=2, prompts=1)
    sign_in(client, other.owner.email)
    foreign = f"/projects/{other.project_id}/evaluations/{evaluation.id}"
    assert client.get(foreign).status_code == 404
    assert client.get(page).status_code == 404
