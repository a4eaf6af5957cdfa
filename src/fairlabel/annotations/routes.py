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
from fairlabel.annotations.service import AnnotationRow
from fairlabel.auth import policies
from fairlabel.deps import CurrentPrincipal, SessionDep, commits_in_endpoint, model_response
from fairlabel.queue.schemas import ASSIGNMENT_ERRORS
from fairlabel.queue.service import load_project

router = APIRouter(tags=["annotations"])


@router.put(
    "/assignments/{assignment_id}/draft",
    operation_id="save_draft",
    response_model=DraftOut,
    responses={**ASSIGNMENT_ERRORS, 413: {"description": "answers over 1 MB"}},
)
@commits_in_endpoint
def save_draft(
    assignment_id: int, body: AnswersIn, principal: CurrentPrincipal, db: SessionDep
) -> Response:
    """Autosave partial answers (not validated, at most 1 MB) while the lease is live."""
    draft = service.save_draft(db, principal.id, assignment_id, body.answers, body.time_spent_ms)
    return model_response(DraftOut(**draft._asdict()))


@router.post(
    "/assignments/{assignment_id}/submit",
    operation_id="submit_assignment",
    status_code=status.HTTP_201_CREATED,
    response_model=SubmissionOut,
    responses={
        200: {"model": SubmissionOut, "description": "a repeat: nothing was created"},
        **ASSIGNMENT_ERRORS,
    },
)
@commits_in_endpoint
def submit_assignment(
    assignment_id: int, body: AnswersIn, principal: CurrentPrincipal, db: SessionDep
) -> Response:
    """Submit validated answers: 201 with version 1, or 200 with the same annotation when
    the same answers were already submitted (a retry). Other answers: 409, use revise."""
    outcome = service.submit(db, principal.id, assignment_id, body.answers, body.time_spent_ms)
    return _submission(outcome, principal.pseudonym)


@router.post(
    "/annotations/{annotation_id}/revise",
    operation_id="revise_annotation",
    status_code=status.HTTP_201_CREATED,
    response_model=SubmissionOut,
    responses={200: {"model": SubmissionOut, "description": "a repeat: nothing was created"}},
)
@commits_in_endpoint
def revise_annotation(
    annotation_id: int, body: AnswersIn, principal: CurrentPrincipal, db: SessionDep
) -> Response:
    """A new version of one's own latest annotation; the previous version is kept."""
    outcome = service.revise(db, principal, annotation_id, body.answers, body.time_spent_ms)
    return _submission(outcome, principal.pseudonym)


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
    policies.read_project_data(principal, load_project(db, project_id))
    rows = service.list_project_annotations(db, project_id, after, limit)
    annotations = [_out(a, pseudonym) for a, pseudonym in rows]
    next_after = annotations[-1].id if len(annotations) == limit else None
    return AnnotationPage(annotations=annotations, next_after=next_after)


def _submission(outcome: service.Outcome, pseudonym: str) -> Response:
    """201 for a new version, 200 for a repeat that created nothing."""
    out = SubmissionOut(**_fields(outcome.annotation, pseudonym), replayed=outcome.replayed)
    created = status.HTTP_200_OK if outcome.replayed else status.HTTP_201_CREATED
    return model_response(out, status_code=created)


def _out(annotation: AnnotationRow, pseudonym: str) -> AnnotationOut:
    return AnnotationOut(**_fields(annotation, pseudonym))


def _fields(annotation: AnnotationRow, pseudonym: str) -> dict[str, Any]:
    fields = annotation._asdict()
    del fields["worker_id"]
    return {**fields, "worker": pseudonym}
