"""Pages for workers: the guidelines and the labelling and review workspaces, the profile
and qualification tests, earnings, the history of verdicts, appeals and the audit trail,
and content opt-ins."""

from fastapi import APIRouter

from fairlabel.web.worker import (
    appeals,
    content,
    earnings,
    history,
    profile,
    qualification,
    workspace,
)

router = APIRouter(include_in_schema=False)
for module in (workspace, profile, qualification, earnings, history, appeals, content):
    router.include_router(module.router)
