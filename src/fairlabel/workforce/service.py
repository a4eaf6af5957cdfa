"""Worker profiles, qualifications (claimed, checked by an operator, calibrated by a test),
qualification tests on a project's gold items, and what each project asks of a worker."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.db import utcnow
from fairlabel.dueprocess import audit, standing
from fairlabel.dueprocess.audit import AuditKind
from fairlabel.errors import Conflict, FairlabelError, Forbidden, NotFound, ValidationFailed
from fairlabel.models import (
    Gold,
    Item,
    Project,
    ProjectStatus,
    Qualification,
    QualificationAttempt,
    QualificationTest,
    QualificationTier,
    WithheldGold,
    Worker,
)
from fairlabel.pay import service as pay
from fairlabel.projects import service as projects
from fairlabel.questions import QuestionSpec, score_answers, validate_answers
from fairlabel.questions.validate import error_detail, summarised
from fairlabel.queue import admission
from fairlabel.queue import service as queue
from fairlabel.workforce import eligibility
from fairlabel.workforce.schemas import (
    AttemptIn,
    AttemptOut,
    EligibilityOut,
    MissedItem,
    MyProject,
    ProfileIn,
    ProfileOut,
    QualificationClaim,
    QualificationOut,
    QualificationTestIn,
    QualificationTestOut,
    TestItem,
    TierChange,
)


class CoolingDown(FairlabelError):
    status_code = 429
    code = "cooldown"


# --- profiles -----------------------------------------------------------------------------


def get_worker(db: Session, worker_id: int) -> Worker:
    worker = db.get(Worker, worker_id)
    if worker is None:
        raise NotFound("no such worker", field="worker_id", value=worker_id, expected="a worker")
    return worker


def profile(db: Session, worker_id: int) -> ProfileOut:
    worker = get_worker(db, worker_id)
    held = db.scalars(
        select(Qualification)
        .where(Qualification.worker_id == worker_id)
        .order_by(Qualification.name)
    )
    return ProfileOut(
        user_id=worker.user_id,
        pseudonym=worker.user.pseudonym,
        country=worker.country,
        languages=worker.languages or [],
        skills=worker.skills or [],
        payout_reference=worker.payout_reference,
        qualifications=[QualificationOut.model_validate(q) for q in held],
    )


def update_profile(db: Session, worker_id: int, body: ProfileIn) -> ProfileOut:
    """The worker's own country, languages, skills (they describe; they grant nothing) and
    payout reference."""
    worker = get_worker(db, worker_id)
    worker.country, worker.languages, worker.skills = body.country, body.languages, body.skills
    worker.payout_reference = body.payout_reference
    db.flush()
    return profile(db, worker_id)


# --- qualifications -----------------------------------------------------------------------


def _held(db: Session, worker_id: int, name: str) -> Qualification | None:
    return db.scalar(
        select(Qualification).where(
            Qualification.worker_id == worker_id, Qualification.name == name
        )
    )


def claim(db: Session, worker_id: int, body: QualificationClaim) -> Qualification:
    """A claim is tier `claimed`; claiming another level of a checked qualification starts
    it over as a claim, since the check was of the old level."""
    get_worker(db, worker_id)
    held = _held(db, worker_id, body.name)
    if held is None:
        held = Qualification(worker_id=worker_id, name=body.name, level=body.level)
        db.add(held)
    elif held.level != body.level:
        held.level, held.tier, held.verified_by_id = body.level, QualificationTier.claimed, None
    held.evidence, held.updated_at = body.evidence, utcnow()
    db.flush()
    audit.record(
        db,
        worker_id=worker_id,
        actor_id=worker_id,
        kind=AuditKind.qualification_claimed,
        subject_kind="qualification",
        subject_id=held.id,
        data={"name": held.name, "level": held.level, "tier": held.tier},
    )
    return held


def change_tier(
    db: Session, worker_id: int, name: str, body: TierChange, actor_id: int
) -> Qualification:
    """An operator's check; a calibrated qualification is the test's to change, not theirs."""
    held = _held(db, worker_id, name)
    if held is None:
        raise NotFound(
            "the worker holds no such qualification",
            field="name",
            value=name,
            expected="a qualification the worker has claimed",
        )
    if held.tier == QualificationTier.calibrated:
        raise Conflict(
            "a qualification calibrated by a test is not changed by hand",
            field="tier",
            value=body.tier,
            expected="a claimed or checked qualification",
        )
    before = held.tier
    held.tier, held.verified_by_id, held.updated_at = body.tier, actor_id, utcnow()
    db.flush()
    audit.record(
        db,
        worker_id=worker_id,
        actor_id=actor_id,
        kind=AuditKind.qualification_tier,
        subject_kind="qualification",
        subject_id=held.id,
        data={
            "name": name,
            "level": held.level,
            "from": before,
            "to": body.tier,
            "reason": body.reason,
        },
    )
    return held


def grant(
    db: Session,
    worker_id: int,
    name: str,
    level: int,
    test_id: int,
    tier: QualificationTier = QualificationTier.calibrated,
) -> Qualification:
    """A passed test: the qualification at (at least) its level, tier calibrated (verified
    when an appeal of a failed test was upheld)."""
    held = _held(db, worker_id, name)
    if held is None:
        held = Qualification(worker_id=worker_id, name=name, level=level, evidence="")
        db.add(held)
    held.level = max(held.level or 0, level)
    held.tier, held.verified_by_id, held.updated_at = tier, None, utcnow()
    db.flush()
    audit.record(
        db,
        worker_id=worker_id,
        kind=AuditKind.qualification_granted,
        subject_kind="qualification",
        subject_id=held.id,
        data={"name": name, "level": held.level, "tier": held.tier, "test_id": test_id},
    )
    return held


# --- qualification tests ------------------------------------------------------------------


def create_test(db: Session, project: Project, body: QualificationTestIn) -> QualificationTest:
    """Every item must be a gold item of this project (the score needs known answers), and
    each guideline section one of the guidelines' headings for one of its questions. A
    training test's items are withheld from hidden-gold serving at once: it shows their
    answers."""
    _check_gold_items(db, project, body.item_ids)
    _check_sections(db, project, body.guideline_sections)
    test = QualificationTest(
        project_id=project.id,
        qualification=body.qualification,
        level=body.level,
        item_ids=list(dict.fromkeys(body.item_ids)),
        pass_mark=body.pass_mark,
        cooldown_hours=body.cooldown_hours,
        training=body.training,
        guideline_sections=body.guideline_sections,
    )
    db.add(test)
    db.flush()
    if test.training:
        _withhold(db, test, None)
    return test


def _check_gold_items(db: Session, project: Project, item_ids: list[int]) -> None:
    gold = set(
        db.scalars(
            select(Gold.item_id).where(Gold.project_id == project.id, Gold.item_id.in_(item_ids))
        )
    )
    missing = [item_id for item_id in item_ids if item_id not in gold]
    if missing:
        raise ValidationFailed(
            "a qualification test is made of the project's gold items",
            field="item_ids",
            value=missing,
            expected="ids of gold items of this project",
        )


def _check_sections(db: Session, project: Project, sections: dict[str, str]) -> None:
    names = [q.name for q in project.questions]
    unknown = sorted(set(sections) - set(names))
    if unknown:
        raise ValidationFailed(
            "guideline sections for questions the project does not ask",
            field="guideline_sections",
            value=unknown,
            expected=f"question names among {names}",
        )
    for name, section in sections.items():
        projects.check_guideline_section(db, project.id, section, f"guideline_sections.{name}")


def _withhold(db: Session, test: QualificationTest, worker_id: int | None) -> None:
    """Never serve the test's items as hidden gold to this worker (None: to anyone) again;
    an item already withheld from them is not recorded twice."""
    already = set(
        db.scalars(
            select(WithheldGold.item_id).where(
                WithheldGold.item_id.in_(test.item_ids),
                WithheldGold.worker_id.is_(None)
                if worker_id is None
                else WithheldGold.worker_id == worker_id,
            )
        )
    )
    db.add_all(
        WithheldGold(item_id=item_id, worker_id=worker_id, test_id=test.id)
        for item_id in test.item_ids
        if item_id not in already
    )
    db.flush()


def list_tests(db: Session, project_id: int) -> list[QualificationTest]:
    query = select(QualificationTest).where(QualificationTest.project_id == project_id)
    return list(db.scalars(query.order_by(QualificationTest.id)))


def get_test(db: Session, test_id: int) -> QualificationTest:
    test = db.get(QualificationTest, test_id)
    if test is None:
        raise NotFound(
            "no such qualification test", field="test_id", value=test_id, expected="a test id"
        )
    return test


def test_out(test: QualificationTest, project: Project, manager: bool) -> QualificationTestOut:
    """A test with what it pays at most; its item ids only for the project's managers."""
    seconds = pay.test_seconds_bound(project, len(test.item_ids))
    return QualificationTestOut(
        id=test.id,
        project_id=test.project_id,
        qualification=test.qualification,
        level=test.level,
        item_ids=list(test.item_ids) if manager else None,
        items=len(test.item_ids),
        pass_mark=test.pass_mark,
        cooldown_hours=test.cooldown_hours,
        training=test.training,
        guideline_sections=test.guideline_sections or {},
        paid_seconds_max=seconds,
        pay_max_minor=pay.test_pay_minor(project, seconds),
        currency=project.currency,
    )


