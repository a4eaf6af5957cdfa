"""Browser tests: Playwright drives Debian's Chromium against a real uvicorn server.

They need the built workspace bundle (`make frontend`); without it every test here is
skipped with that reason, never silently. Each page records console errors and uncaught
exceptions, and a test fails at teardown if any were logged."""

import io
import json
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, sync_playwright

from fairlabel.web.service import workspace_bundle
from tests.factories import PASSWORD, Account, Factory

CHROMIUM = os.environ.get("FAIRLABEL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
#: Long enough for a slow CI machine, short enough that a broken page fails quickly.
TIMEOUT_MS = 10_000


@pytest.fixture(autouse=True)
def _needs_bundle() -> None:
    if workspace_bundle() is None:
        pytest.skip(
            "the workspace bundle is not built: run `make frontend` "
            "(cd frontend && npm ci && npm run build)"
        )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Session:
    """One browser context (its own cookies) with the helpers the tests share."""

    page: Page
    base_url: str
    shots: Path
    problems: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def sign_in(self, account: Account) -> None:
        self.page.goto(f"{self.base_url}/login")
        self.page.fill("#email", account.email)
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{self.base_url}/")

    def open_workspace(self, project_id: int) -> None:
        self.page.goto(f"{self.base_url}/projects/{project_id}/work")
        self.page.wait_for_selector(".fl-task, .fl-empty")

    def screenshot(self, name: str) -> Path:
        """Saved under the test's own output folder, for a person to look at."""
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def allow_console(self, pattern: str) -> None:
        """An expected console error (a test that makes a file go missing on purpose)."""
        self.allowed.append(re.compile(pattern))

    def current_item(self) -> int:
        return int(self.page.get_attribute(".fl-task", "data-item") or 0)

    def wait_for_next_item(self, previous: int) -> None:
        self.page.wait_for_function(
            "previous => { const t = document.querySelector('.fl-task');"
            " return t === null || Number(t.dataset.item) !== previous; }",
            arg=previous,
        )

    def wait_saved(self) -> None:
        self.page.wait_for_selector(".fl-save[data-state=saved]")

    def wait_prefetched(self) -> str:
        """Wait until the next assignment is leased behind the one on screen (or there is
        none to lease); its id, or "none"."""
        task = self.page.locator(".fl-task:not([data-prefetch=pending])")
        task.wait_for()
        return task.get_attribute("data-prefetch") or ""

    def _record(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text} ({message.location})")

    def _record_exception(self, error: Error) -> None:
        self.problems.append(f"uncaught exception: {error}")

    def unexpected_problems(self) -> list[str]:
        return [p for p in self.problems if not any(a.search(p) for a in self.allowed)]


@pytest.fixture
def session(browser: Browser, live_server: str, tmp_path: Path) -> Iterator[Session]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    shots = tmp_path / "screenshots"
    shots.mkdir()
    opened = Session(page, live_server, shots)
    page.on("console", opened._record)
    page.on("pageerror", opened._record_exception)
    yield opened
    context.close()
    problems = opened.unexpected_problems()
    assert not problems, "the pages logged errors:\n" + "\n".join(problems)


@dataclass
class Team:
    """An owner with a project open for work, and a worker to do it."""

    owner: Account
    worker: Account
    project_id: int

    def import_items(self, rows: list[dict[str, Any]]) -> list[int]:
        body = "\n".join(json.dumps(row) for row in rows).encode()
        response = self.owner.post(
            f"/api/projects/{self.project_id}/imports", content=body, params={"format": "jsonl"}
        )
        assert response.status_code == 201, response.text
        items = self.owner.get(f"/api/projects/{self.project_id}/items").json()
        return [item["id"] for item in items["items"]]

    def annotations(self) -> list[dict[str, Any]]:
        response = self.owner.get(f"/api/projects/{self.project_id}/annotations")
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["annotations"]
        return found

    def answers_for(self, item_id: int) -> dict[str, Any]:
        matching = [a for a in self.annotations() if a["item_id"] == item_id]
        assert len(matching) == 1, matching
        answers: dict[str, Any] = matching[0]["answers"]
        return answers

    def exported_answers(self, item_id: int) -> dict[str, Any]:
        """The item's one annotation as the project's JSONL export writes it."""
        response = self.owner.get(
            f"/api/projects/{self.project_id}/export", params={"format": "jsonl"}
        )
        assert response.status_code == 200, response.text
        lines = [json.loads(line) for line in response.text.splitlines() if line]
        (record,) = [r for r in lines if r["item"]["id"] == item_id]
        (annotation,) = record["annotations"]
        answers: dict[str, Any] = annotation["answers"]
        return answers

    def stored_answers(self, item_id: int) -> dict[str, Any]:
        """The answers through the API, checked to be the same in the export."""
        answers = self.answers_for(item_id)
        assert self.exported_answers(item_id) == answers
        return answers

    def dataset_rows(self, fmt: str, folder: Path) -> list[dict[str, Any]]:
        """The project's `fmt` Parquet export as Hugging Face `datasets` loads it: the zip
        unpacked as a folder, its dataset card's config and train split read."""
        response = self.owner.get(f"/api/projects/{self.project_id}/export", params={"format": fmt})
        assert response.status_code == 200, response.text
        zipfile.ZipFile(io.BytesIO(response.content)).extractall(folder / fmt)
        loaded = datasets.load_dataset(str(folder / fmt), cache_dir=str(folder / "hf-cache"))
        rows: list[dict[str, Any]] = loaded["train"].to_list()
        return rows

    def suggest(self, suggestions: list[dict[str, Any]]) -> None:
        response = self.owner.post(f"/api/projects/{self.project_id}/suggestions", json=suggestions)
        assert response.status_code == 201, response.text


@pytest.fixture
def make_team(factory: Factory) -> Any:
    def make(questions: list[dict[str, Any]], **project: Any) -> Team:
        owner, org_id = factory.owner()
        created = factory.project(owner, org_id, questions=questions, **project)
        return Team(owner, factory.worker(), created["id"])

    return make
