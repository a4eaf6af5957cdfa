"""A month of the demo's history, lived through the real services on a simulated clock.

The demo opens a month ago; then, day by day, a simulated workforce signs in, acknowledges
new terms, labels (next task, the workspace's view, submit; now and then a task given back
or left to expire with a draft), reviews with reasons citing the guidelines, redoes rejected
work as paid rework or appeals it (the reviewers away for a few days at an offsite, so that
the review deadline approves the pay of the work they did not get to), rates projects and
sends feedback; the operator hears appeals (except for a week away, when the deadline
decides them for the workers) and answers feedback, the owner answers feedback on their
projects, a terms change is put to the workers' association and announced with its notice, a
project's end is announced, and the sweeps a server runs in the background approve pay past
its review deadline, pay out on the schedule and settle overdue appeals. Every step is a
service call at its moment on the clock (db.simulated_time): no row is written around the
services, so every rule holds as it would in real time; the history ends at midnight UTC
today.

The history commits every simulated hour, as the requests it stands for would: in one long
transaction PostgreSQL walks every version of the rows it keeps updating (a project's
budget balance on each submit), which made the full scale quadratic. A seeding interrupted
midway keeps the history so far; delete the data folder to start over."""

import math
import random
from collections import Counter, defaultdict
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from fairlabel.annotations import service as annotations
from fairlabel.auth import policies
from fairlabel.auth.policies import Principal
from fairlabel.config import Settings
from fairlabel.db import SimulatedClock, utcnow
from fairlabel.demo import governance as demo_governance
from fairlabel.demo.replies import Comparison
from fairlabel.demo.safety import SafetyReport
from fairlabel.demo.scheduler import Process, Scheduler
from fairlabel.demo.tickets import Ticket
from fairlabel.demo.work import (
    Answers,
    ReviewedWork,
    Work,
    comparison_work,
    report_work,
    ticket_work,
)
from fairlabel.demo.workforce import COUNTRIES, DAYS_PER_WEEK, Person, recruit
from fairlabel.dueprocess import notices
from fairlabel.dueprocess import service as dueprocess
from fairlabel.dueprocess.schemas import (
    AppealDecision,
    AppealIn,
    FeedbackAnswer,
    FeedbackIn,
    NoticeIn,
)
from fairlabel.governance import service as governance
from fairlabel.governance.schemas import ConsultationIn, TermsIn
from fairlabel.models import (
    AppealStatus,
    AssignmentStatus,
    ConsultationTopic,
    MemberRole,
    Project,
    User,
    Verdict,
)
from fairlabel.pay import payouts, topups
from fairlabel.pay import service as pay
from fairlabel.pay.floors import money
from fairlabel.queue import service as queue
from fairlabel.queue.rows import AssignmentRow, Empty
from fairlabel.review import service as review
from fairlabel.review.schemas import VerdictIn
from fairlabel.review.stages import REWORK_STAGE
from fairlabel.wellness import service as wellness
from fairlabel.wellness.schemas import RatingIn


@dataclass(frozen=True, slots=True)
class Scale:
    """How big a history: `workers` in all (the three demo workers among them), spread evenly
    over the first `countries` of workforce.COUNTRIES, over `days` days, each working day a
    session of about `tasks_per_session` tasks."""

    workers: int
    countries: int = len(COUNTRIES)
    days: int = 30
    tasks_per_session: int = 5


#: `fairlabel demo`: forty workers, four in each of ten countries, so that the demo starts in
#: seconds: fewer workers a country and the equity check (4.2) would judge the draw of who
#: made which mistake.
DEFAULT_SCALE = Scale(workers=40, countries=10, tasks_per_session=3)
#: `fairlabel demo --simulate`: the issue's workforce.
FULL_SCALE = Scale(workers=1000)