def _last_attempt(db: Session, test_id: int, worker_id: int) -> QualificationAttempt | None:
    return db.scalar(
        select(QualificationAttempt)
        .where(QualificationAttempt.test_id == test_id, QualificationAttempt.worker_id == worker_id)
        .order_by(QualificationAttempt.started_at.desc(), QualificationAttempt.id.desc())
        .limit(1)
    )


def retake_at(test: QualificationTest, attempt: QualificationAttempt | None) -> datetime | None:
    """When the worker may sit the test again; None when they may now (or passed)."""
    if attempt is None or attempt.finished_at is None or attempt.passed:
        return None
    return attempt.finished_at + timedelta(hours=test.cooldown_hours)


def admit(db: Session, test: QualificationTest, worker_id: int) -> None:
    """The queue's admission rules (standing, eligibility, content-risk opt-ins, exposure
    caps, the gold bar), then the budget for the test's own cost: a test shows a project's
    items and is paid from its escrow like a lease."""
    project = queue.load_project(db, test.project_id)
    refused = admission.refusal(db, project, worker_id, admission.TEST_RULES)
    refused = refused or pay.test_budget_refusal(db, project, len(test.item_ids))
    if refused is not None:
        raise admission.refusal_error(refused)


def start_attempt(db: Session, test: QualificationTest, worker_id: int) -> QualificationAttempt:
    """An unfinished attempt is handed back (a reload is not a retake); after a failed one,
    a new one only once the cool-down has passed; a passed test is not sat again. The
    worker must be admitted first, every time, since the answer shows the items; a new
    attempt withholds its items from the hidden gold this worker is served."""
    admit(db, test, worker_id)
    now = utcnow()
    last = _last_attempt(db, test.id, worker_id)
    if last is not None and last.finished_at is None:
        return last
    if last is not None and last.passed:
        raise Conflict(
            "you passed this test already",
            field="test_id",
            value=test.id,
            expected="a test you have not passed",
        )
    allowed = retake_at(test, last)
    if allowed is not None and allowed > now:
        raise CoolingDown(
            f"you may retake this test from {allowed:%Y-%m-%d %H:%M} UTC",
            field="retake_at",
            value=allowed.isoformat(),
            expected=f"a retake after the {test.cooldown_hours} h cool-down",
        )
    attempt = QualificationAttempt(test_id=test.id, worker_id=worker_id, started_at=now)
    db.add(attempt)
    db.flush()
    if not test.training:
        _withhold(db, test, worker_id)
    return attempt


