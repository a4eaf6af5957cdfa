"""Projects: typed questions, versioned guidelines, overlap, leases and status."""

import re
from collections.abc import Sequence

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Integer, cast, exists, func, select, update
from sqlalchemy.orm import Session, selectinload

from fairlabel.db import settings_of
from fairlabel.dueprocess import notices
from fairlabel.errors import Conflict, NotFound, ValidationFailed
from fairlabel.models import (
    Annotation,
    GuidelineVersion,
    Item,
    ModelEndpoint,
    Project,
    ProjectStatus,
    Question,
    User,
)
from fairlabel.pay import policy as pay_policy
from fairlabel.projects.schemas import (
    DEFAULT_REJECTION_REASONS,
    ConsensusSettings,
    ContentRiskSettings,
    EligibilityFields,
    GoldSettings,
    PaySettings,
    ProjectCounts,
    ProjectCreate,
    ProjectUpdate,
    QuestionIn,
    ReviewSettings,
)
from fairlabel.questions import get_question_type, validate_question_definition
from fairlabel.questions.base import one_of
from fairlabel.wellness import service as wellness

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


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
    apply_review_settings(project, body)
    apply_gold_settings(project, body)
    apply_consensus_settings(project, body)
    apply_content_risk_settings(db, project, body)
    check_content_risk(project)
    check_live_endpoints(db, project)
    apply_pay_settings(db, project, body)
    apply_eligibility(project, body)
    db.add(project)
    db.flush()
    add_guidelines(db, project, body.guidelines, author)
    if body.status != ProjectStatus.draft:
        set_status(db, project, body.status)
    db.flush()
    return project


def update_project(db: Session, project: Project, body: ProjectUpdate, author: User) -> Project:
    new_eligibility = body.eligibility.model_dump() if body.eligibility is not None else None
    notices.check_no_abrupt_end(db, project, body.status, new_eligibility)
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
        check_live_endpoints(db, project)
        db.flush()
    for name in ("name", "description", "lease_seconds"):
        value = getattr(body, name)
        if value is not None:
            setattr(project, name, value)
    apply_review_settings(project, body)
    apply_gold_settings(project, body)
    apply_content_risk_settings(db, project, body)
    check_content_risk(project)
    pay_changed = apply_pay_settings(db, project, body)
    apply_eligibility(project, body)
    if body.overlap is not None and body.overlap != project.overlap:
        set_overlap(db, project, body.overlap)
    apply_consensus_settings(project, body)
    if body.guidelines is not None:
        add_guidelines(db, project, body.guidelines, author)
    if body.status is not None and body.status != project.status:
        set_status(db, project, body.status)
    elif pay_changed and project.status == ProjectStatus.active:
        pay_policy.check_pay(db, project)
    db.flush()
    return project


def apply_review_settings(project: Project, body: ReviewSettings) -> None:
    """Workflow stages, reasons and rework time; a review stage without reasons of the
    project's own gets the default list, since a rejection must always cite one."""
    if body.workflow is not None:
        project.workflow = [stage.model_dump() for stage in body.workflow]
    if body.rejection_reasons is not None:
        project.rejection_reasons = [reason.model_dump() for reason in body.rejection_reasons]
    if project.workflow and not project.rejection_reasons:
        project.rejection_reasons = [r.model_dump() for r in DEFAULT_REJECTION_REASONS]
    if body.rework_hours is not None:
        project.rework_hours = body.rework_hours


#: Settings a request may remove with an explicit null.
REMOVABLE = frozenset({"min_gold_accuracy", "consensus_threshold", "max_overlap"})


def apply_gold_settings(project: Project, body: GoldSettings) -> None:
    """Gold rate and the accuracy bar; only the fields the request names change."""
    _apply_named(project, body, GoldSettings)


def apply_consensus_settings(project: Project, body: ConsensusSettings) -> None:
    """The dynamic-overlap threshold and cap; the cap is at least the project's overlap."""
    _apply_named(project, body, ConsensusSettings)
    if project.max_overlap is not None and project.max_overlap < project.overlap:
        raise ValidationFailed(
            "max_overlap is below the project's overlap",
            field="max_overlap",
            value=project.max_overlap,
            expected=f"at least the overlap, {project.overlap}",
        )


def _apply_named(project: Project, body: BaseModel, fields_of: type[BaseModel]) -> None:
    for name in body.model_fields_set & set(fields_of.model_fields):
        value = getattr(body, name)
        if value is not None or name in REMOVABLE:
            setattr(project, name, value)


