"""Export benchmark: N annotations (one box each on N images) downloaded as JSONL and COCO
through a real uvicorn server. Prints annotations/s and the server's peak RSS.

    .venv/bin/python bench/bench_export.py [--annotations 1000000] [--database-url URL]

Targets (issue 2): >= 100,000 annotations/s, peak RSS < 500 MB whatever the size."""

import argparse
import time
from datetime import timedelta

import httpx
from sqlalchemy import insert

from bench.common import fresh_settings, running_server
from fairlabel.auth import service as auth_service
from fairlabel.config import Settings
from fairlabel.db import Database, utcnow
from fairlabel.models import Annotation, Assignment, Item, Organization, Project, Question

BATCH = 20_000
WORKERS = 100


def populate(settings: Settings, count: int) -> tuple[int, str]:
    """A project with `count` images, each with one submitted annotation holding one box."""
    database = Database(settings)
    with database.session() as db:
        org = Organization(name="Bench", slug="bench")
        db.add(org)
        db.flush()
        project = Project(organization_id=org.id, name="Boxes", status="active", overlap=1)
        project.questions = [
            Question(
                name="objects",
                type="bbox",
                position=0,
                settings={"field": "image", "labels": ["cat", "dog"]},
            )
        ]
        db.add(project)
        owner = auth_service.create_user(db, "owner@bench.test", "benchmark-pass")
        from fairlabel.organizations.service import add_member

        add_member(db, org.id, owner.email, "owner")
        _token, secret = auth_service.create_token(db, owner, "bench")
        workers = [
            auth_service.create_user(db, f"w{i}@bench.test", "benchmark-pass", is_worker=True).id
            for i in range(WORKERS)
        ]
        project_id = project.id
    now = utcnow()
    for start in range(0, count, BATCH):
        ids = range(start + 1, min(count, start + BATCH) + 1)
        with database.session() as db:
            db.execute(insert(Item), [_item(project_id, i) for i in ids])
            db.execute(
                insert(Assignment),
                [
                    {
                        "id": i,
                        "project_id": project_id,
                        "item_id": i,
                        "worker_id": workers[i % WORKERS],
                        "stage": "label",
                        "status": "submitted",
                        "leased_at": now,
                        "expires_at": now + timedelta(hours=1),
                    }
                    for i in ids
                ],
            )
            db.execute(
                insert(Annotation),
                [
                    {
                        "id": i,
                        "assignment_id": i,
                        "project_id": project_id,
                        "item_id": i,
                        "worker_id": workers[i % WORKERS],
                        "version": 1,
                        "is_latest": True,
                        "answers": {
                            "objects": [
                                {
                                    "x": i % 500,
                                    "y": 10.5,
                                    "width": 20,
                                    "height": 30,
                                    "label": "cat" if i % 2 else "dog",
                                }
                            ]
                        },
                        "guideline_version": 1,
                        "time_spent_ms": 4200,
                        "created_at": now,
                    }
                    for i in ids
                ],
            )
    database.dispose()
    return project_id, secret


def _item(project_id: int, i: int) -> dict[str, object]:
    return {
        "id": i,
        "project_id": project_id,
        "external_id": f"img-{i:07d}",
        "fields": {
            "image": {
                "src": f"/media/{i}.png",
                "width": 640,
                "height": 480,
                "content_type": "image/png",
                "name": f"img-{i:07d}.png",
            }
        },
        "meta": {},
        "priority": 0,
        "taken": 1,
        "submitted": 1,
        "is_open": False,
    }


def download(url: str, token: str, fmt: str) -> tuple[float, int]:
    started = time.perf_counter()
    size = 0
    with httpx.stream(
        "GET",
        url,
        params={"format": fmt},
        timeout=3600,
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
    return time.perf_counter() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with fresh_settings(args.database_url) as settings:
        dialect = "postgresql" if args.database_url else "sqlite"
        started = time.perf_counter()
        project_id, token = populate(settings, args.annotations)
        print(
            f"[{dialect}] populated {args.annotations:,} annotations in "
            f"{time.perf_counter() - started:.1f} s"
        )
        with running_server(settings) as server:
            url = f"{server.url}/api/projects/{project_id}/export"
            for fmt in ("jsonl", "coco"):
                seconds, size = download(url, token, fmt)
                print(
                    f"[{dialect}] export {fmt}: {args.annotations / seconds:,.0f} annotations/s "
                    f"({seconds:.1f} s, {size / 1e6:.0f} MB)"
                )
            print(f"[{dialect}] server peak RSS: {server.peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
