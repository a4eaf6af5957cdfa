"""ORM tables, grouped by aggregate."""

from fairlabel.db import Base
from fairlabel.models.accounts import ApiToken, User, WebSession, Worker
from fairlabel.models.dueprocess import (
    Appeal,
    AppealStatus,
    AuditEvent,
    Feedback,
    Notice,
    Sanction,
    SanctionKind,
)
from fairlabel.models.governance import (
    Consultation,
    ConsultationTopic,
    Consultee,
    RepresentativeKind,
    TermsAcceptance,
    TermsVersion,
    WorkerRepresentative,
)
from fairlabel.models.items import Gold, Item, Media, Suggestion
from fairlabel.models.jobs import Job, JobStatus
from fairlabel.models.organizations import MemberRole, Membership, Organization
from fairlabel.models.pay import (
    EntryKind,
    ExchangeRate,
    LedgerBalance,
    LedgerEntry,
    PayFloor,
    Payout,
)
from fairlabel.models.projects import GuidelineVersion, Project, ProjectStatus, Question
from fairlabel.models.work import (
    Annotation,
    Assignment,
    AssignmentStatus,
    Consensus,
    Draft,
    GoldScore,
    Review,
    Verdict,
)
from fairlabel.models.workforce import (
    Exposure,
    ProjectRating,
    Qualification,
    QualificationAttempt,
    QualificationTest,
    QualificationTier,
    RiskOptIn,
)

__all__ = [
    "Annotation",
    "ApiToken",
    "Appeal",
    "AppealStatus",
    "Assignment",
    "AssignmentStatus",
    "AuditEvent",
    "Base",
    "Consensus",
    "Consultation",
    "ConsultationTopic",
    "Consultee",
    "Draft",
    "EntryKind",
    "ExchangeRate",
    "Exposure",
    "Feedback",
    "Gold",
    "GoldScore",
    "GuidelineVersion",
    "Item",
    "Job",
    "JobStatus",
    "LedgerBalance",
    "LedgerEntry",
    "Media",
    "MemberRole",
    "Membership",
    "Notice",
    "Organization",
    "PayFloor",
    "Payout",
    "Project",
    "ProjectRating",
    "ProjectStatus",
    "Qualification",
    "QualificationAttempt",
    "QualificationTest",
    "QualificationTier",
    "Question",
    "RepresentativeKind",
    "Review",
    "RiskOptIn",
    "Sanction",
    "SanctionKind",
    "Suggestion",
    "TermsAcceptance",
    "TermsVersion",
    "User",
    "Verdict",
    "WebSession",
    "Worker",
    "WorkerRepresentative",
]
