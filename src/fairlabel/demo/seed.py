"""`fairlabel demo`: an organization, an owner, three workers, and three active projects built
from generated data: shape scenes (boxes, with a model's suggested boxes), support tickets
(classification, rating and entities, with hidden gold tickets, suggested categories and a
review stage), and assistant replies (pairwise preference, issue labels, a comment).
Each project is paid above every shipped pay floor and funded before it is activated.
Platform terms, a workers' association and its consultation on the pay floors come first.

With a `history` scale, all of it happens on a simulated clock a month ago, with a fourth
project (safety reports, a declared content risk), and then the month is lived through
the services by a simulated workforce (demo/history.py). Seeding twice changes nothing:
the second run only reprints the logins."""

import io
import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.assist import service as assist_service
from fairlabel.auth import service as auth_service
from fairlabel.config import Settings
from fairlabel.db import SimulatedClock, simulated_time
from fairlabel.demo import chat as demo_chat
from fairlabel.demo import governance as demo_governance
from fairlabel.demo import history
from fairlabel.demo import pay as demo_pay
from fairlabel.demo.history import Seeded
from fairlabel.demo.replies import ISSUES, Comparison, generate_comparisons
from fairlabel.demo.safety import RISK, ROUTES, SafetyReport, generate_reports
from fairlabel.demo.scenes import SHAPE_LABELS, Scene, generate_scenes
from fairlabel.demo.tickets import CATEGORIES, ENTITY_LABELS, PRIORITIES, Ticket, generate_tickets
from fairlabel.demo.workforce import SIMULATED_EMAILS
from fairlabel.items import service as item_service
from fairlabel.models import Project, User
from fairlabel.organizations import service as org_service
from fairlabel.projects import service as project_service
from fairlabel.projects.schemas import ProjectCreate, QuestionIn, WorkflowStage

DEMO_SLUG = "demo"
DEMO_PASSWORD = "fairlabel-demo"
DEMO_OWNER = ("owner@demo.fairlabel.org", "Olu Owner")
DEMO_OPERATOR = ("operator@demo.fairlabel.org", "Oda Operator")
DEMO_WORKERS = (
    ("amina@demo.fairlabel.org", "Amina", "KE"),
    ("ravi@demo.fairlabel.org", "Ravi", "IN"),
    ("maria@demo.fairlabel.org", "Maria", "PH"),
)
SHAPES_GUIDELINES = """# Shapes: draw a box around every shape

1. Draw one box per shape, tight to its visible edges.
2. Label it **circle**, **square** or **triangle**.
3. Ignore the background texture.
"""
TICKETS_GUIDELINES = """# Support tickets: triage

## Category
What the customer needs: billing, shipping, account, technical or refund. A request for
money back is a refund, even when it is about a charge or a parcel.

## Priority
How urgent it reads, from 1 (can wait) to 4 (urgent: a security problem, or a customer
who cannot use what they paid for).

## Entities
Mark products, order ids, people, dates and amounts of money. Mark the whole entity and
nothing around it.
"""


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


def demo_logins(db: Session) -> list[DemoLogin]:
    """The people, and the simulated workforce's first and last account if it has one."""
    owner = DemoLogin("owner", DEMO_OWNER[0], DEMO_PASSWORD)
    operator = DemoLogin("operator (payouts, appeals, report)", DEMO_OPERATOR[0], DEMO_PASSWORD)
    logins = [owner, operator] + [
        DemoLogin(f"worker ({country})", email, DEMO_PASSWORD)
        for email, _name, country in DEMO_WORKERS
    ]
    simulated = sorted(db.scalars(select(User.email).where(User.email.like(SIMULATED_EMAILS))))
    if simulated:
        last = simulated[-1].split("@")[0]
        role = f"simulated worker (1 of {len(simulated)}, up to {last})"
        logins.append(DemoLogin(role, simulated[0], DEMO_PASSWORD))
    return logins


def seed_demo(
    db: Session,
    settings: Settings,
    *,
    images: int = 24,
    tickets: int = 120,
    comparisons: int = 40,
    seed: int = 7,
    history_scale: history.Scale | None = None,
    chat_model: demo_chat.DemoModel | None = None,
    replay: str = demo_chat.replay_url("127.0.0.1", 8000),
) -> list[DemoLogin]:
    """The demo as of now, or (with `history_scale`) as a month of simulated work left it;
    the item counts are then those the history needs, leaving work for a newcomer. The
    chat project comes last (at the history's end), its replay endpoints at `replay`."""
    existing = org_service.organization_by_slug(db, DEMO_SLUG)
    if existing is not None:
        demo_chat.repoint_replay(db, existing.id, replay)
        return demo_logins(db)
    model = chat_model if chat_model is not None else demo_chat.DemoModel()
    if history_scale is None:
        seeded = _seed(db, settings, Sizes(images, tickets, comparisons), seed)
        demo_chat.seed_chat(db, seeded.organization_id, seeded.owner, seeded.workers, model, replay)
        return demo_logins(db)
    clock = SimulatedClock(history.start_of(history_scale))
    with simulated_time(clock):
        sizes = Sizes(images, **history.items_needed(history_scale))
        seeded = _seed(db, settings, sizes, seed)
        history.live(db, settings, seeded, history_scale, clock, seed, DEMO_PASSWORD)
        demo_chat.seed_chat(db, seeded.organization_id, seeded.owner, seeded.workers, model, replay)
    return demo_logins(db)


