"""The monitoring pages through the real app with a browser session: a project's streams,
and a stream's flagged rate drawn as a server-side SVG (no inline script) beside its days."""

from tests.factories import Factory
from tests.monitoring.test_monitoring import QUESTIONS, conversation, send, stream
from tests.web.helpers import sign_in
from tests.web.test_security_headers import inline_code


def test_the_chart_and_the_days(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, questions=QUESTIONS)
    created = stream(owner, project["id"], rate=1.0, stratum_rates={})
    batch = [conversation(n, "a", day=n % 3) for n in range(6)]
    assert send(owner, created["id"], batch).status_code == 200
    worker = factory.worker()
    for n in range(3):
        leased = worker.post(f"/api/projects/{project['id']}/assignments/next").json()
        verdict = "harmful" if n == 0 else "fine"
        submitted = worker.post(
            f"/api/assignments/{leased['assignment']['id']}/submit",
            json={"answers": {"verdict": verdict}, "time_spent_ms": 2_000},
        )
        assert submitted.status_code == 201, submitted.text

    client = factory.client
    sign_in(client, owner.email)
    listing = client.get(f"/projects/{project['id']}/monitoring")
    assert listing.status_code == 200 and f"/monitoring-streams/{created['id']}" in listing.text
    dashboard = client.get(f"/projects/{project['id']}").text
    assert f'href="/projects/{project["id"]}/monitoring"' in dashboard
    page = client.get(f"/monitoring-streams/{created['id']}")
    assert page.status_code == 200, page.text
    assert inline_code(page.text) == []
    assert '<svg id="flagged-chart"' in page.text and 'class="rate"' in page.text
    assert page.text.count('class="interval"') == 3  # a reviewed item on each of the 3 days
    assert "2026-11-30" in page.text and "2026-12-02" in page.text
    only_a = client.get(f"/monitoring-streams/{created['id']}", params={"stratum": "zzz"})
    assert only_a.status_code == 422
    stranger, _ = factory.owner()
    sign_in(client, stranger.email)
    assert client.get(f"/monitoring-streams/{created['id']}").status_code == 404
