"""The webhooks pages through the real app with a browser session: an owner adds a
receiver (its secret shown once on the answering page, then only its last four), a refused
URL is shown on the page and stores nothing, the deliveries page lists each attempt with
its error, a viewer only looks."""

import re

from tests.factories import Factory
from tests.jobs.helpers import recompute
from tests.web.helpers import page_csrf, sign_in
from tests.web.test_security_headers import inline_code
from tests.webhooks.receiver import Receiver, deliveries, free_port, wait_for_attempts


def test_an_owner_adds_a_receiver_and_reads_its_attempts(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    client = factory.client
    sign_in(client, owner.email)
    csrf = page_csrf(client)
    endpoints = client.get(f"/organizations/{org_id}/model-endpoints").text
    assert f'href="/organizations/{org_id}/webhooks"' in endpoints
    page = client.get(f"/organizations/{org_id}/webhooks")
    assert page.status_code == 200 and "No receivers yet" in page.text
    assert inline_code(page.text) == []

    refused = client.post(
        f"/organizations/{org_id}/webhooks",
        data={"csrf_token": csrf, "url": "http://169.254.169.254/", "events": "job.finished"},
    )
    assert refused.status_code == 422 and "metadata" in refused.text
    assert owner.get(f"/api/organizations/{org_id}/webhooks").json() == []
    none_chosen = client.post(
        f"/organizations/{org_id}/webhooks", data={"csrf_token": csrf, "url": "http://127.0.0.1:9/"}
    )
    assert none_chosen.status_code == 422 and "events" in none_chosen.text

    down = Receiver(free_port())
    added = client.post(
        f"/organizations/{org_id}/webhooks",
        data={"csrf_token": csrf, "url": down.url, "events": ["job.finished", "project.finished"]},
    )
    assert added.status_code == 201, added.text
    secret = re.search(r"<code>(whsec_[^<]+)</code>", added.text)
    assert secret is not None
    [hook] = owner.get(f"/api/organizations/{org_id}/webhooks").json()
    assert hook["events"] == ["job.finished", "project.finished"]
    listed = client.get(f"/organizations/{org_id}/webhooks").text
    assert secret.group(1) not in listed and f"…{secret.group(1)[-4:]}" in listed

    recompute(owner, project["id"])
    wait_for_attempts(owner, hook["id"], 1)
    attempts = client.get(f"/webhooks/{hook['id']}")
    assert attempts.status_code == 200 and inline_code(attempts.text) == []
    assert "job.finished" in attempts.text and "could not connect" in attempts.text

    tested = client.post(f"/webhooks/{hook['id']}/test", data={"csrf_token": csrf})
    assert tested.status_code == 200 and "webhook.test" in tested.text  # after the redirect
    assert deliveries(owner, hook["id"])[0]["event_type"] == "webhook.test"

    viewer = factory.user(org_id=org_id, role="viewer")
    sign_in(client, viewer.email)
    seen = client.get(f"/organizations/{org_id}/webhooks").text
    assert down.url in seen and "Add a receiver" not in seen
    removed = client.post(f"/webhooks/{hook['id']}/delete", data={"csrf_token": page_csrf(client)})
    assert removed.status_code == 403
    stranger, _ = factory.owner()
    sign_in(client, stranger.email)
    assert client.get(f"/webhooks/{hook['id']}").status_code == 404
