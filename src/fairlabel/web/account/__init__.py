"""Pages every signed-in person uses: signing in and out, the home page, the platform terms
and worker representation, a job's progress, and the API explorer."""

from fastapi import APIRouter

from fairlabel.web.account import api_docs, governance, home, jobs, sign_in

router = APIRouter(include_in_schema=False)
for module in (sign_in, home, governance, jobs, api_docs):
    router.include_router(module.router)