def test_items(db: Session, test: QualificationTest) -> list[TestItem]:
    rows = db.execute(select(Item.id, Item.fields).where(Item.id.in_(test.item_ids)))
    fields = {item_id: item_fields for item_id, item_fields in rows}
    return [
        TestItem(id=item_id, fields=fields[item_id])
        for item_id in test.item_ids
        if item_id in fields
    ]


def get_attempt(db: Session, attempt_id: int, worker_id: int) -> QualificationAttempt:
    attempt = db.get(QualificationAttempt, attempt_id)
    if attempt is None or attempt.worker_id != worker_id:
        raise NotFound(
            "no such attempt", field="attempt_id", value=attempt_id, expected="one of your attempts"
        )
    return attempt


def finish_attempt(
    db: Session, attempt: QualificationAttempt, project: Project, body: AttemptIn
) -> AttemptOut:
    """Score every item against its gold answers. The time paid is the worker's own figure,
    capped by the time since the attempt started and by the test's own bound; it is earned
    pending, as submitted work is. The worker was admitted when the attempt started: like a
    held lease, work begun then is taken in and paid."""
    if attempt.finished_at is not None:
        raise Conflict(
            "this attempt is finished",
            field="attempt_id",
            value=attempt.id,
            expected="an attempt in progress",
        )
    test = get_test(db, attempt.test_id)
    items = {item.id: item.fields for item in test_items(db, test)}
    specs = [(q.name, q.type, q.settings, q.required) for q in project.questions]
    checked = _checked(specs, items, body.answers)
    missed, score = _scored(db, specs, test, items, checked)
    now = utcnow()
    elapsed_ms = int((now - attempt.started_at).total_seconds() * 1000)
    bound_ms = pay.test_seconds_bound(project, len(test.item_ids)) * 1000
    attempt.answers = {str(item_id): answers for item_id, answers in checked.items()}
    attempt.score, attempt.passed = score, score >= test.pass_mark
    attempt.missed = [m.model_dump(mode="json") for m in missed]
    attempt.time_spent_ms = min(body.time_spent_ms, elapsed_ms, bound_ms)
    attempt.finished_at = now
    db.flush()
    decision_id = _record_result(db, project, test, attempt)
    pay.earn_for_test(db, project, attempt.worker_id, attempt.id, attempt.time_spent_ms / 1000)
    if attempt.passed:
        grant(db, attempt.worker_id, test.qualification, test.level, test.id)
    return attempt_out(test, attempt, decision_id)


