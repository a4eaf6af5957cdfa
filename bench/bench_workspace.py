"""Labelling-workspace benchmark in a real browser (Playwright + Debian's Chromium, headless)
against a real uvicorn server on a fresh SQLite database:

(a) submit (Enter) -> next item visible, with prefetch: median and p95 over --submits;
(b) the workspace JavaScript a text-label task loads: bytes as served and gzipped;
(c) a 1 MB text item and a 10,000 x 10,000 image: time to visible, and the p95 frame time
    (requestAnimationFrame deltas) while scrolling the text / zooming and panning the image.

    PYTHONPATH=. .venv/bin/python bench/bench_workspace.py [--submits 60]

Targets (issue 3): submit -> next p95 <= 150 ms; workspace JS for a text task <= 300 KB
gzipped; the large item and image open and stay responsive (p95 frame time reported)."""

import argparse
import gzip
import io
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from PIL import Image, ImageDraw
from playwright.sync_api import Page, Response, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as a plain script

from bench.common import fresh_settings, median, percentile, running_server
from fairlabel.auth import service as auth_service
from fairlabel.db import Database
from fairlabel.models import ProjectStatus
from fairlabel.organizations import service as org_service
from fairlabel.projects import service as project_service
from fairlabel.projects.schemas import ProjectCreate, QuestionIn
from fairlabel.web.service import workspace_bundle

