"""How the simulated workforce answers each demo project and how a reviewer judges the
answers: from the generators' true records, so that a mistake, a rejection and an appeal's
outcome are each what a careful person reading the guidelines would find."""

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fairlabel.demo.replies import Comparison
from fairlabel.demo.safety import ROUTES, SafetyReport
from fairlabel.demo.tickets import CATEGORIES, PRIORITIES, Ticket

Answers = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Fault:
    """What a rejection cites: a reason code of the project, a guideline section, a comment."""

    reason_code: str
    guideline_ref: str
    comment: str


@dataclass(frozen=True, slots=True)
class Work:
    """One demo project as the simulation works it, by item external id."""

    kind: str
    project_id: int
    seconds: int
    #: The answers a worker gives: right, or a plausible mistake.
    answer: Callable[[str, bool, random.Random], Answers]


@dataclass(frozen=True, slots=True)
class ReviewedWork(Work):
    """A project with a review stage, and how its reviewers judge."""

    #: What is wrong with answers, by the guidelines; None when they are right.
    fault: Callable[[str, Answers], Fault | None]
    #: What a reviewer who misreads right answers cites.
    misread: Callable[[str, Answers, random.Random], Fault]


def _other(options: list[str], right: str, rng: random.Random) -> str:
    return rng.choice([option for option in options if option != right])


def ticket_work(project_id: int, seconds: int, tickets: Mapping[str, Ticket]) -> ReviewedWork:
    def answer(external_id: str, right: bool, rng: random.Random) -> Answers:
        ticket = tickets[external_id]
        return {
            "category": ticket.category if right else _other(CATEGORIES, ticket.category, rng),
            "urgency": PRIORITIES.index(ticket.priority) + 1,
            "entities": [
                {"start": e.start, "end": e.end, "label": e.label} for e in ticket.entities
            ],
        }

    def fault(external_id: str, answers: Answers) -> Fault | None:
        right = tickets[external_id].category
        if answers["category"] == right:
            return None
        return Fault("wrong_answer", "Category", f"The customer needs {right}.")

    def misread(external_id: str, answers: Answers, rng: random.Random) -> Fault:
        wrong = _other(CATEGORIES, answers["category"], rng)
        return Fault("wrong_answer", "Category", f"This reads as {wrong} to me.")

    return ReviewedWork("tickets", project_id, seconds, answer, fault, misread)


def comparison_work(project_id: int, seconds: int, items: Mapping[str, Comparison]) -> Work:
    def answer(external_id: str, right: bool, rng: random.Random) -> Answers:
        item = items[external_id]
        worse = "b" if item.better == "a" else "a"
        return {"better": {"choice": item.better if right else worse}, "issues": item.issues}

    return Work("replies", project_id, seconds, answer)


def report_work(project_id: int, seconds: int, reports: Mapping[str, SafetyReport]) -> Work:
    def answer(external_id: str, right: bool, rng: random.Random) -> Answers:
        route = reports[external_id].route
        return {"route": route if right else _other(ROUTES, route, rng)}

    return Work("safety", project_id, seconds, answer)