def apply_content_risk_settings(db: Session, project: Project, body: ContentRiskSettings) -> None:
    """Risks and caps, checked together: a cap must name a declared risk, so a change of
    risks drops the caps of risks no longer declared unless the request sets caps too."""
    if body.content_risks is None and body.exposure_caps is None:
        return
    risks = body.content_risks if body.content_risks is not None else project.content_risks or []
    caps = body.exposure_caps
    if caps is None:
        caps = {k: v for k, v in (project.exposure_caps or {}).items() if k in risks}
    operator_cap = settings_of(db).exposure_cap_per_day
    project.content_risks, project.exposure_caps = wellness.validated_settings(
        risks, caps, operator_cap
    )


def check_content_risk(project: Project) -> None:
    """A question whose very task is harmful content (a red-team prompt) needs the project to
    declare a content risk, so that the opt-in, the warnings and the exposure caps apply."""
    if project.content_risks:
        return
    for question in project.questions:
        kind = get_question_type(question.type)
        reason = kind.content_risk(kind.parse_settings(question.settings, question=question.name))
        if reason is not None:
            raise ValidationFailed(
                f"question {question.name!r} needs the project to declare a content risk: {reason}",
                field="content_risks",
                value=list(project.content_risks or []),
                expected="at least one content risk category (GET /api/content-risks lists them)",
            )


def check_live_endpoints(db: Session, project: Project) -> None:
    """Every endpoint a live question (chat, live comparisons, red-team prompts) names must be
    one of the project's organization's: another's id would be stored, then refused at each
    turn after a worker had taken the task."""
    own = set(
        db.scalars(
            select(ModelEndpoint.id).where(ModelEndpoint.organization_id == project.organization_id)
        )
    )
    for question in project.questions:
        kind = get_question_type(question.type)
        live = kind.live(kind.parse_settings(question.settings, question=question.name))
        foreign = [e for e in live.endpoints if e not in own] if live else []
        if foreign:
            raise ValidationFailed(
                f"model endpoint {foreign[0]} is not one of the organization's endpoints",
                field=f"questions[{question.name}].settings",
                value=foreign,
                expected="ids of the organization's model endpoints",
            )


def apply_eligibility(project: Project, body: EligibilityFields) -> None:
    """Replace the requirements; the endings of notices already given stay."""
    if body.eligibility is not None:
        ending = (project.eligibility or {}).get("ending", [])
        project.eligibility = {**body.eligibility.model_dump(mode="json"), "ending": ending}


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


def set_status(db: Session, project: Project, status: ProjectStatus) -> None:
    """Active needs questions, pay at or above the floors it is open to, and a funded budget."""
    if status == ProjectStatus.active and not project.questions:
        raise ValidationFailed(
            "a project needs at least one question before it is active",
            field="status",
            value=status,
            expected="draft until questions exist",
        )
    if status == ProjectStatus.active:
        db.flush()
        pay_policy.check_activation(db, project)
    project.status = status


PAY_FIELDS = ("currency", "pay_basis", "rates", "estimated_seconds", "review_deadline_hours")


def apply_pay_settings(db: Session, project: Project, body: PaySettings) -> bool:
    """The pay policy fields the request names; answers whether any changed. The currency is
    fixed once the project's budget has been funded."""
    changed = {n: getattr(body, n) for n in PAY_FIELDS if getattr(body, n) is not None}
    changed = {n: v for n, v in changed.items() if v != getattr(project, n)}
    if "currency" in changed and project.id is not None:
        pay_policy.check_currency_change(db, project, changed["currency"])
    for name, value in changed.items():
        setattr(project, name, value)
    return bool(changed)


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


def guideline_sections(body: str) -> list[str]:
    """The headings of the guidelines: the sections a rejection or a test's feedback can
    point to."""
    return [match.group(1) for match in _HEADING.finditer(body)]


def current_guidelines(db: Session, project_id: int) -> str:
    body = db.scalar(
        select(GuidelineVersion.body)
        .where(GuidelineVersion.project_id == project_id)
        .order_by(GuidelineVersion.version.desc())
        .limit(1)
    )
    return body or ""


def check_guideline_section(
    db: Session, project_id: int, ref: str, field: str = "guideline_ref"
) -> None:
    """The section must exist in the current guidelines (matched without case or '#'s);
    guidelines without headings accept any reference."""
    sections = guideline_sections(current_guidelines(db, project_id))
    wanted = ref.strip().lstrip("#").strip().casefold()
    if sections and wanted not in {section.casefold() for section in sections}:
        raise ValidationFailed(
            "no such section in the guidelines",
            field=field,
            value=ref,
            expected=one_of(sections, "one of the guideline sections"),
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