def _checked(
    specs: list[QuestionSpec], items: dict[int, dict[str, Any]], answers: dict[str, Any]
) -> dict[int, dict[str, Any]]:
    """Each item answered, each answer valid as a submission; every error listed."""
    unknown = sorted(set(answers) - {str(item_id) for item_id in items})
    if unknown:
        raise ValidationFailed(
            "answers to items that are not in this test",
            field="answers",
            value=unknown,
            expected=f"item ids {sorted(items)}",
        )
    checked: dict[int, dict[str, Any]] = {}
    errors: list[ValidationFailed] = []
    for item_id, fields in items.items():
        try:
            checked[item_id] = validate_answers(specs, answers.get(str(item_id), {}), fields)
        except ValidationFailed as error:
            error.field = f"answers.{item_id}.{(error.field or 'answers').removeprefix('answers.')}"
            errors.append(error)
    if errors:
        raise summarised("", errors, [error_detail(e) for e in errors])
    return checked


def _scored(
    db: Session,
    specs: list[QuestionSpec],
    test: QualificationTest,
    items: dict[int, dict[str, Any]],
    checked: dict[int, dict[str, Any]],
) -> tuple[list[MissedItem], float]:
    """The items not fully right, and the mean item score (each the mean of its questions).
    A missed item names its missed questions and their guideline sections; only a training
    test tells the expected answers, since any other test's items stay hidden gold."""
    rows = db.execute(select(Gold.item_id, Gold.answers).where(Gold.item_id.in_(list(checked))))
    expected = {item_id: answers for item_id, answers in rows}
    sections = test.guideline_sections or {}
    missed, total = [], 0.0
    for item_id, answers in checked.items():
        known = expected.get(item_id, {})
        scores = score_answers(specs, answers, known)
        score = sum(scores.values()) / len(scores) if scores else 1.0
        total += score
        if score < 1:
            wrong = [name for name, question_score in scores.items() if question_score < 1]
            missed.append(
                MissedItem(
                    item_id=item_id,
                    fields=items[item_id],
                    score=score,
                    answers=answers,
                    missed_questions=wrong,
                    guideline_sections=list(
                        dict.fromkeys(sections[name] for name in wrong if name in sections)
                    ),
                    expected=known if test.training else None,
                )
            )
    return missed, total / len(checked)