@dataclass(frozen=True, slots=True)
class Sizes:
    """Items per demo project; no safety project without a history."""

    images: int
    tickets: int
    comparisons: int
    reports: int = 0


def _seed(db: Session, settings: Settings, sizes: Sizes, seed: int) -> Seeded:
    organization = org_service.create_organization(db, "Demo Robotics", DEMO_SLUG)
    owner = auth_service.create_user(db, DEMO_OWNER[0], DEMO_PASSWORD, DEMO_OWNER[1])
    org_service.add_member(db, organization.id, owner.email, "owner")
    operator = auth_service.create_user(
        db, DEMO_OPERATOR[0], DEMO_PASSWORD, DEMO_OPERATOR[1], is_operator=True
    )
    workers = [
        auth_service.create_user(db, email, DEMO_PASSWORD, name, worker_country=country)
        for email, name, country in DEMO_WORKERS
    ]
    association = demo_governance.prepare(db, settings, operator)
    demo_pay.prepare(db)
    seeded = Seeded(organization.id, owner, operator, workers, association.id)
    seeded.projects["shapes"] = _seed_shapes(
        db, settings, organization.id, owner, sizes.images, seed
    )
    seeded.projects["tickets"], seeded.tickets = _seed_tickets(
        db, organization.id, owner, sizes.tickets, seed
    )
    seeded.projects["replies"], seeded.comparisons = _seed_replies(
        db, organization.id, owner, sizes.comparisons, seed
    )
    if sizes.reports:
        seeded.projects["safety"], seeded.reports = _seed_safety(
            db, organization.id, owner, sizes.reports, seed
        )
    counts = {"shapes": sizes.images, "tickets": sizes.tickets, "replies": sizes.comparisons}
    for kind, project in seeded.projects.items():
        demo_pay.fund_and_activate(db, project, owner, counts.get(kind, sizes.reports))
    return seeded


def _seed_shapes(
    db: Session, settings: Settings, organization_id: int, owner: User, count: int, seed: int
) -> Project:
    project = project_service.create_project(
        db,
        ProjectCreate(
            organization_id=organization_id,
            name="Shapes: detect objects",
            description="Draw a tight box around every circle, square and triangle.",
            questions=[
                QuestionIn(
                    name="objects",
                    type="bbox",
                    prompt="Box every shape",
                    settings={"field": "image", "labels": SHAPE_LABELS},
                )
            ],
            guidelines=SHAPES_GUIDELINES,
            **demo_pay.pay_settings("bbox"),
        ),
        owner,
    )
    rng = random.Random(seed)
    suggestions = []
    for number, scene in enumerate(generate_scenes(count, seed), start=1):
        item = item_service.import_media_file(
            db, settings, project, f"scene_{number:03d}.png", io.BytesIO(scene.png), "image/png"
        )
        boxes = _detector_boxes(scene, rng)
        suggestions.append(
            assist_service.suggestion_row(
                project.id, item.id, "objects", boxes, round(rng.uniform(0.6, 0.95), 2), DETECTOR
            )
        )
    assist_service.upsert(db, suggestions)
    return project


DETECTOR = "shape-detector-demo"


def _detector_boxes(scene: Scene, rng: random.Random) -> list[dict[str, object]]:
    """What a decent but imperfect detector would say: boxes a few pixels off, and now and
    then a shape missed, so that workers have something to fix."""
    boxes: list[dict[str, object]] = []
    for shape in scene.objects:
        if rng.random() < 0.15:
            continue
        dx, dy = rng.randint(-3, 3), rng.randint(-3, 3)
        x, y = max(0, shape.x + dx), max(0, shape.y + dy)
        width = min(shape.width + rng.randint(-3, 3), scene.width - x)
        height = min(shape.height + rng.randint(-3, 3), scene.height - y)
        boxes.append({"x": x, "y": y, "width": width, "height": height, "label": shape.label})
    return boxes


def _seed_tickets(
    db: Session, organization_id: int, owner: User, count: int, seed: int
) -> tuple[Project, dict[str, Ticket]]:
    project = project_service.create_project(
        db,
        ProjectCreate(
            organization_id=organization_id,
            name="Support tickets: triage and entities",
            description="Classify each ticket, rate its urgency and mark its entities.",
            questions=[
                QuestionIn(
                    name="category",
                    type="label",
                    prompt="What does the customer need?",
                    settings={"labels": CATEGORIES},
                ),
                QuestionIn(
                    name="urgency",
                    type="rating",
                    prompt="How urgent is it?",
                    settings={"min": 1, "max": len(PRIORITIES)},
                ),
                QuestionIn(
                    name="entities",
                    type="span",
                    prompt="Mark the entities",
                    required=False,
                    settings={"field": "text", "labels": ENTITY_LABELS},
                ),
            ],
            guidelines=TICKETS_GUIDELINES,
            overlap=2,
            workflow=[WorkflowStage(stage="review", sample_rate=0.5)],
            rework_hours=72,
            gold_rate=0.1,
            **demo_pay.pay_settings("label"),
        ),
        owner,
    )
    rng = random.Random(seed)
    truth: dict[str, Ticket] = {}
    rows = []
    for line, ticket in enumerate(generate_tickets(count, seed), start=1):
        row = _ticket_row(line, ticket, rng)
        truth[str(row["external_id"])] = ticket
        rows.append((line, row))
    item_service.import_rows(db, project, rows, skip_invalid=False)
    return project, truth