CHROMIUM = os.environ.get("FAIRLABEL_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PASSWORD = "benchmark-pass"
LABELS = ["positive", "negative", "neutral"]
IMAGE_SIDE = 10_000
TEXT_BYTES = 1_000_000

#: In the page: the time of each Enter, and of the first frame after the item on screen
#: changed (the next item is visible then).
TIMING_SCRIPT = """() => {
  window.__fl = { pressed: 0, shown: [] };
  const onKey = (e) => { if (e.key === 'Enter') window.__fl.pressed = performance.now(); };
  window.addEventListener('keydown', onKey, true);
  let item = null;
  new MutationObserver(() => {
    const task = document.querySelector('.fl-task');
    const now = task ? task.dataset.item : null;
    if (now && now !== item) {
      item = now;
      const pressed = window.__fl.pressed;
      requestAnimationFrame(() => window.__fl.shown.push([now, performance.now() - pressed]));
    }
  }).observe(document, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['data-item'],
  });
}"""

#: rAF deltas, collected until __flFrames.stop() is called.
FRAMES_SCRIPT = """() => {
  const deltas = [];
  let last = performance.now(), running = true;
  const step = (t) => {
    deltas.push(t - last);
    last = t;
    if (running) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
  window.__flFrames = { stop: () => { running = false; return deltas; } };
}"""


def seed(database: Database, items: int) -> dict[str, Any]:
    """An owner with a token, a worker who signs in, and three active projects."""
    with database.session() as db:
        org = org_service.create_organization(db, "Bench", "bench")
        owner = auth_service.create_user(db, "owner@bench.test", PASSWORD)
        org_service.add_member(db, org.id, owner.email, "owner")
        worker = auth_service.create_user(db, "worker@bench.test", PASSWORD, is_worker=True)
        projects = {}
        for key, name in (("text", "Text task"), ("large", "Large text"), ("image", "Huge image")):
            body = ProjectCreate(
                organization_id=org.id,
                name=name,
                status=ProjectStatus.active,
                questions=[QuestionIn(name="sentiment", type="label", settings={"labels": LABELS})],
                guidelines="Label the sentiment.",
            )
            projects[key] = project_service.create_project(db, body, owner).id
        token = auth_service.create_token(db, owner, "bench")[1]
    return {"projects": projects, "token": token, "worker": worker.email, "items": items}


def import_rows(client: httpx.Client, project_id: int, rows: list[dict[str, Any]]) -> None:
    body = b"".join(orjson.dumps(row) + b"\n" for row in rows)
    answer = client.post(
        f"/api/projects/{project_id}/imports", params={"format": "jsonl"}, content=body
    )
    answer.raise_for_status()


def huge_png() -> bytes:
    """A 10,000 x 10,000 PNG with shapes on it (flat colours keep the file small)."""
    image = Image.new("RGB", (IMAGE_SIDE, IMAGE_SIDE), "#8899aa")
    draw = ImageDraw.Draw(image)
    for n in range(0, IMAGE_SIDE, 500):
        draw.rectangle((n, n, n + 400, n + 300), fill=f"#{(n * 7) % 256:02x}4444")
        draw.line((0, n, IMAGE_SIDE, IMAGE_SIDE - n), fill="#ffffff", width=8)
    body = io.BytesIO()
    image.save(body, format="PNG", compress_level=1)
    return body.getvalue()


def large_text() -> str:
    line = "The parcel arrived late, the box was crushed, and support answered within a day. "
    return "\n\n".join(line * 4 for _ in range(TEXT_BYTES // (len(line) * 4) + 1))[:TEXT_BYTES]


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def bench_submits(page: Page, base: str, project_id: int, submits: int) -> list[float]:
    page.add_init_script(script=f"({TIMING_SCRIPT})()")
    page.goto(f"{base}/projects/{project_id}/work")
    page.wait_for_selector(".fl-task")
    for _ in range(submits):
        # A worker reads before answering: the prefetch has landed by then.
        page.wait_for_selector(".fl-task:not([data-prefetch=pending])")
        page.wait_for_timeout(150)
        before = page.evaluate("window.__fl.shown.length")
        page.keyboard.press("1")
        page.keyboard.press("Enter")
        page.wait_for_function("n => window.__fl.shown.length > n", arg=before)
    shown: list[list[Any]] = page.evaluate("window.__fl.shown")
    return [float(ms) for _item, ms in shown[1:]]  # the first entry is the page load


def bench_javascript(page: Page, base: str, project_id: int) -> tuple[int, int, list[str]]:
    """(bytes as served, gzipped bytes, names) of the scripts a text task loads."""
    bodies: dict[str, bytes] = {}

    def keep(response: Response) -> None:
        if response.request.resource_type == "script" and response.ok:
            bodies[response.url] = response.body()

    page.on("response", keep)
    page.goto(f"{base}/projects/{project_id}/work")
    page.wait_for_selector(".fl-task")
    page.wait_for_selector(".fl-task:not([data-prefetch=pending])")
    page.wait_for_timeout(500)
    page.remove_listener("response", keep)
    served = sum(len(b) for b in bodies.values())
    zipped = sum(len(gzip.compress(b, compresslevel=6)) for b in bodies.values())
    return served, zipped, sorted(url.rsplit("/", 1)[-1].split("?")[0] for url in bodies)


def frame_p95(page: Page, action: Any) -> tuple[float, float, int]:
    page.evaluate(f"({FRAMES_SCRIPT})()")
    action()
    deltas: list[float] = page.evaluate("window.__flFrames.stop()")
    deltas = deltas[1:] or [0.0]
    return median(deltas), percentile(deltas, 95), len(deltas)


def bench_large_text(page: Page, base: str, project_id: int) -> dict[str, float]:
    page.goto(f"{base}/projects/{project_id}/work")
    page.wait_for_selector("fl-item-view [data-field=text] .fl-text")
    visible = page.evaluate("new Promise(r => requestAnimationFrame(() => r(performance.now())))")
    markdown = page.evaluate("!!document.querySelector('[data-field=text] .fl-markdown')")
    page.mouse.move(400, 500)

    def scroll() -> None:
        for _ in range(60):
            page.mouse.wheel(0, 600)
            page.wait_for_timeout(16)
        page.keyboard.press("End")
        page.wait_for_timeout(200)

    frame_median, frame_95, frames = frame_p95(page, scroll)
    return {
        "markdown": float(markdown),
        "visible_ms": visible,
        "frame_median": frame_median,
        "frame_p95": frame_95,
        "frames": frames,
    }


def bench_image(page: Page, base: str, project_id: int) -> dict[str, float]:
    page.goto(f"{base}/projects/{project_id}/work")
    page.wait_for_function(
        "() => { const i = document.querySelector('fl-image-view img');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=120_000,
    )
    visible = page.evaluate(
        "document.querySelector('fl-image-view img').decode().then(() =>"
        " new Promise(r => requestAnimationFrame(() => r(performance.now()))))"
    )
    viewport = page.locator("fl-image-view .fl-viewport")
    box = viewport.bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    def zoom_and_pan() -> None:
        page.mouse.move(cx, cy)
        for _ in range(12):
            page.mouse.wheel(0, -240)
            page.wait_for_timeout(30)
        for _ in range(3):
            page.mouse.move(cx, cy)
            page.mouse.down()
            page.mouse.move(cx - 250, cy - 150, steps=20)
            page.mouse.up()
        viewport.focus()
        for key in ["ArrowRight"] * 10 + ["-"] * 6:
            page.keyboard.press(key)
            page.wait_for_timeout(16)

    frame_median, frame_95, frames = frame_p95(page, zoom_and_pan)
    return {
        "visible_ms": visible,
        "frame_median": frame_median,
        "frame_p95": frame_95,
        "frames": frames,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submits", type=int, default=60)
    args = parser.parse_args()
    if workspace_bundle() is None:
        sys.exit("the workspace bundle is not built: cd frontend && npm ci && npm run build")
    print(f"load average before: {os.getloadavg()}")
    with fresh_settings(None) as settings, running_server(settings) as server:
        database = Database(settings)
        seeded = seed(database, args.submits + 5)
        projects = seeded["projects"]
        client = httpx.Client(
            base_url=server.url,
            headers={"Authorization": f"Bearer {seeded['token']}"},
            timeout=120,
        )
        import_rows(
            client,
            projects["text"],
            [
                {"external_id": f"t{n}", "fields": {"text": f"Ticket {n}: the parcel came late."}}
                for n in range(args.submits + 5)
            ],
        )
        import_rows(client, projects["large"], [{"fields": {"text": large_text()}}])
        started = time.perf_counter()
        png = huge_png()
        print(
            f"10,000 x 10,000 PNG: {len(png) / 1e6:.1f} MB, made in "
            f"{time.perf_counter() - started:.1f} s"
        )
        client.post(
            f"/api/projects/{projects['image']}/media",
            files={"files": ("huge.png", png, "image/png")},
        ).raise_for_status()

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            context.set_default_timeout(60_000)
            page = context.new_page()
            sign_in(page, server.url, seeded["worker"])
            served, zipped, names = bench_javascript(page, server.url, projects["text"])
            print(
                f"workspace JS for a text task: {served / 1024:.1f} KB served, "
                f"{zipped / 1024:.1f} KB gzipped (target <= 300 KB): {', '.join(names)}"
            )
            timings = bench_submits(page, server.url, projects["text"], args.submits)
            print(
                f"submit -> next item visible over {len(timings)} submits: "
                f"median {median(timings):.1f} ms, p95 {percentile(timings, 95):.1f} ms, "
                f"max {max(timings):.1f} ms (target p95 <= 150 ms)"
            )
            text = bench_large_text(page, server.url, projects["large"])
            print(
                f"1 MB text item ({'markdown' if text['markdown'] else 'plain text'}): "
                f"visible {text['visible_ms']:.0f} ms after navigation; "
                f"scrolling: frame median {text['frame_median']:.1f} ms, "
                f"p95 {text['frame_p95']:.1f} ms over {text['frames']:.0f} frames"
            )
            image = bench_image(page, server.url, projects["image"])
            print(
                f"10,000 x 10,000 image: visible {image['visible_ms']:.0f} ms after "
                f"navigation; zoom and pan: frame median {image['frame_median']:.1f} ms, "
                f"p95 {image['frame_p95']:.1f} ms over {image['frames']:.0f} frames"
            )
            browser.close()
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