#: The demo opens at this time of day, `days` days before midnight UTC today.
OPENING = time(7, 0)
#: Reviewers review in every other session, the others label.
REVIEW_EVERY = 2
REVIEW_SECONDS = 25
#: The reviewers' offsite: longer than the demo's review deadline (72 h), so some sampled
#: work is always approved by the deadline, whatever the review sampling's hash picked.
OFFSITE_DAYS = 4
#: Items beyond what the history should use (a margin, and work left for a newcomer).
MARGIN, SPARE = 1.3, 40
#: The chance in a task of giving it back unanswered, or of leaving it with a draft.
GIVE_BACK, WALK_AWAY = 0.01, 0.01
#: Every MISREAD_EVERY-th verdict, when the work is right, misreads it (a wrongful rejection,
#: which its worker appeals); a worker appeals a rightful rejection with the chance STUBBORN.
MISREAD_EVERY, STUBBORN = 50, 0.1
RATE_SHARE, FEEDBACK_SHARE = 0.05, 0.01
#: A server sweeps every few minutes (pay_sweep_seconds); the history every six hours, which
#: changes only how soon after a deadline its pay or appeal is settled.
SWEEP_EVERY = timedelta(hours=6)
COMMIT_EVERY = timedelta(hours=1)


@dataclass(slots=True)
class Seeded:
    """What the history works with: the people, the projects by kind, and the true answer
    of every item (the generators' records, by external id)."""

    organization_id: int
    owner: User
    operator: User
    workers: list[User]
    association_id: int
    projects: dict[str, Project] = field(default_factory=dict)
    tickets: dict[str, Ticket] = field(default_factory=dict)
    comparisons: dict[str, Comparison] = field(default_factory=dict)
    reports: dict[str, SafetyReport] = field(default_factory=dict)


def start_of(scale: Scale) -> datetime:
    """When the demo opens: `days` before midnight UTC today, at OPENING."""
    today = datetime.combine(utcnow().date(), OPENING, tzinfo=UTC)
    return today - timedelta(days=scale.days)


def items_needed(scale: Scale) -> dict[str, int]:
    """Items per project (Sizes fields) for what the workforce is expected to label: the
    share of tasks each project gets by the workers' rotations (a third of them opted into
    the safety reports, whose sessions are twice as long), over its overlap."""
    sessions = scale.workers * scale.days * DAYS_PER_WEEK / 7
    tasks = sessions * scale.tasks_per_session

    def needed(share: float, overlap: int) -> int:
        return math.ceil(tasks * share * MARGIN / overlap) + SPARE

    return {"tickets": needed(0.45, 2), "comparisons": needed(0.45, 3), "reports": needed(0.25, 1)}


@dataclass(frozen=True, slots=True)
class Rejection:
    """A rejection as the simulation remembers it, for the worker and the appeal's hearer."""

    review_id: int
    rejected_at: datetime
    rework_id: int | None
    external_id: str
    answers: Answers
    #: The answers were right: the reviewer misread them.
    wrongful: bool


