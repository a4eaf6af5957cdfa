"""Projects: typed questions, versioned guidelines, overlap, leases and status."""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Integer, cast, exists, func, select, update
from sqlalchemy.orm import Session, selectinload

from fairlabel.errors import Conflict, NotFound, ValidationFailed
from fairlabel.models import (
    Annotation,
    GuidelineVersion,
    Item,
    Project,
    ProjectStatus,
    Question,
    User,
)
from fairlabel.projects.schemas import ProjectCounts, ProjectCreate, ProjectUpdate, QuestionIn
from fairlabel.questions import validate_question_definition


def get_project(db: Session, project_id: int) -> Project:
    project = db.scalar(
        select(Project).where(Project.id == project_id).options(selectinload(Project.questions))
    )
    if project is None:
        raise NotFound(
            "no such project",
            field="project_id",
            value=project_id,
            expected="an existing project id",
        )
    return project


def list_projects(
    db: Session, organization_ids: Sequence[int] | None, include_active: bool
) -> list[Project]:
    """Projects of the given organizations (None: all), plus every active one for workers."""
    query = select(Project).options(selectinload(Project.questions)).order_by(Project.id)
    if organization_ids is not None:
        condition: ColumnElement[bool] = Project.organization_id.in_(list(organization_ids))
        if include_active:
            condition = condition | (Project.status == ProjectStatus.active)
        query = query.where(condition)
    return list(db.scalars(query))


def create_project(db: Session, body: ProjectCreate, author: User) -> Project:
    project = Project(
        organization_id=body.organization_id,
        name=body.name,
        description=body.description,
        overlap=body.overlap,
        lease_seconds=body.lease_seconds,
        status=ProjectStatus.draft,
    )
    project.questions = _build_questions(body.questions)
    db.add(project)
    db.flush()
    add_guidelines(db, project, body.guidelines, author)
    if body.status != ProjectStatus.draft:
        set_status(project, body.status)
    db.flush()
    return project


def update_project(db: Session, project: Project, body: ProjectUpdate, author: User) -> Project:
    if body.questions is not None:
        if _has_annotations(db, project.id):
            raise Conflict(
                "questions cannot change once work has been submitted",
                field="questions",
                value=[q.name for q in body.questions],
                expected="no change to questions of a project with annotations",
            )
        replacement = _build_questions(body.questions)
        project.questions.clear()
        db.flush()  # old rows go before new ones take their names
        project.questions = replacement
        db.flush()
    for name in ("name", "description", "lease_seconds"):
        value = getattr(body, name)
        if value is not None:
            setattr(project, name, value)
    if body.overlap is not None and body.overlap != project.overlap:
        set_overlap(db, project, body.overlap)
    if body.guidelines is not None:
        add_guidelines(db, project, body.guidelines, author)
    if body.status is not None and body.status != project.status:
        set_status(project, body.status)
    db.flush()
    return project


def _build_questions(questions: list[QuestionIn]) -> list[Question]:
    names = [q.name for q in questions]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValidationFailed(
            "question names must be unique",
            field="questions",
            value=duplicated,
            expected="each name once",
        )
    return [
        Question(
            name=q.name,
            type=q.type,
            prompt=q.prompt,
            required=q.required,
            position=i,
            settings=validate_question_definition(q.name, q.type, q.settings),
        )
        for i, q in enumerate(questions)
    ]


def set_status(project: Project, status: ProjectStatus) -> None:
    if status == ProjectStatus.active and not project.questions:
        raise ValidationFailed(
            "a project needs at least one question before it is active",
            field="status",
            value=status,
            expected="draft until questions exist",
        )
    project.status = status


def set_overlap(db: Session, project: Project, overlap: int) -> None:
    """Changing overlap reopens or closes items according to how many workers already hold them."""
    project.overlap = overlap
    db.execute(
        update(Item).where(Item.project_id == project.id).values(is_open=Item.taken < overlap)
    )


def add_guidelines(db: Session, project: Project, body: str, author: User | None) -> None:
    """Each change is a new version; annotations record the version they were made under."""
    current = db.scalar(
        select(GuidelineVersion.body).where(
            GuidelineVersion.project_id == project.id,
            GuidelineVersion.version == project.guideline_version,
        )
    )
    if current == body or (current is None and not body):
        return
    project.guideline_version += 1
    db.add(
        GuidelineVersion(
            project_id=project.id,
            version=project.guideline_version,
            body=body,
            created_by_id=author.id if author else None,
        )
    )


def list_guidelines(db: Session, project_id: int) -> list[GuidelineVersion]:
    return list(
        db.scalars(
            select(GuidelineVersion)
            .where(GuidelineVersion.project_id == project_id)
            .order_by(GuidelineVersion.version.desc())
        )
    )


def counts(db: Session, project_id: int) -> ProjectCounts:
    items, open_items = db.execute(
        select(func.count(Item.id), func.coalesce(func.sum(cast(Item.is_open, Integer)), 0)).where(
            Item.project_id == project_id
        )
    ).one()
    annotations = db.scalar(
        select(func.count(Annotation.id)).where(
            Annotation.project_id == project_id, Annotation.is_latest
        )
    )
    return ProjectCounts(items=items, open_items=int(open_items), annotations=annotations or 0)


def _has_annotations(db: Session, project_id: int) -> bool:
    return bool(db.scalar(select(exists().where(Annotation.project_id == project_id))))
