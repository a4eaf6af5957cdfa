"""Stored XSS, tried as an attacker would: script payloads (an <img onerror>, a tag-breaking
"><script>, javascript: links, Markdown with raw HTML and an <iframe>) go through the real
API into every text a person can set: the organization's and people's names, the project's
name, description, guidelines, question prompts, choice labels and rejection reasons, item
fields, review comments, appeals and their decisions, feedback and its answer, a sanction's
evidence, a bonus's reason, a notice, a profile, a qualification claim, the terms, worker
representatives and consultations, a pay floor. Then each person opens every page that
shows them, the labelling and review workspaces included.

On every page: no dialog opens and no Content-Security-Policy violation is reported (a
listener installed before any page script runs), no element carries an inline handler, a
javascript: address or a frame, and the payload reads as the text it is. The last step
proves that the listeners hear: a handler and a script injected into the page are blocked
by the policy and reported, and still no dialog opens."""

import json
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Dialog, Page

from fairlabel.auth import service as auth_service
from fairlabel.db import utcnow
from fairlabel.organizations import service as org_service
from tests.browser.conftest import Session
from tests.factories import PASSWORD, Account, Factory

pytestmark = pytest.mark.browser

PAYLOAD = '<img src=x onerror=alert(1)>"><script>alert(1)</script>'
#: Markdown's own ways in: a javascript: link in both syntaxes, raw HTML, a frame, an image.
MARKDOWN_TRAPS = [
    "[click me](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "![pic](javascript:alert(1))",
    "<svg onload=alert(1)>",
]


def evil(tag: str) -> str:
    """The payload, marked with where it was stored, so that a page can be checked for it."""
    return f"{tag}:{PAYLOAD}"


def evil_markdown(tag: str) -> str:
    return "\n\n".join([evil(tag), *MARKDOWN_TRAPS])