class History:
    """The month's processes, and what the people in it know: the rejections each worker
    has been told of, the appeals they filed, which terms they have seen; with a tally of
    what happened."""

    def __init__(
        self,
        db: Session,
        settings: Settings,
        seeded: Seeded,
        rng: random.Random,
        tasks_per_session: int,
    ) -> None:
        self.db, self.settings, self.seeded, self.rng = db, settings, seeded, rng
        self.tasks_per_session = tasks_per_session
        projects = seeded.projects
        self.tickets = ticket_work(*_id_and_seconds(projects["tickets"]), seeded.tickets)
        self.work: dict[str, Work] = {
            "tickets": self.tickets,
            "replies": comparison_work(*_id_and_seconds(projects["replies"]), seeded.comparisons),
            "safety": report_work(*_id_and_seconds(projects["safety"]), seeded.reports),
        }
        self.owner = Principal(
            seeded.owner.id,
            seeded.owner.pseudonym,
            roles={seeded.organization_id: MemberRole.owner},
        )
        self.operator = Principal(seeded.operator.id, seeded.operator.pseudonym, is_operator=True)
        self.inbox: dict[int, list[Rejection]] = defaultdict(list)
        self.appealed: dict[int, Rejection] = {}
        self.tally: Counter[str] = Counter()
        self.sessions: Counter[int] = Counter()
        self.verdicts = 0
        self.terms_published = 1
        self.acknowledged: dict[int, int] = {}

    # --- a worker's session ---------------------------------------------------------------

    def session(self, person: Person, *, offsite: bool = False) -> Process:
        """Sign in (new terms are acknowledged), answer rejections, then a stretch of work;
        reviewers at the offsite label instead of reviewing."""
        self._read_terms(person)
        rework = self._answer_rejections(person)
        number = self.sessions[person.id] = self.sessions[person.id] + 1
        reviewing = person.reviewer and not offsite
        reviews = reviewing and not rework and number % REVIEW_EVERY == 0
        if reviews and (yield from self._reviewing(person)):
            return
        work = self.tickets if rework else self.work[person.project(number)]
        yield from self._labelling(person, work)
        self._speak_up(person, work)

    def _read_terms(self, person: Person) -> None:
        """The home page's notice of terms not yet acknowledged, acted on; looked at only
        when a version was published since the worker last acknowledged one."""
        if self.acknowledged.get(person.id) == self.terms_published:
            return
        notice = governance.notice_for(self.db, person.id)
        if notice is not None:
            governance.acknowledge(self.db, person.id, notice.number)
        self.acknowledged[person.id] = self.terms_published

    def _tasks(self) -> int:
        base = self.tasks_per_session
        return self.rng.randint(max(1, base // 2), base + base // 2)

    def _labelling(self, person: Person, work: Work) -> Process:
        for _ in range(self._tasks() * (2 if work.kind == "safety" else 1)):
            loaded = queue.load_project_with_questions(self.db, work.project_id)
            policies.work_on_project(person.principal, loaded[0])
            leased = queue.next_assignment(self.db, loaded[0], person.id)
            if isinstance(leased, Empty):
                self.tally[f"refused: {leased.reason}"] += 1
                return
            view = queue.view_assignment(self.db, leased.assignment, loaded, leased.claimed)
            assignment, external_id = leased.assignment, view.item.external_id
            if self.rng.random() < GIVE_BACK and assignment.stage != REWORK_STAGE:
                yield timedelta(seconds=self.rng.uniform(5, 20))
                self._give_back(person, assignment.id)
                continue
            right = assignment.stage == REWORK_STAGE or self.rng.random() < person.accuracy
            answers = work.answer(external_id, right, self.rng)
            seconds = person.seconds(work.seconds, self.rng)
            if self.rng.random() < WALK_AWAY:
                yield timedelta(seconds=seconds / 2)
                self._leave(person, assignment, answers, seconds / 2)
                return
            yield timedelta(seconds=seconds)
            self._submit(person, assignment, answers, seconds)
            content = view.content
            pause = self.settings.break_pause_minutes if content and content.break_due else 0
            yield timedelta(minutes=pause, seconds=self.rng.uniform(4, 30))

    def _submit(
        self, person: Person, assignment: AssignmentRow, answers: Answers, seconds: float
    ) -> None:
        annotations.submit(self.db, person.id, assignment.id, answers, round(seconds * 1000))
        self.tally[f"submitted: {assignment.stage}"] += 1

    def _leave(
        self, person: Person, assignment: AssignmentRow, answers: Answers, seconds: float
    ) -> None:
        """The workspace saved a draft; the worker never came back, so the lease expires."""
        annotations.save_draft(self.db, person.id, assignment.id, answers, round(seconds * 1000))
        self.tally["left to expire"] += 1

    def _give_back(self, person: Person, assignment_id: int) -> bool:
        assignment = queue.get_own_assignment(self.db, assignment_id, person.id, lock=True)
        if queue.effective_status(assignment, utcnow()) != AssignmentStatus.active:
            return False
        queue.return_assignment(self.db, assignment)
        self.tally["given back"] += 1
        return True

    def _reviewing(self, person: Person) -> Generator[timedelta, None, bool]:
        """Review the tickets' sampled work; False when there was none to review."""
        work = self.tickets
        reviewed = False
        for _ in range(self._tasks()):
            loaded = queue.load_project_with_questions(self.db, work.project_id)
            review.check_reviewer(self.db, person.principal, loaded[0], "review")
            leased = review.next_review(self.db, loaded[0], person.id, "review")
            if isinstance(leased, Empty):
                return reviewed
            view = queue.view_assignment(self.db, leased.assignment, loaded)
            external_id, answers = view.item.external_id, leased.annotation.answers
            yield timedelta(seconds=person.seconds(REVIEW_SECONDS, self.rng))
            self._judge(person, work, leased.assignment.id, external_id, answers)
            reviewed = True
            yield timedelta(seconds=self.rng.uniform(4, 20))
        return reviewed

    def _judge(
        self,
        person: Person,
        work: ReviewedWork,
        assignment_id: int,
        external_id: str,
        answers: Answers,
    ) -> None:
        fault = work.fault(external_id, answers)
        self.verdicts += 1
        wrongful = fault is None and self.verdicts % MISREAD_EVERY == 0
        if wrongful:
            fault = work.misread(external_id, answers, self.rng)
        if fault is None:
            body = VerdictIn(verdict=Verdict.accept)
        else:
            body = VerdictIn(
                verdict=Verdict.reject,
                reason_code=fault.reason_code,
                guideline_ref=fault.guideline_ref,
                comment=fault.comment,
            )
        recorded = review.record_verdict(self.db, person.id, assignment_id, body)
        self.tally[f"verdict: {body.verdict.value}"] += 1
        if fault is not None:
            rejection = Rejection(
                recorded.review.id,
                recorded.review.created_at,
                recorded.rework_assignment_id,
                external_id,
                answers,
                wrongful,
            )
            self.inbox[recorded.review.worker_id].append(rejection)

    def _answer_rejections(self, person: Person) -> bool:
        """Appeal what they believe was wrongly rejected (giving the rework back), leave the
        rest to be redone; True when rework waits."""
        rework = False
        window = timedelta(days=self.settings.appeal_window_days)
        for rejection in self.inbox.pop(person.id, []):
            believes_right = rejection.wrongful or self.rng.random() < STUBBORN
            if not believes_right:
                rework = rework or rejection.rework_id is not None
                continue
            if rejection.rework_id is not None:
                self._give_back(person, rejection.rework_id)
            if utcnow() - rejection.rejected_at < window:
                self._appeal(person, rejection)
        return rework

    def _appeal(self, person: Person, rejection: Rejection) -> None:
        statement = (
            "My answer follows the guidelines (section Category): please look at the ticket again."
        )
        body = AppealIn(subject_kind="review", subject_id=rejection.review_id, statement=statement)
        appeal = dueprocess.file_appeal(self.db, person.id, body, self.settings)
        self.appealed[appeal.id] = rejection
        self.tally["appeals filed"] += 1

    def _speak_up(self, person: Person, work: Work) -> None:
        """Now and then, a rating of the project or a word to its owner or the operator."""
        if self.rng.random() < RATE_SHARE:
            rating = RatingIn(
                instructions=self.rng.randint(3, 5),
                pay=self.rng.randint(4, 5),
                reviews=self.rng.randint(3, 5),
                comment=self.rng.choice(RATING_COMMENTS),
            )
            if wellness.has_worked_on(self.db, work.project_id, person.id):
                wellness.rate(self.db, work.project_id, person.id, rating, utcnow())
                self.tally["ratings"] += 1
        if self.rng.random() < FEEDBACK_SHARE:
            general = self.rng.random() < 0.3
            topic = self.rng.choice(GENERAL if general else ABOUT_PROJECTS)
            body = FeedbackIn(project_id=None if general else work.project_id, body=topic)
            dueprocess.send_feedback(self.db, person.id, body)
            self.tally["feedback"] += 1

    # --- the people who run it, and the background sweeps ---------------------------------

    def checkpoints(self) -> Process:
        while True:
            self.db.commit()
            yield COMMIT_EVERY

    def sweeps(self) -> Process:
        """What the server's background jobs do (pay.jobs, dueprocess.jobs)."""
        settings = self.settings
        while True:
            pay.approve_due(self.db)
            topups.enforce_all(self.db)
            runs = payouts.run_scheduled(
                self.db,
                every_days=settings.payout_every_days,
                minimum=settings.payout_minimum_minor,
                now=utcnow(),
            )
            self.tally["payouts"] += len(runs)
            dueprocess.sweep(self.db)
            yield SWEEP_EVERY

    def operator_days(self, away: range) -> Process:
        """Each morning: hear the appeals due, then answer general feedback; not on the days
        of `away` (the deadline then decides for the workers)."""
        day = 0
        while True:
            if day not in away:
                yield from self._hear_appeals()
                self._answer_feedback(self.operator, general=True)
            day += 1
            yield _next_day(timedelta(hours=9))

    def _hear_appeals(self) -> Process:
        dueprocess.settle_overdue(self.db, utcnow())
        for appeal in dueprocess.list_appeals(self.db, self.operator, mine=False, status="open"):
            rejection = self.appealed.get(appeal.id)
            if rejection is None or appeal.status != AppealStatus.open:
                continue
            if appeal.due_at <= utcnow():
                continue  # the sweep decides it for the worker
            right = self.tickets.fault(rejection.external_id, rejection.answers) is None
            decision = AppealDecision(
                outcome="upheld" if right else "denied",
                reason=UPHELD if right else DENIED,
            )
            dueprocess.decide_appeal(self.db, appeal, self.operator, decision)
            self.tally[f"appeals {decision.outcome}"] += 1
            yield timedelta(minutes=self.rng.uniform(3, 15))

    def owner_days(self) -> Process:
        while True:
            self._answer_feedback(self.owner, general=False)
            yield _next_day(timedelta(hours=15))

    def _answer_feedback(self, who: Principal, *, general: bool) -> None:
        for feedback in dueprocess.list_feedback(self.db, who, mine=False):
            if feedback.answered_at is not None or (feedback.project_id is None) != general:
                continue
            answer = FeedbackAnswer(answer=self._answer_to(feedback.body))
            dueprocess.answer_feedback(self.db, feedback.id, who, answer)
            self.tally["feedback answered"] += 1

    def _answer_to(self, body: str) -> str:
        settings = self.settings
        minimum = money(settings.payout_minimum_minor, "USD")
        return ANSWERS[body].format(days=settings.payout_every_days, minimum=minimum)

    def terms_change(self) -> Process:
        """The association is consulted on writing the payout schedule into the terms; the
        next day version 2 is announced, with the notice the terms require."""
        association = self.seeded.association_id
        settings = self.settings
        governance.record_consultation(
            self.db,
            ConsultationIn(
                topic=ConsultationTopic.terms,
                held_on=utcnow().date(),
                summary="Version 2 of the terms of work: the payout schedule written in.",
                outcome="Agreed; the association asked that each worker's earnings page show "
                "the date of their next payout, which it does.",
                representative_ids=[association],
            ),
            actor_id=self.operator.id,
        )
        yield timedelta(days=1)
        minimum = money(settings.payout_minimum_minor, "USD")
        schedule = (
            f"\n## Payouts\n- Approved pay of at least {minimum} (or its equivalent) is paid "
            f"out every {settings.payout_every_days} days.\n"
        )
        governance.publish(
            self.db,
            TermsIn(
                title=demo_governance.TERMS_TITLE,
                body=demo_governance.terms_body(settings) + schedule,
                summary=f"Adds the payout schedule: approved pay is paid out every "
                f"{settings.payout_every_days} days.",
            ),
            actor_id=self.operator.id,
        )
        self.terms_published += 1

    def announce_end(self, ends: datetime) -> None:
        """The client has what it needs of the safety reports: their end, with notice."""
        project = self.db.get_one(Project, self.work["safety"].project_id)
        notices.create_notice(
            self.db,
            project,
            NoticeIn(
                effective_at=ends,
                message="The client has the routing data it needs: safety-report work ends "
                f"on {ends:%Y-%m-%d}. Work you submit until then is paid as usual.",
            ),
            self.owner.id,
            self.settings.work_end_notice_days,
        )
        self.tally["notices"] += 1


def _id_and_seconds(project: Project) -> tuple[int, int]:
    return project.id, project.estimated_seconds


def _next_day(at: timedelta) -> timedelta:
    """From now to `at` past midnight tomorrow."""
    now = utcnow()
    midnight = datetime.combine(now.date(), time(0), tzinfo=UTC) + timedelta(days=1)
    return midnight + at - now


RATING_COMMENTS = [
    "",
    "",
    "Clear guidelines, and the pay is shown before I start.",
    "Rejections come with a reason and the guideline section, which helps.",
    "The examples in the guidelines could be longer.",
    "Fair pay for the time it takes.",
]
ABOUT_PROJECTS = [
    "Some tickets ask for money back for a broken product. Is that refund or technical?",
    "Could reviews come sooner? I would like to know before the deadline how I did.",
]
GENERAL = ["When is the next payout, and is there a minimum?"]
ANSWERS = {
    ABOUT_PROJECTS[0]: "Refund: a request for money back is a refund, even when it is about a "
    "broken product (guidelines, section Category).",
    ABOUT_PROJECTS[1]: "Thank you. Work nobody reviews by the review deadline is approved and "
    "paid automatically, so a slow review never holds your pay back.",
    GENERAL[0]: "Payouts run every {days} days for approved pay of at least {minimum}; your "
    "earnings page shows the date of your next one.",
}
UPHELD = (
    "Upheld: the answer follows the guideline section Category. The rejection is withdrawn "
    "and the work's pay approved."
)
DENIED = (
    "Denied: the guideline section Category places this ticket in another category, as the "
    "review said. The pay for the work done is kept."
)


def live(
    db: Session,
    settings: Settings,
    seeded: Seeded,
    scale: Scale,
    clock: SimulatedClock,
    seed: int,
    password: str,
) -> Counter[str]:
    """The month, from the demo's opening (the clock's now) to midnight UTC today."""
    rng = random.Random(seed)
    people = recruit(db, rng, scale.workers, scale.countries, seeded.workers, password)
    history = History(db, settings, seeded, rng, scale.tasks_per_session)
    first = datetime.combine(clock.now.date(), time(0), tzinfo=UTC)
    end = first + timedelta(days=scale.days)
    scheduler = Scheduler(clock)
    scheduler.start(clock.now, history.checkpoints())
    scheduler.start(clock.now, history.sweeps())
    away = range(round(scale.days * 0.63), round(scale.days * 0.93))
    offsite = range(round(scale.days * 0.4), round(scale.days * 0.4) + OFFSITE_DAYS)
    scheduler.start(first + timedelta(hours=9), history.operator_days(away))
    scheduler.start(first + timedelta(hours=15), history.owner_days())
    consulted = first + timedelta(days=round(scale.days * 0.25), hours=10)
    scheduler.start(consulted, history.terms_change())
    notice_day = first + timedelta(days=round(scale.days * 0.4), hours=11)
    scheduler.once(notice_day, lambda: history.announce_end(end + timedelta(days=7)))
    for day in range(scale.days):
        midnight = first + timedelta(days=day)
        for person in people:
            if midnight.weekday() in person.weekdays:
                late = timedelta(minutes=rng.uniform(-60, 60))
                session = history.session(person, offsite=day in offsite)
                scheduler.start(midnight + person.starts + late, session)
    scheduler.run(until=end)
    return history.tally