def _record_result(
    db: Session, project: Project, test: QualificationTest, attempt: QualificationAttempt
) -> int:
    return audit.record(
        db,
        worker_id=attempt.worker_id,
        kind=AuditKind.qualification_test,
        subject_kind="attempt",
        subject_id=attempt.id,
        project_id=project.id,
        data={
            "test_id": test.id,
            "qualification": test.qualification,
            "level": test.level,
            "score": attempt.score,
            "pass_mark": test.pass_mark,
            "passed": attempt.passed,
            "missed": len(attempt.missed),
        },
    )


def attempt_out(
    test: QualificationTest, attempt: QualificationAttempt, decision_id: int | None
) -> AttemptOut:
    return AttemptOut(
        id=attempt.id,
        test_id=test.id,
        score=attempt.score,
        passed=attempt.passed,
        missed=[MissedItem.model_validate(m) for m in attempt.missed or []],
        time_spent_ms=attempt.time_spent_ms,
        started_at=attempt.started_at,
        finished_at=attempt.finished_at,
        retake_at=retake_at(test, attempt),
        decision_id=decision_id,
    )


def list_attempts(db: Session, worker_id: int) -> list[QualificationAttempt]:
    query = select(QualificationAttempt).where(QualificationAttempt.worker_id == worker_id)
    return list(db.scalars(query.order_by(QualificationAttempt.id.desc())))


# --- eligibility --------------------------------------------------------------------------


def eligibility_of(db: Session, project: Project, worker_id: int) -> EligibilityOut:
    """Why a project is, or is not, open to this worker."""
    unmet = eligibility.unmet(
        project.eligibility or {}, eligibility.load_profile(db, worker_id), utcnow()
    )
    return EligibilityOut(project_id=project.id, eligible=not unmet, unmet=unmet)


def my_projects(db: Session, worker_id: int) -> list[MyProject]:
    """Every active project, each marked with whether it is open to this worker and why not;
    the profile is read once."""
    found = eligibility.load_profile(db, worker_id)
    now = utcnow()
    projects = db.execute(
        select(Project.id, Project.name, Project.eligibility)
        .where(Project.status == ProjectStatus.active)
        .order_by(Project.id)
    )
    listed = []
    for project_id, name, settings in projects:
        unmet = eligibility.unmet(settings or {}, found, now)
        listed.append(MyProject(project_id=project_id, name=name, eligible=not unmet, unmet=unmet))
    return listed


def require_reviewer(
    db: Session, project: Any, worker_id: int, needed: str | None, stage: str
) -> None:
    """Reviewing needs what labelling needs (eligible, in good standing) and the stage's
    qualification checked beyond a claim: documents checked, verified or calibrated. The
    profile's skills no longer count: a worker writes them, so they would grant themselves."""
    now = utcnow()
    sanctioned = standing.sanctioned(db, project.id, worker_id, now)
    if sanctioned is not None:
        raise Forbidden(sanctioned.message, field="sanction", value=sanctioned.sanction_id)
    unmet = eligibility.check(db, project.eligibility, worker_id, now)
    if unmet is not None:
        raise Forbidden(
            unmet.message, field="eligibility", value=[u.requirement for u in unmet.unmet]
        )
    if needed is None:
        return
    held = _held(db, worker_id, needed)
    if held is None or held.tier == QualificationTier.claimed:
        raise Forbidden(
            f"reviewing at the {stage} stage needs the qualification {needed!r}",
            field="qualification",
            value=None if held is None else {"level": held.level, "tier": held.tier},
            expected=f"{needed!r} with its documents checked, verified or calibrated by a test",
        )
