"""The client flow in a real browser: build a project, import a file with a bad line, see
the error, retry skipping it, watch the dashboard, and download a JSONL export."""

import json
from pathlib import Path

import pytest

from tests.browser.conftest import Session
from tests.factories import Factory

pytestmark = pytest.mark.browser


def test_owner_builds_imports_watches_and_exports(
    session: Session, factory: Factory, tmp_path: Path
) -> None:
    owner, _org_id = factory.owner()
    page, base = session.page, session.base_url
    session.sign_in(owner)
    page.click("text=Client projects")
    page.click("text=New project")
    page.fill("#f-name", "Support tickets")
    page.fill("#f-guidelines", "# Rules\nRead the whole ticket.")
    page.select_option("#f-status", "active")
    page.fill("#q-0-name", "sentiment")
    page.fill("#q-0-labels", "positive\nnegative")
    page.click("text=Add a question")
    page.fill("#q-1-name", "stars")
    page.select_option("#q-1-type", "rating")
    assert page.is_visible("#q-1-max") and not page.is_visible("#q-1-labels")
    page.locator("[data-question]").nth(1).locator("[data-remove-question]").click()
    session.screenshot("builder")
    page.click("text=Create project")
    page.wait_for_selector("#item-counts")
    project_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    stored = owner.get(f"/api/projects/{project_id}").json()
    assert [(q["name"], q["type"]) for q in stored["questions"]] == [("sentiment", "label")]

    rows = [
        {"external_id": "t1", "text": "Great service"},
        {"external_id": "t2", "text": "Slow answer"},
        {"external_id": "", "text": "no id"},
        {"external_id": "t4", "text": "Fine"},
    ]
    upload = tmp_path / "tickets.jsonl"
    upload.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    page.click("nav >> text=Import")
    page.set_input_files("#import-file", str(upload))
    # Chromium logs every 4xx response; this one is the rejection the test asks for.
    session.allow_console(r"status of 422 .*/imports\?format=jsonl&skip_invalid=false")
    page.click("text=Upload")
    page.wait_for_selector("[data-report=rejected]")
    bad = page.locator("#import-report li")
    assert bad.count() == 1
    assert bad.first.get_attribute("data-line") == "3"
    assert "Line 3" in bad.first.inner_text()
    session.screenshot("import-rejected")
    assert owner.get(f"/api/projects/{project_id}/counts").json()["items"] == 0
    page.click("[data-retry=skip]")
    page.wait_for_selector("[data-report=done]")
    assert "Created 3, updated 0, skipped 1." in page.inner_text("[data-report=done]")
    session.screenshot("import-done")

    worker = factory.worker()
    taken = worker.post(f"/api/projects/{project_id}/assignments/next").json()["assignment"]
    submitted = worker.post(
        f"/api/assignments/{taken['id']}/submit",
        json={"answers": {"sentiment": "positive"}, "time_spent_ms": 2500},
    )
    assert submitted.status_code == 201, submitted.text
    page.click("text=See the dashboard")
    page.wait_for_selector("#item-counts")
    assert page.inner_text("[data-count=items]") == "3"
    assert page.inner_text("[data-count=done]") == "1"
    assert page.inner_text("[data-count=new]") == "2"
    pseudonym = worker.get("/api/me").json()["pseudonym"]
    assert pseudonym in page.inner_text("#workers")
    assert page.locator("figure.chart svg rect").count() == 1
    session.screenshot("dashboard")

    page.click("nav >> text=Export")
    page.check("#format-jsonl")
    session.screenshot("export")
    with page.expect_download() as download_info:
        page.click("text=Download")
    saved = tmp_path / "export.jsonl"
    download_info.value.save_as(saved)
    lines = [json.loads(line) for line in saved.read_text().splitlines() if line.strip()]
    by_id = {line["item"]["external_id"]: line for line in lines}
    assert sorted(by_id) == ["t1", "t2", "t4"]
    labelled = [line for line in lines if line["annotations"]]
    assert len(labelled) == 1
    assert labelled[0]["status"] == "done"
    assert labelled[0]["annotations"][0]["answers"] == {"sentiment": "positive"}
    assert labelled[0]["annotations"][0]["worker"] == pseudonym
    assert {line["status"] for line in lines if not line["annotations"]} == {"new"}
    assert by_id["t1"]["item"]["fields"] == {"text": "Great service"}
    assert page.url.startswith(base)
