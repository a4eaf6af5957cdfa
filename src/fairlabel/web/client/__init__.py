"""Pages for a client organization's members: projects, the project form, the dashboard
and budget, import and export, gold and quality, the leaderboard, LLM judges, and the
organization's model endpoints. The form modules (builder, settings_form, criteria_lines) and the
dashboard's queries (stats) serve these pages and hold no routes."""

from fastapi import APIRouter

from fairlabel.web.client import (
    dashboard,
    evaluations,
    gold,
    judges,
    leaderboard,
    model_endpoints,
    monitoring,
    projects,
    quality,
    transfer,
    webhooks,
)

router = APIRouter(include_in_schema=False)
for module in (
    projects,
    dashboard,
    transfer,
    gold,
    quality,
    leaderboard,
    evaluations,
    judges,
    model_endpoints,
):
    router.include_router(module.router)
for module in (monitoring, webhooks):  # production monitoring; webhook receivers
    router.include_router(module.router)
