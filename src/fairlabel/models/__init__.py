"""ORM tables, grouped by aggregate."""

from fairlabel.db import Base
from fairlabel.models.accounts import ApiToken, User, WebSession, Worker
from fairlabel.models.items import Item, Media
from fairlabel.models.organizations import MemberRole, Membership, Organization
from fairlabel.models.projects import GuidelineVersion, Project, ProjectStatus, Question
from fairlabel.models.work import Annotation, Assignment, AssignmentStatus, Draft

__all__ = [
    "Annotation",
    "ApiToken",
    "Assignment",
    "AssignmentStatus",
    "Base",
    "Draft",
    "GuidelineVersion",
    "Item",
    "Media",
    "MemberRole",
    "Membership",
    "Organization",
    "Project",
    "ProjectStatus",
    "Question",
    "User",
    "WebSession",
    "Worker",
]
