"""`fairlabel demo`: an organization, an owner, three workers, and two active projects built
from generated data (shape scenes for boxes, support tickets for classification and NER).
Seeding twice changes nothing: the second run only reprints the logins."""

import io
import random
from dataclasses import dataclass

from sqlalchemy.orm import Session

from fairlabel.auth import service as auth_service
from fairlabel.config import Settings
from fairlabel.demo.scenes import SHAPE_LABELS, generate_scenes
from fairlabel.demo.tickets import CATEGORIES, ENTITY_LABELS, PRIORITIES, generate_tickets
from fairlabel.items import service as item_service
from fairlabel.models import Project, User
from fairlabel.organizations import service as org_service
from fairlabel.projects import service as project_service
from fairlabel.projects.schemas import ProjectCreate, QuestionIn

DEMO_SLUG = "demo"
DEMO_PASSWORD = "fairlabel-demo"
DEMO_OWNER = ("owner@demo.fairlabel.org", "Olu Owner")
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

1. **Category**: what the customer needs (billing, shipping, account, technical, refund).
2. **Priority**: how urgent it reads, from 1 (can wait) to 4 (urgent).
3. **Entities**: mark products, order ids, people, dates and amounts of money.
   Mark the whole entity and nothing around it.
"""


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


def demo_logins() -> list[DemoLogin]:
    owner = DemoLogin("owner", DEMO_OWNER[0], DEMO_PASSWORD)
    return [owner] + [
        DemoLogin(f"worker ({country})", email, DEMO_PASSWORD)
        for email, _name, country in DEMO_WORKERS
    ]


def seed_demo(
    db: Session, settings: Settings, *, images: int = 24, tickets: int = 120, seed: int = 7
) -> list[DemoLogin]:
    if org_service.organization_by_slug(db, DEMO_SLUG) is not None:
        return demo_logins()
    organization = org_service.create_organization(db, "Demo Robotics", DEMO_SLUG)
    owner = auth_service.create_user(db, DEMO_OWNER[0], DEMO_PASSWORD, DEMO_OWNER[1])
    org_service.add_member(db, organization.id, owner.email, "owner")
    for email, name, country in DEMO_WORKERS:
        auth_service.create_user(db, email, DEMO_PASSWORD, name, worker_country=country)
    _seed_shapes(db, settings, organization.id, owner, images, seed)
    _seed_tickets(db, organization.id, owner, tickets, seed)
    return demo_logins()


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
            status="active",
        ),
        owner,
    )
    for number, scene in enumerate(generate_scenes(count, seed), start=1):
        item_service.import_media_file(
            db, settings, project, f"scene_{number:03d}.png", io.BytesIO(scene.png), "image/png"
        )
    return project


def _seed_tickets(db: Session, organization_id: int, owner: User, count: int, seed: int) -> Project:
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
            status="active",
        ),
        owner,
    )
    rng = random.Random(seed)
    rows = (
        (
            line,
            {
                "external_id": f"ticket-{line:04d}",
                "fields": {"text": ticket.text},
                "priority": rng.randint(0, 2),
            },
        )
        for line, ticket in enumerate(generate_tickets(count, seed), start=1)
    )
    item_service.import_rows(db, project, rows, skip_invalid=False)
    return project
