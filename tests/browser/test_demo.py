"""The demo as a newcomer meets it: sign in with a printed login and label one item of
every demo project by keyboard, then see each answer stored."""

from typing import Any

from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.demo.chat import CHAT_PROJECT
from fairlabel.demo.seed import DEMO_PASSWORD, DEMO_WORKERS, seed_demo
from tests.browser.conftest import Session
from tests.factories import Factory

#: Keys that answer each demo project's required questions; the shapes project arrives
#: pre-filled with the detector's boxes, which the worker accepts as they are.
KEYS = {
    "Support tickets: triage and entities": ["1", "2"],
    "Shapes: detect objects": [],
    "Assistant replies: compare": ["1"],
}


def test_a_newcomer_labels_every_demo_project(
    session: Session, database: Database, settings: Settings, factory: Factory
) -> None:
    with database.session() as db:
        seed_demo(db, settings, images=4, tickets=12, comparisons=4)
    operator = factory.user(operator=True)
    projects = {p["name"]: p["id"] for p in operator.get("/api/projects").json()}
    assert set(projects) == set(KEYS) | {CHAT_PROJECT}  # the chat one: test_demo_chat.py
    page = session.page
    page.goto(f"{session.base_url}/login")
    page.fill("#email", DEMO_WORKERS[0][0])
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{session.base_url}/")
    for name, keys in KEYS.items():
        page.goto(f"{session.base_url}/")
        page.get_by_role("article").filter(has_text=name).get_by_role(
            "link", name="Start labelling"
        ).click()
        page.wait_for_selector(".fl-task")
        item = session.current_item()
        for key in keys:
            page.keyboard.press(key)
        session.screenshot(name.split(":")[0].lower().replace(" ", "-"))
        page.keyboard.press("Enter")
        session.wait_for_next_item(item)
        stored = _annotations(operator, projects[name])
        assert [a["item_id"] for a in stored] == [item], (name, stored)


def _annotations(operator: Any, project_id: int) -> list[dict[str, Any]]:
    body = operator.get(f"/api/projects/{project_id}/annotations").json()
    annotations: list[dict[str, Any]] = body["annotations"]
    return annotations
