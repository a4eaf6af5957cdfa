"""Annotations API: autosave drafts, submit once (idempotently), revise into new versions."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from fairlabel.annotations import service
from fairlabel.annotations.schemas import (
    AnnotationOut,
    AnnotationPage,
    AnswersIn,
    DraftOut,
    SubmissionOut,
)
from fairlabel.auth import policies
from fairlabel.deps import CurrentPrincipal, SessionDep
from fairlabel.models import Annotation
from fairlabel.projects.service import get_project
from fairlabel.queue.schemas import ASSIGNMENT_ERRORS

router = APIRouter(tags=["annotations"])


@router.put(
    "/assignments/{assignment_id}/draft",
    operation_id="save_draft",
    responses={**ASSIGNMENT_ERRORS, 413: {"description": "answers over 1 MB"}},
)
def save_draft(
    assignment_id: int, body: AnswersIn, principal: CurrentPrincipal, db: SessionDep
) -> DraftOut:
    """Autosave partial answers (not validated, at most 1 MB) while the lease is live."""
    draft = service.save_draft(db, principal.id, assignment_id, body.answers, body.time_spent_ms)
    return DraftOut.model_validate(draft)


@router.post(
    "/assignments/{assignment_id}/submit",
    operation_id="submit_assignment",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": SubmissionOut, "description": "a repeat: nothing was created"},
        **ASSIGNMENT_ERRORS,
    },
)
def submit_assignment(
    assignment_id: int,
    body: AnswersIn,
    principal: CurrentPrincipal,
    db: SessionDep,
    response: Response,
) -> SubmissionOut:
    """Submit validated answers: 201 with version 1, or 200 with the same annotation when
    the same answers were already submitted (a retry). Other answers: 409, use revise."""
    outcome = service.submit(db, principal.id, assignment_id, body.answers, body.time_spent_ms)
    return _submission(outcome, principal.user.pseudonym, response)


@router.post(
    "/annotations/{annotation_id}/revise",
    operation_id="revise_annotation",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": SubmissionOut, "description": "a repeat: nothing was created"}},
)
def revise_annotation(
    annotation_id: int,
    body: AnswersIn,
    principal: CurrentPrincipal,
    db: SessionDep,
    response: Response,
) -> SubmissionOut:
    """A new version of one's own latest annotation; the previous version is kept."""
    outcome = service.revise(db, principal, annotation_id, body.answers, body.time_spent_ms)
    return _submission(outcome, principal.user.pseudonym, response)


@router.get("/annotations/{annotation_id}/versions", operation_id="list_annotation_versions")
def list_annotation_versions(
    annotation_id: int, principal: CurrentPrincipal, db: SessionDep
) -> list[AnnotationOut]:
    """Every version, oldest first: for the worker who made it and the project's members."""
    return [
        _out(a, pseudonym) for a, pseudonym in service.list_versions(db, principal, annotation_id)
    ]


@router.get("/projects/{project_id}/annotations", operation_id="list_project_annotations")
def list_project_annotations(
    project_id: int,
    principal: CurrentPrincipal,
    db: SessionDep,
    after: Annotated[int | None, Query(description="an annotation id: later ones only")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AnnotationPage:
    """Latest versions for the project's members; workers appear by pseudonym only."""
    project = get_project(db, project_id)
    policies.read_project_data(principal, project)
    rows = service.list_project_annotations(db, project_id, after, limit)
    annotations = [_out(a, pseudonym) for a, pseudonym in rows]
    next_after = annotations[-1].id if len(annotations) == limit else None
    return AnnotationPage(annotations=annotations, next_after=next_after)


def _submission(outcome: service.Outcome, pseudonym: str, response: Response) -> SubmissionOut:
    if outcome.replayed:
        response.status_code = status.HTTP_200_OK
    return SubmissionOut(**_fields(outcome.annotation, pseudonym), replayed=outcome.replayed)


def _out(annotation: Annotation, pseudonym: str) -> AnnotationOut:
    return AnnotationOut(**_fields(annotation, pseudonym))


def _fields(annotation: Annotation, pseudonym: str) -> dict[str, Any]:
    return {
        "id": annotation.id,
        "assignment_id": annotation.assignment_id,
        "project_id": annotation.project_id,
        "item_id": annotation.item_id,
        "worker": pseudonym,
        "version": annotation.version,
        "is_latest": annotation.is_latest,
        "answers": annotation.answers,
        "guideline_version": annotation.guideline_version,
        "time_spent_ms": annotation.time_spent_ms,
        "created_at": annotation.created_at,
    }
