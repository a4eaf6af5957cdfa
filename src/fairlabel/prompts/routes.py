"""The near-duplicate search for the worker holding an assignment with a prompt question."""

from dataclasses import asdict

from fastapi import APIRouter

from fairlabel.deps import CurrentPrincipal, SessionDep
from fairlabel.prompts import service
from fairlabel.prompts.schemas import SimilarOut, SimilarPrompt, SimilarRequest
from fairlabel.queue.service import get_own_assignment

router = APIRouter(tags=["prompts"])


@router.post(
    "/assignments/{assignment_id}/prompts/{question}/similar", operation_id="similar_prompts"
)
def similar_prompts(
    assignment_id: int,
    question: str,
    body: SimilarRequest,
    principal: CurrentPrincipal,
    db: SessionDep,
) -> SimilarOut:
    """The project's earlier prompts at or above the question's duplicate threshold, nearest
    first: a warning the worker may submit past (the answer records the nearest)."""
    assignment = get_own_assignment(db, assignment_id, principal.id)
    settings = service.prompt_question(db, assignment.project_id, question)
    found = service.similar(
        db,
        assignment.project_id,
        question,
        body.text,
        exclude_assignment=assignment_id,
        limit=body.limit,
        cutoff=settings.duplicate_threshold,
    )
    return SimilarOut(
        threshold=settings.duplicate_threshold,
        duplicate=bool(found),
        similar=[SimilarPrompt(**asdict(s)) for s in found],
    )