GUIDELINES = f"# {evil('gtitle')}\n\n{evil_markdown('guide')}\n\n## {evil('section')}\n\nMore."
QUESTIONS = [
    {
        "name": "sentiment",
        "type": "label",
        "prompt": evil("prompt"),
        "settings": {"labels": [evil("labA"), evil("labB")]},
    },
    {"name": "note", "type": "text", "prompt": evil("prompt2"), "required": False},
]
LISTENERS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.flViolation(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}`);
});
"""
#: Anything in the page (shadow roots too) that runs script or frames another page.
INLINE_CODE = """() => {
  const found = [];
  const urls = ["href", "src", "action", "formaction", "xlink:href", "data"];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      for (const attr of el.attributes) {
        if (attr.name.startsWith("on")) found.push(`${el.tagName} ${attr.name}`);
        if (urls.includes(attr.name) && /^\\s*(javascript|vbscript):/i.test(attr.value)) {
          found.push(`${el.tagName} ${attr.name}=${attr.value}`);
        }
      }
      if (["IFRAME", "FRAME", "OBJECT", "EMBED"].includes(el.tagName)) found.push(el.tagName);
      if (el.tagName === "SCRIPT" && !el.src) found.push("an inline script");
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return found;
}"""
FORM_VALUES = """() => [...document.querySelectorAll("input, textarea, option")]
  .map((el) => el.tagName === "OPTION" ? el.textContent : el.value)"""


@dataclass
class Guard:
    """What the page's dialogs and policy violations said, since the listeners went in."""

    dialogs: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def on_violation(self, what: str) -> None:
        self.violations.append(what)

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def guard(session: Session) -> Guard:
    watched = Guard()
    session.page.on("dialog", watched.on_dialog)
    session.page.expose_function("flViolation", watched.on_violation)
    session.page.add_init_script(LISTENERS)
    return watched


def check_page(page: Page, watched: Guard, tags: list[str], values: tuple[str, ...] = ()) -> None:
    """`tags`: payloads the page shows as text; `values`: those its form fields hold."""
    where = page.url
    assert page.evaluate(INLINE_CODE) == [], where
    shown = page.locator("body").inner_text()
    missing = [tag for tag in tags if evil(tag) not in shown]
    assert missing == [], f"{where}: not shown as text: {missing}"
    held = "\n".join(page.evaluate(FORM_VALUES))
    missing = [tag for tag in values if evil(tag) not in held]
    assert missing == [], f"{where}: not in the form fields: {missing}"
    assert watched.dialogs == [], where
    assert watched.violations == [], where


def visit(
    session: Session, watched: Guard, path: str, tags: list[str], values: tuple[str, ...] = ()
) -> None:
    session.page.goto(f"{session.base_url}{path}")
    session.page.wait_for_load_state("networkidle")
    check_page(session.page, watched, tags, values)


# --- the stored payloads, through the API --------------------------------------------------


@dataclass
class World:
    operator: Account
    owner: Account
    worker: Account
    reviewer: Account
    project_id: int
    test_id: int


def person(factory: Factory, tag: str, **kind: Any) -> Account:
    """A user whose display name is a payload, with an API token."""
    n = factory._next()
    email = f"{tag}{n}@example.org"
    with factory.database.session() as db:
        user = auth_service.create_user(db, email, PASSWORD, evil(tag), **kind)
        _token, secret = auth_service.create_token(db, user, "test")
        return Account(factory.client, user.id, email, secret)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def client_side(factory: Factory, operator: Account) -> tuple[Account, int]:
    """An organization and its owner, both named with payloads; a funded project."""
    org = ok(operator.post("/api/organizations", json={"name": evil("org"), "slug": "evil"}), 201)
    owner = person(factory, "owner")
    with factory.database.session() as db:
        org_service.add_member(db, org["id"], owner.email, "owner")
    body = {
        "organization_id": org["id"],
        "name": evil("pname"),
        "description": evil("pdesc"),
        "guidelines": GUIDELINES,
        "questions": QUESTIONS,
        "workflow": [{"stage": "review"}],
        "rejection_reasons": [{"code": "bad", "label": evil("reason")}],
        "status": "draft",
        "rates": {"label": 50, "review": 20},
        "estimated_seconds": 60,
    }
    project = ok(owner.post("/api/projects", json=body), 201)
    url = f"/api/projects/{project['id']}"
    ok(owner.post(f"{url}/funding", json={"amount_minor": 10_000, "currency": "USD"}), 201)
    ok(owner.patch(url, json={"status": "active"}))
    rows = [
        {"external_id": f"e{n}", "fields": {"text": evil_markdown("item"), "extra": evil("field")}}
        for n in range(5)
    ]
    jsonl = "\n".join(json.dumps(row) for row in rows).encode()
    ok(owner.post(f"{url}/imports", content=jsonl, params={"format": "jsonl"}), 201)
    return owner, project["id"]


def label_three(worker: Account, project_id: int) -> None:
    for _ in range(3):
        leased = ok(worker.post(f"/api/projects/{project_id}/assignments/next"))["assignment"]
        answers = {"sentiment": evil("labA"), "note": evil("answer")}
        submitted = {"answers": answers, "time_spent_ms": 30_000}
        ok(worker.post(f"/api/assignments/{leased['id']}/submit", json=submitted), 201)


def reject_two(reviewer: Account, project_id: int) -> list[int]:
    """Two rejections citing the payload reason and section, with payload comments."""
    ids = []
    for _ in range(2):
        task = ok(reviewer.post(f"/api/projects/{project_id}/reviews/next"))["task"]
        verdict = {
            "verdict": "reject",
            "reason_code": "bad",
            "guideline_ref": evil("section"),
            "comment": evil("comment"),
        }
        url = f"/api/assignments/{task['assignment']['id']}/verdict"
        ids.append(ok(reviewer.post(url, json=verdict), 201)["id"])
    return ids


def due_process(world: World, review_ids: list[int]) -> None:
    """Appeals (one decided), feedback (one answered), a warning, a bonus and a notice."""
    worker, operator = world.worker, world.operator
    appeals = [
        ok(worker.post("/api/appeals", json=body), 201)
        for body in (
            {"subject_kind": "review", "subject_id": review_ids[0], "statement": evil("appeal")},
            {"subject_kind": "review", "subject_id": review_ids[1], "statement": evil("appeal2")},
        )
    ]
    decision = {"outcome": "denied", "reason": evil("decision")}
    ok(operator.post(f"/api/appeals/{appeals[1]['id']}/decision", json=decision))
    asked = ok(worker.post("/api/me/feedback", json={"body": evil("asked")}), 201)
    ok(worker.post("/api/me/feedback", json={"body": evil("feedback")}), 201)
    ok(operator.post(f"/api/feedback/{asked['id']}/answer", json={"answer": evil("reply")}))
    reason = ok(operator.get("/api/sanction-reasons"))[0]["code"]
    warning = {"worker_id": worker.user_id, "kind": "warning", "reason_code": reason}
    ok(operator.post("/api/sanctions", json=warning | {"evidence": evil("evidence")}), 201)
    project_url = f"/api/projects/{world.project_id}"
    bonus = {"worker_id": worker.user_id, "amount_minor": 25, "reason": evil("bonus")}
    ok(world.owner.post(f"{project_url}/bonuses", json=bonus), 204)
    ends = (utcnow() + timedelta(days=30)).isoformat()
    notice = {"effective_at": ends, "message": evil("notice")}
    ok(world.owner.post(f"{project_url}/notices", json=notice), 201)


def worker_texts(worker: Account) -> None:
    profile = {"country": "KE", "payout_reference": evil("payout")}
    ok(worker.put("/api/me/profile", json=profile))
    claim = {"name": "medicine", "level": 1, "evidence": evil("claim")}
    ok(worker.post("/api/me/qualifications", json=claim), 201)


def platform_texts(operator: Account) -> None:
    terms = {"title": evil("ttitle"), "body": evil_markdown("terms")}
    ok(operator.post("/api/terms", json=terms), 201)
    rep = {"name": evil("rep"), "kind": "association", "contact": evil("contact")}
    representative = ok(operator.post("/api/governance/representatives", json=rep), 201)
    consultation = {
        "topic": "pay_floor",
        "held_on": utcnow().date().isoformat(),
        "summary": evil("summary"),
        "outcome": evil("outcome"),
        "representative_ids": [representative["id"]],
    }
    ok(operator.post("/api/governance/consultations", json=consultation), 201)
    floor = {"name": evil("floor"), "currency": "KES", "hourly_minor": 100, "notes": evil("fnote")}
    ok(operator.put("/api/pay/floors/KE", json=floor))


def qualification_test(owner: Account, project_id: int) -> int:
    """A test of one item nobody has labelled, its known answer the first label."""
    items = ok(owner.get(f"/api/projects/{project_id}/items"))["items"]
    labelled = {
        a["item_id"]
        for a in ok(owner.get(f"/api/projects/{project_id}/annotations"))["annotations"]
    }
    free = [item["id"] for item in items if item["id"] not in labelled]
    ok(owner.put(f"/api/items/{free[0]}/gold", json={"answers": {"sentiment": evil("labA")}}))
    body = {
        "qualification": "sentiment",
        "item_ids": [free[0]],
        "cooldown_hours": 0,
        "guideline_sections": {"sentiment": evil("section")},
    }
    return int(
        ok(owner.post(f"/api/projects/{project_id}/qualification-tests", json=body), 201)["id"]
    )


def stored_everywhere(factory: Factory) -> World:
    operator = person(factory, "operator", is_operator=True)
    owner, project_id = client_side(factory, operator)
    worker = person(factory, "worker", is_worker=True, worker_country="KE")
    reviewer = person(factory, "reviewer", is_worker=True, worker_country="KE")
    label_three(worker, project_id)
    review_ids = reject_two(reviewer, project_id)
    world = World(operator, owner, worker, reviewer, project_id, 0)
    due_process(world, review_ids)
    worker_texts(worker)
    platform_texts(operator)
    world.test_id = qualification_test(owner, project_id)
    return world


def switch_to(session: Session, account: Account) -> None:
    session.page.context.clear_cookies()
    session.sign_in(account)


# --- the pages ----------------------------------------------------------------------------


def test_a_worker_sees_every_stored_payload_as_text_and_no_script_runs(
    session: Session, factory: Factory
) -> None:
    world = stored_everywhere(factory)
    watched = guard(session)
    switch_to(session, world.worker)
    pid = world.project_id
    visit(session, watched, "/", ["worker", "pname", "pdesc", "prompt"])
    visit(session, watched, f"/projects/{pid}/guidelines", ["gtitle", "guide", "section"])
    visit(session, watched, "/history", ["reason", "section", "comment"])
    visit(session, watched, "/appeals", ["decision", "notice", "asked", "reply", "feedback"])
    visit(session, watched, "/audit", ["pname", "section", "evidence", "decision", "notice"])
    visit(session, watched, "/earnings", ["bonus"])
    visit(session, watched, "/profile", [], values=("payout",))
    visit(session, watched, "/terms", ["ttitle", "terms"])
    visit(session, watched, "/governance", ["rep", "contact", "summary", "outcome"])
    visit(session, watched, "/me/content", [])
    visit(session, watched, "/pay/floors", ["floor"])
    workspace(session, watched, pid)
    qualification_page(session, watched, world.test_id)


def workspace(session: Session, watched: Guard, project_id: int) -> None:
    """The labelling workspace: the item's Markdown, the prompts, the labels, the guidelines
    beside it (a rejected item comes back first, as paid rework with the reviewer's words)."""
    session.open_workspace(project_id)
    page = session.page
    page.wait_for_selector(".fl-task")
    page.wait_for_load_state("networkidle")
    check_page(page, watched, ["pname", "prompt", "labA", "labB", "item", "field", "section"])
    if page.locator(".fl-rework").count():
        check_page(page, watched, ["comment"])
    assert page.locator(".fl-markdown a").count() == 0  # no javascript: link became a link


def qualification_page(session: Session, watched: Guard, test_id: int) -> None:
    """The test's items and labels, then the missed item with the section to read."""
    visit(session, watched, f"/qualification-tests/{test_id}", ["pname"])
    session.page.get_by_role("button", name="Start the test").click()
    session.page.wait_for_load_state("networkidle")
    check_page(session.page, watched, ["pname", "prompt", "labA", "labB", "item"])
    session.page.get_by_label(evil("labB")).check()
    session.page.get_by_role("button", name="Submit answers").click()
    session.page.wait_for_load_state("networkidle")
    check_page(session.page, watched, ["item", "section"])
    assert "Not passed" in session.page.locator("#result").inner_text()


def test_the_client_and_the_reviewer_see_them_as_text_too(
    session: Session, factory: Factory
) -> None:
    world = stored_everywhere(factory)
    watched = guard(session)
    pid = world.project_id
    switch_to(session, world.owner)
    visit(session, watched, "/projects", ["owner", "org", "pname"])
    for page in ("", "/import", "/export", "/gold", "/quality", "/guidelines"):
        visit(session, watched, f"/projects/{pid}{page}", ["pname"])
    builder(session, watched, pid)

    switch_to(session, world.reviewer)
    review_workspace(session, watched, pid)


def builder(session: Session, watched: Guard, project_id: int) -> None:
    """The project form holds each payload as a value, in its fields, never as markup."""
    held = ("pname", "pdesc", "prompt", "labA", "labB", "reason", "section")
    visit(session, watched, f"/projects/{project_id}/edit", ["owner"], values=held)


def review_workspace(session: Session, watched: Guard, project_id: int) -> None:
    """The third item's answers as the reviewer sees them, and the reject form's choices."""
    page = session.page
    page.goto(f"{session.base_url}/projects/{project_id}/review?stage=review")
    page.wait_for_selector(".fl-review-task")
    page.wait_for_load_state("networkidle")
    check_page(page, watched, ["pname", "prompt", "labA", "item", "field"], values=("answer",))
    page.get_by_role("button", name="Reject").click()
    page.locator("form.fl-reject").wait_for()
    check_page(page, watched, [], values=("reason", "section"))


def test_the_operator_sees_them_as_text_and_the_listeners_do_hear(
    session: Session, factory: Factory
) -> None:
    world = stored_everywhere(factory)
    watched = guard(session)
    switch_to(session, world.operator)
    visit(session, watched, "/operator", ["operator", "appeal", "feedback"])
    visit(session, watched, "/projects", ["org", "pname"])
    visit(session, watched, "/pay/payouts", [])
    visit(session, watched, "/pay/floors", ["floor"])
    visit(session, watched, "/reports/fairwork", [])
    visit(session, watched, "/terms", ["ttitle", "terms"])
    visit(session, watched, "/governance", ["rep", "summary"])

    session.allow_console(r"Executing inline (event handler|script) violates the following Content")
    session.page.evaluate(
        """() => {
          const image = document.createElement("img");
          image.setAttribute("onerror", "alert('handler')");
          image.src = "data:,";
          document.body.append(image);
          const script = document.createElement("script");
          script.textContent = "alert('script')";
          document.body.append(script);
        }"""
    )
    deadline = time.monotonic() + 5
    while len(watched.violations) < 2 and time.monotonic() < deadline:
        session.page.wait_for_timeout(50)
    directives = sorted(v.split()[0] for v in watched.violations)
    assert directives == ["script-src-attr", "script-src-elem"], watched.violations
    assert watched.dialogs == []
