"""Pages for operators (and, for hearings, a project's owners and managers): hearings of
appeals and feedback with sanctions, pay floors and payouts, and the Fairwork report."""

from fastapi import APIRouter

from fairlabel.web.operator import fairwork, hearings, pay

router = APIRouter(include_in_schema=False)
for module in (hearings, pay, fairwork):
    router.include_router(module.router)
