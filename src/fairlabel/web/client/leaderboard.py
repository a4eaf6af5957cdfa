"""The client's leaderboard page: the project's models ranked from its pairwise votes, as
GET /api/projects/{id}/leaderboard computes them (scores with 95% intervals, rank
intervals, the style-controlled score beside the raw one, how many votes would change each
top pair), the battle-count and win-rate matrices drawn as server-rendered SVG heat maps
(no script: the page must draw under a CSP that forbids inline script), per category and
per vote source (people, LLM judges or both). Every member of the organization sees it."""

from dataclasses import dataclass
from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fairlabel.auth import policies
from fairlabel.deps import SessionDep
from fairlabel.evaluation import schemas
from fairlabel.evaluation import service as evaluation_service
from fairlabel.web.pages import MemberProject, SignedIn, context, render, titled

router = APIRouter(include_in_schema=False)
T = TypeVar("T")

#: Cells of the heat maps and the interval chart's width, in the SVG's user units.
CELL = 44
SPAN = 600


@dataclass(frozen=True)
class Cell:
    """One square of a heat map: where it is, its colour and what it says."""

    x: int
    y: int
    fill: str
    label: str
    title: str
    dark: bool


@router.get("/projects/{project_id}/leaderboard", response_class=HTMLResponse)
def leaderboard_page(
    request: Request,
    project: MemberProject,
    db: SessionDep,
    principal: SignedIn,
    category: str = "",
    source: str = "all",
    style: str = "",
) -> Response:
    """The filters come as a GET form; an unknown category or source is the error page with
    the service's 422 (the field, the value and what was expected)."""
    with titled("The leaderboard cannot be drawn"):
        board = evaluation_service.leaderboard(
            db,
            project,
            category=category or None,
            source=source,
            style_control=bool(style),
        )
    values = context(
        principal,
        project=project,
        can_manage=policies.manages_project(principal, project),
        board=board,
        sources=evaluation_service.SOURCES,
        battle_cells=battle_cells(board),
        rate_cells=rate_cells(board),
        intervals=interval_chart(board),
        cell=CELL,
        span=SPAN,
    )
    return render(request, "client/leaderboard.html", values)


@dataclass(frozen=True)
class Interval:
    """One model's row of the interval chart: its 95% interval as a line, its score a dot."""

    model: str
    low: float
    score: float
    high: float
    title: str


@dataclass(frozen=True)
class IntervalChart:
    """The intervals on one axis from `least` to `most` (Elo points)."""

    marks: list[Interval]
    least: float
    most: float


def interval_chart(board: schemas.Leaderboard) -> IntervalChart | None:
    """Positions on a shared axis from the lowest lower bound to the highest upper bound;
    None without a bootstrap."""
    shown = [s for s in board.standings if s.lower is not None and s.upper is not None]
    if not shown:
        return None
    least = min(s.lower or s.score for s in shown)
    most = max(s.upper or s.score for s in shown)
    scale = SPAN / ((most - least) or 1.0)
    marks = [
        Interval(
            s.model,
            round(((s.lower or s.score) - least) * scale, 1),
            round((s.score - least) * scale, 1),
            round(((s.upper or s.score) - least) * scale, 1),
            f"{s.model}: {s.score:.0f} ({s.lower:.0f} to {s.upper:.0f})",
        )
        for s in shown
    ]
    return IntervalChart(marks, least, most)


def battle_cells(board: schemas.Leaderboard) -> list[Cell]:
    """Battles between row and column model, shaded from white (none) to dark blue (most)."""
    models = [s.model for s in board.standings]
    peak = max((max(row) for row in board.battle_matrix), default=0) or 1
    return [
        Cell(
            j * CELL,
            i * CELL,
            _mix(_WHITE, _BLUE, count / peak),
            str(count),
            f"{models[i]} and {models[j]}: {count} battles",
            count / peak > 0.55,
        )
        for i, j, count in _off_diagonal(board.battle_matrix)
    ]


def rate_cells(board: schemas.Leaderboard) -> list[Cell]:
    """Row model's win rate over column model (ties half): red below one half, blue above,
    grey and empty where they never met."""
    models = [s.model for s in board.standings]
    cells = []
    for i, j, rate in _off_diagonal(board.win_rate_matrix):
        pair = f"{models[i]} against {models[j]}"
        if rate is None:
            cells.append(Cell(j * CELL, i * CELL, _GREY, "", f"{pair}: never met", False))
            continue
        strength = abs(rate - 0.5) * 2
        fill = _mix(_PALE, _RED if rate < 0.5 else _BLUE, strength)
        title = f"{pair}: {rate * 100:.0f}% (ties count half)"
        cells.append(Cell(j * CELL, i * CELL, fill, f"{rate * 100:.0f}", title, strength > 0.6))
    return cells


def _off_diagonal(matrix: list[list[T]]) -> list[tuple[int, int, T]]:
    return [(i, j, value) for i, row in enumerate(matrix) for j, value in enumerate(row) if i != j]


_WHITE, _PALE, _GREY = (255, 255, 255), (247, 247, 247), "#e6eaf0"
_BLUE, _RED = (29, 53, 117), (178, 24, 43)


def _mix(low: tuple[int, int, int], high: tuple[int, int, int], share: float) -> str:
    """The colour `share` (0 to 1) of the way from `low` to `high`, as #rrggbb."""
    share = min(1.0, max(0.0, share))
    channels = (round(a + (b - a) * share) for a, b in zip(low, high, strict=True))
    return "#" + "".join(f"{c:02x}" for c in channels)
