"""The monitoring pages: a project's streams of production conversations, and each stream's
flagged rate over time drawn as an SVG chart on the server (the CSP allows no inline
script) with its 95% intervals and the production estimate, beside the table of days."""

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fairlabel.auth.policies import manages_project
from fairlabel.deps import SessionDep
from fairlabel.errors import FairlabelError
from fairlabel.monitoring import policies, service
from fairlabel.monitoring.schemas import FlaggedDay
from fairlabel.web.pages import MemberProject, SignedIn, context, render, titled

router = APIRouter(include_in_schema=False)

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 12, 28


@dataclass(frozen=True)
class Point:
    x: float
    y: float | None
    low: float | None
    high: float | None
    estimate: float | None
    label: str


@dataclass(frozen=True)
class Chart:
    """The SVG's size and the plot's edges (x of left and right, y of top and bottom)."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    points: list[Point]

    @property
    def line(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points if p.y is not None)

    @property
    def estimate_line(self) -> str:
        return " ".join(
            f"{p.x:.1f},{p.estimate:.1f}" for p in self.points if p.estimate is not None
        )

    def y_of(self, share: float) -> float:
        return self.top + (1 - share) * (self.bottom - self.top)


def chart(days: list[FlaggedDay]) -> Chart:
    """Days left to right, the flagged share bottom (0%) to top (100%)."""
    plot = Chart(WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM, [])
    span = max(len(days) - 1, 1)

    def y(share: float | None) -> float | None:
        return None if share is None else plot.y_of(share)

    for index, day in enumerate(days):
        x = plot.left + (plot.right - plot.left) * (index / span if len(days) > 1 else 0.5)
        plot.points.append(
            Point(
                x,
                y(day.rate),
                y(day.lower),
                y(day.upper),
                y(day.estimated_rate),
                day.day.isoformat(),
            )
        )
    return plot


@router.get("/projects/{project_id}/monitoring", response_class=HTMLResponse)
def streams_page(
    request: Request, project: MemberProject, db: SessionDep, principal: SignedIn
) -> Response:
    streams = [service.describe(s) for s in service.list_streams(db, project.id)]
    can_manage = manages_project(principal, project)
    page = context(principal, project=project, streams=streams, can_manage=can_manage)
    return render(request, "client/monitoring_streams.html", page)


@router.get("/monitoring-streams/{stream_id}", response_class=HTMLResponse)
def stream_page(request: Request, stream_id: int, db: SessionDep, principal: SignedIn) -> Response:
    stratum = request.query_params.get("stratum") or None
    with titled(_title):
        stream, project = policies.visible_stream(db, principal, stream_id)
        rate = service.flagged_rate(db, stream, stratum)
    page = context(
        principal,
        project=project,
        stream=service.describe(stream),
        rate=rate,
        chart=chart(rate.days),
        ticks=(0.0, 0.25, 0.5, 0.75, 1.0),
    )
    return render(request, "client/monitoring_stream.html", page)


def _title(error: FairlabelError) -> str:
    return "Monitoring stream not found" if error.status_code == 404 else "Not shown"