GOLD_TICKETS = 8


def _ticket_row(line: int, ticket: Ticket, rng: random.Random) -> dict[str, object]:
    """The first tickets are hidden gold; a keyword model suggests a category for the rest,
    right about four times in five."""
    row: dict[str, object] = {
        "external_id": f"ticket-{line:04d}",
        "fields": {"text": ticket.text},
        "priority": rng.randint(0, 2),
    }
    if line <= GOLD_TICKETS:
        row["gold"] = {
            "category": ticket.category,
            "urgency": PRIORITIES.index(ticket.priority) + 1,
            "entities": [
                {"start": e.start, "end": e.end, "label": e.label} for e in ticket.entities
            ],
        }
        return row
    guess = ticket.category if rng.random() < 0.8 else rng.choice(CATEGORIES)
    row["suggestions"] = [
        {
            "question": "category",
            "answer": guess,
            "score": round(rng.uniform(0.5, 0.9), 2),
            "agent": "keyword-model-demo",
        }
    ]
    return row


REPLIES_GUIDELINES = """# Assistant replies: which is better?

## Preference
Pick the reply that answers the question correctly, safely and to the point. Pick *tie* only
when both are equally good, *both bad* when neither should be shown to a user.

## Issues
Tick every issue of the **worse** reply: a factual error, vagueness, unsafe advice, or
wandering off topic.
"""


def _seed_replies(
    db: Session, organization_id: int, owner: User, count: int, seed: int
) -> tuple[Project, dict[str, Comparison]]:
    project = project_service.create_project(
        db,
        ProjectCreate(
            organization_id=organization_id,
            name="Assistant replies: compare",
            description="Read a short chat, pick the better of two replies and name the issues.",
            questions=[
                QuestionIn(
                    name="better",
                    type="pairwise",
                    prompt="Which reply is better?",
                    settings={"field": "responses"},
                ),
                QuestionIn(
                    name="issues",
                    type="multi_label",
                    prompt="Issues of the worse reply",
                    required=False,
                    settings={"labels": ISSUES},
                ),
                QuestionIn(name="why", type="text", prompt="Why? (optional)", required=False),
            ],
            guidelines=REPLIES_GUIDELINES,
            overlap=3,
            **demo_pay.pay_settings("pairwise"),
        ),
        owner,
    )
    truth: dict[str, Comparison] = {
        f"reply-{line:03d}": item
        for line, item in enumerate(generate_comparisons(count, seed), start=1)
    }
    rows = (
        (
            line,
            {
                "external_id": external_id,
                "fields": {"messages": item.messages, "responses": item.responses},
            },
        )
        for line, (external_id, item) in enumerate(truth.items(), start=1)
    )
    item_service.import_rows(db, project, rows, skip_invalid=False)
    return project, truth


SAFETY_GUIDELINES = """# Safety reports: who should handle it?

These are accounts of abuse and exploitation written by users. You see them because you
opted in; you can opt out at any time in your profile, and a daily cap limits how many you
are given. Take the breaks the workspace offers.

## Urgent safety
Someone is in danger now, is threatened, controlled or held against their will.

## Account security
An account was taken over, or someone is being defrauded or pressured into paying.

## Community moderation
Insults, harassment or images shared without consent, with nobody in immediate danger.
"""


def _seed_safety(
    db: Session, organization_id: int, owner: User, count: int, seed: int
) -> tuple[Project, dict[str, SafetyReport]]:
    project = project_service.create_project(
        db,
        ProjectCreate(
            organization_id=organization_id,
            name="Safety reports: route to the right team",
            description="Read a user's report of abuse or exploitation and route it.",
            questions=[
                QuestionIn(
                    name="route",
                    type="label",
                    prompt="Who should handle this report?",
                    settings={"labels": ROUTES},
                )
            ],
            guidelines=SAFETY_GUIDELINES,
            content_risks=[RISK],
            exposure_caps={RISK: SAFETY_DAILY_CAP},
            **demo_pay.pay_settings("label"),
        ),
        owner,
    )
    truth: dict[str, SafetyReport] = {
        f"safety-{line:04d}": report for line, report in enumerate(generate_reports(count, seed), 1)
    }
    rows = (
        (line, {"external_id": external_id, "fields": {"text": report.text}})
        for line, (external_id, report) in enumerate(truth.items(), start=1)
    )
    item_service.import_rows(db, project, rows, skip_invalid=False)
    return project, truth


#: Below the operator's default: a project may only lower it.
SAFETY_DAILY_CAP = 20
